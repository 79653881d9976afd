//! The bundled demo against its answer key (`examples/demo/README.md`):
//! every planted finding is reported where the key says, and nothing else.

mod support;

use ecto_ash_lsp::cli::Report;

/// (code, file:line, kind) for every finding the key lists.
const ANSWER_KEY: &[(&str, &str, &str)] = &[
    ("snapshots-untracked", ".gitignore:27", ""),
    (
        "codegen-would-recreate",
        "lib/demo/accounts/api_token.ex:8",
        "",
    ),
    (
        "belongs-to-without-foreign-key",
        "lib/demo/accounts/api_token.ex:34",
        "",
    ),
    (
        "codegen-would-recreate",
        "lib/demo/accounts/organization.ex:8",
        "",
    ),
    ("codegen-would-recreate", "lib/demo/accounts/user.ex:9", ""),
    ("missing-column", "lib/demo/accounts/user.ex:43", ""),
    (
        "identity-without-unique-index",
        "lib/demo/accounts/user.ex:59",
        "",
    ),
    (
        "codegen-would-recreate",
        "lib/demo/metrics/cpu_metric.ex:2",
        "",
    ),
    (
        "column-type-mismatch",
        "lib/demo/metrics/cpu_metric.ex:10",
        "",
    ),
    (
        "codegen-would-recreate",
        "lib/demo/metrics/memory_metric.ex:2",
        "",
    ),
    (
        "codegen-would-recreate",
        "lib/demo/platform/audit_log.ex:8",
        "",
    ),
    (
        "codegen-would-recreate",
        "lib/demo/platform/auth_lockout.ex:8",
        "",
    ),
    (
        "nullability-mismatch",
        "lib/demo/platform/auth_lockout.ex:33",
        "",
    ),
    ("missing-column", "lib/demo/platform/auth_lockout.ex:39", ""),
    ("missing-table", "lib/demo/platform/security_event.ex:8", ""),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20230306103000_create_organizations_and_users.exs:7",
        "create-table",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20230306103000_create_organizations_and_users.exs:15",
        "create-unique-index",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20230306103000_create_organizations_and_users.exs:17",
        "create-table",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20230306103000_create_organizations_and_users.exs:30",
        "create-index",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20230306103000_create_organizations_and_users.exs:31",
        "create-index",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20230412153000_create_settings.exs:5",
        "create-table",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20230412153000_create_settings.exs:13",
        "create-unique-index",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20230719084500_create_sessions.exs:7",
        "create-table",
    ),
    (
        "table-without-resource",
        "priv/repo/migrations/20230719084500_create_sessions.exs:7",
        "",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20230719084500_create_sessions.exs:16",
        "create-unique-index",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20230719084500_create_sessions.exs:17",
        "create-index",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20231030140000_replace_sessions_with_api_tokens.exs:7",
        "create-table",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20231030140000_replace_sessions_with_api_tokens.exs:18",
        "create-unique-index",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20231030140000_replace_sessions_with_api_tokens.exs:19",
        "create-index",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20231030140000_replace_sessions_with_api_tokens.exs:22",
        "rename",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20240122091500_add_totp_to_users.exs:8",
        "add-column",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20240122091500_add_totp_to_users.exs:9",
        "add-column",
    ),
    (
        "irreversible-idempotent-change",
        "priv/repo/migrations/20241015093000_add_last_used_ip_to_api_tokens.exs:6",
        "",
    ),
    (
        "unresolved",
        "priv/repo/migrations/20241120150000_harden_audit_logs.exs:22",
        "",
    ),
    (
        "hidden-drift",
        "priv/repo/migrations/20250109160000_ensure_users_table.exs:10",
        "",
    ),
    (
        "non-idempotent-statement",
        "priv/repo/migrations/20250128113000_create_auth_lockouts.exs:24",
        "raw-sql",
    ),
];

#[test]
fn demo_findings_match_the_answer_key() {
    let report = Report::build(&support::repo_path("examples/demo")).expect("the demo indexes");
    let got: Vec<(String, String, String)> = report
        .findings
        .iter()
        .map(|f| {
            let file = &report.workspace.files[&f.file];
            let line = file.lines.line_of(f.span.start) + 1;
            (
                f.code().to_string(),
                format!("{}:{line}", f.file),
                f.kind.unwrap_or("").to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> = ANSWER_KEY
        .iter()
        .map(|(c, l, k)| (c.to_string(), l.to_string(), k.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn demo_links_every_resource_to_its_table() {
    let report = Report::build(&support::repo_path("examples/demo")).expect("the demo indexes");
    let mut links: Vec<(String, String)> = report
        .analysis
        .resources
        .iter()
        .map(|r| (r.facts.module.clone(), r.table.clone().unwrap_or_default()))
        .collect();
    links.sort();
    assert_eq!(
        links,
        [
            ("Demo.Accounts.ApiToken", "public.api_tokens"),
            ("Demo.Accounts.Organization", "public.organizations"),
            ("Demo.Accounts.User", "platform.users"),
            ("Demo.Legacy.Setting", "public.settings"),
            ("Demo.Metrics.CpuMetric", "platform.cpu_metrics"),
            ("Demo.Metrics.MemoryMetric", "platform.memory_metrics"),
            ("Demo.Platform.AuditLog", "platform.audit_logs"),
            ("Demo.Platform.AuthLockout", "platform.auth_lockouts"),
            ("Demo.Platform.SecurityEvent", "platform.security_events"),
        ]
        .map(|(m, t)| (m.to_string(), t.to_string()))
    );
}

#[test]
fn demo_schema_snapshot() {
    let report = Report::build(&support::repo_path("examples/demo")).expect("the demo indexes");
    let mut out = Vec::new();
    ecto_ash_lsp::cli::json::write_schema(&mut out, &report).expect("writes");
    insta::assert_snapshot!("demo_schema", String::from_utf8_lossy(&out));
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("readable").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The counts the README gives for the demo under each explicit convention.
#[test]
fn demo_under_each_convention() {
    for (convention, total, non_idempotent, snapshot_rules) in
        [("hand-written", 28, 17, 0), ("codegen", 19, 0, 8)]
    {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_tree(&support::repo_path("examples/demo"), dir.path());
        std::fs::write(
            dir.path().join(".ecto-ash-lsp.toml"),
            format!("convention = \"{convention}\"\n"),
        )
        .expect("write");
        let report = Report::build(dir.path()).expect("indexes");
        let count = |codes: &[&str]| {
            report
                .findings
                .iter()
                .filter(|f| codes.contains(&f.code()))
                .count()
        };
        assert_eq!(report.findings.len(), total, "{convention}");
        assert_eq!(
            count(&["non-idempotent-statement"]),
            non_idempotent,
            "{convention}"
        );
        assert_eq!(
            count(&[
                "snapshots-untracked",
                "codegen-would-recreate",
                "stale-snapshot"
            ]),
            snapshot_rules,
            "{convention}"
        );
        assert_eq!(
            count(&["irreversible-idempotent-change", "hidden-drift"]),
            2,
            "{convention}"
        );
    }
}
