//! `ecto-ash-lsp sql`: the SQL of the demo's migrations, per file in version
//! order, up and down.

mod support;

use support::{repo_path, run, stderr, stdout};

fn demo() -> String {
    repo_path("examples/demo").to_string_lossy().into_owned()
}

#[test]
fn prints_every_migration_in_version_order_with_a_header() {
    let out = run(&["sql", &demo()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("-- priv/")).collect();
    assert_eq!(headers.len(), 12, "{text}");
    assert_eq!(
        headers.first().copied(),
        Some("-- priv/repo/migrations/20230306101500_create_platform_schema.exs (version 20230306101500, up)")
    );
    let mut sorted = headers.clone();
    sorted.sort();
    assert_eq!(headers, sorted);
    assert!(text.contains(
        "CREATE TABLE \"settings\" (\"id\" bigserial, \"key\" varchar(255) NOT NULL, \"value\" text, \
\"description\" varchar(255), \"inserted_at\" timestamp(0) NOT NULL, \"updated_at\" timestamp(0) NOT NULL, \
PRIMARY KEY (\"id\"));\n"
    ));
    assert!(text.contains("ALTER TABLE \"platform\".\"sessions\" RENAME TO \"sessions_legacy\";\n"));
    assert!(text.contains(
        "-- ecto-ash-lsp: cannot render: the interpolation `#{audit_schema()}` is not a literal\n"
    ));
}

#[test]
fn one_migration_rolled_back() {
    let out = run(&[
        "sql",
        &demo(),
        "--migration",
        "20231030140000",
        "--direction",
        "down",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "-- priv/repo/migrations/20231030140000_replace_sessions_with_api_tokens.exs (version 20231030140000, down)
ALTER TABLE \"platform\".\"sessions_legacy\" RENAME TO \"sessions\";
DROP INDEX \"api_tokens_user_id_index\";
DROP INDEX \"api_tokens_token_hash_index\";
DROP TABLE \"api_tokens\";
"
    );
    let out = run(&[
        "sql",
        &demo(),
        "--migration",
        "20240122091500",
        "--direction",
        "down",
    ]);
    assert!(
        stdout(&out).contains("ALTER TABLE \"platform\".\"users\" DROP COLUMN \"totp_enabled\";\n")
    );
}

#[test]
fn an_unknown_version_is_trouble() {
    let out = run(&["sql", &demo(), "--migration", "19990101000000"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: no migration with version 19990101000000\n"
    );
    assert!(stdout(&out).is_empty());
}
