//! The real binary: exit codes, what goes to stdout and stderr, bad input,
//! and that a check never writes into the project.

mod support;

use support::{run, stderr, stdout, write_fixture};

use std::collections::BTreeMap;
use std::path::Path;

const CLEAN: &str = r#"
//- /mix.exs
defmodule Shop.MixProject do
  use Mix.Project
end
//- /lib/shop/repo.ex
defmodule Shop.Repo do
  use Ecto.Repo, otp_app: :shop, adapter: Ecto.Adapters.Postgres
end
//- /lib/shop/tag.ex
defmodule Shop.Tag do
  use Ecto.Schema
  schema "tags" do
    field :name, :string
  end
end
//- /priv/repo/migrations/20240101000000_create_tags.exs
defmodule Shop.Repo.Migrations.CreateTags do
  use Ecto.Migration
  def change do
    create_if_not_exists table(:tags) do
      add :name, :string
    end
  end
end
"#;

#[test]
fn version_and_rules() {
    let o = run(&["--version"]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o).trim(),
        format!("ecto-ash-lsp {}", env!("CARGO_PKG_VERSION"))
    );
    let o = run(&["rules"]);
    assert!(o.status.success());
    let text = stdout(&o);
    for rule in ecto_ash_lsp::checks::rules::ALL {
        assert!(
            text.contains(rule.code),
            "{} missing from `rules`",
            rule.code
        );
    }
}

#[test]
fn missing_path_exits_2_with_one_line() {
    let o = run(&["check", "/definitely/not/here"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty());
    assert_eq!(
        stderr(&o).trim(),
        "error: /definitely/not/here: no such file or directory"
    );
    let o = run(&["schema", "/definitely/not/here"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_arguments_exit_2() {
    assert_eq!(run(&["check", "--format", "yaml"]).status.code(), Some(2));
    assert_eq!(run(&["check", "--fail-on", "loud"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn a_file_as_path_exits_2() {
    let o = run(&["check", env!("CARGO_MANIFEST_DIR").to_string().as_str()]);
    assert_ne!(
        o.status.code(),
        Some(2),
        "the repository itself is a folder"
    );
    let manifest = format!("{}/Cargo.toml", env!("CARGO_MANIFEST_DIR"));
    let o = run(&["check", &manifest]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a directory"));
}

#[test]
fn clean_project_exits_0_and_prints_no_colour_to_a_pipe() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_fixture(dir.path(), CLEAN);
    let path = dir.path().to_string_lossy().into_owned();
    let o = run(&["check", &path]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("No findings."));
    assert!(
        !stdout(&o).contains('\u{1b}'),
        "colour codes in piped output"
    );
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn fail_on_decides_the_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Only a warning: a plain `create table` in a hand-written project.
    let fixture = CLEAN.replace("create_if_not_exists table(:tags)", "create table(:tags)")
        + "//- /.ecto-ash-lsp.toml\nconvention = \"hand-written\"\n";
    write_fixture(dir.path(), &fixture);
    let path = dir.path().to_string_lossy().into_owned();
    assert_eq!(run(&["check", &path]).status.code(), Some(0));
    assert_eq!(
        run(&["check", &path, "--fail-on", "warning"]).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&["check", &path, "--fail-on", "never"]).status.code(),
        Some(0)
    );
}

#[test]
fn broken_config_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_fixture(dir.path(), CLEAN);
    std::fs::write(
        dir.path().join(".ecto-ash-lsp.toml"),
        "[rules]\nmissing-column = \"loud\"\n",
    )
    .expect("write");
    let o = run(&["check", &dir.path().to_string_lossy()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: configuration: ") && err.contains(".ecto-ash-lsp.toml"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn json_report_on_the_demo() {
    let demo = support::repo_path("examples/demo");
    let o = run(&["check", &demo.to_string_lossy(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "the demo has errors");
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let doc: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("stdout is one JSON document");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["roots"], serde_json::json!(["."]));
    assert_eq!(doc["index"]["migrations"], 12);
    assert_eq!(doc["index"]["resources"], 8);
    assert_eq!(doc["index"]["schemas"], 1);
    let diags = doc["diagnostics"].as_array().expect("diagnostics");
    assert!(!diags.is_empty());
    let mut last = (String::new(), 0, 0, String::new());
    for d in diags {
        let key = (
            d["file"].as_str().unwrap_or_default().to_string(),
            d["line"].as_u64().unwrap_or(0),
            d["end_line"].as_u64().unwrap_or(0),
            d["code"].as_str().unwrap_or_default().to_string(),
        );
        assert!(key.0 >= last.0, "sorted by file");
        assert!(
            !key.0.starts_with('/') && !key.0.contains('\\'),
            "relative, / separated"
        );
        assert!(key.1 >= 1 && key.2 >= key.1);
        last = key;
        if let Some(table) = d["table"].as_str() {
            assert!(table.contains('.'), "schema-qualified: {table}");
        }
    }
}

#[test]
fn schema_json_on_the_demo() {
    let demo = support::repo_path("examples/demo");
    let o = run(&["schema", &demo.to_string_lossy(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let tables = doc["tables"].as_array().expect("tables");
    let names: Vec<&str> = tables.iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"platform.users"), "{names:?}");
    assert!(names.contains(&"platform.sessions_legacy"), "{names:?}");
    assert!(
        !names.contains(&"platform.sessions"),
        "renamed away: {names:?}"
    );
    let resources = doc["resources"].as_array().expect("resources");
    let cpu = resources
        .iter()
        .find(|r| r["module"] == "Demo.Metrics.CpuMetric")
        .expect("base-module user is a resource");
    assert_eq!(cpu["table"], "platform.cpu_metrics");
    assert_eq!(cpu["kind"], "ash");
}

/// Every file below `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable").flatten() {
            let p = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else {
                out.insert(
                    p.to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap_or_default(),
                );
            }
        }
    }
    out
}

#[test]
fn check_never_writes_into_the_project() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_fixture(dir.path(), CLEAN);
    let before = snapshot(dir.path());
    let path = dir.path().to_string_lossy().into_owned();
    run(&["check", &path]);
    run(&["check", &path, "--format", "json"]);
    run(&["schema", &path]);
    assert_eq!(before, snapshot(dir.path()));
}

#[test]
fn hostile_files_become_findings_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_fixture(dir.path(), CLEAN);
    let lib = dir.path().join("lib/shop");
    std::fs::write(
        lib.join("binary.ex"),
        b"defmodule X do\0\x01\x02 Ecto.Schema end",
    )
    .expect("write");
    std::fs::write(
        lib.join("latin1.ex"),
        b"# caf\xe9\ndefmodule Y do use Ecto.Schema end\n",
    )
    .expect("write");
    let mut huge = String::from("defmodule Z do\n  use Ecto.Schema\n");
    while huge.len() < 9 * 1024 * 1024 {
        huge.push_str("  # padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(lib.join("huge.ex"), huge).expect("write");
    std::fs::write(
        lib.join("deep.ex"),
        format!(
            "defmodule D do\n  use Ecto.Schema\n  @x {}{}\nend\n",
            "[".repeat(20_000),
            "]".repeat(20_000)
        ),
    )
    .expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path(), dir.path().join("lib/loop")).expect("symlink");
    let o = run(&["check", &dir.path().to_string_lossy(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let mut problems: Vec<(String, String)> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "parse-error")
        .map(|d| {
            (
                d["file"].as_str().unwrap_or("").to_string(),
                d["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    problems.sort();
    assert_eq!(
        problems,
        [
            (
                "lib/shop/binary.ex".to_string(),
                "binary file (contains NUL bytes); not indexed".to_string()
            ),
            (
                "lib/shop/deep.ex".to_string(),
                "expressions nest more than 400 levels deep; not indexed".to_string()
            ),
            (
                "lib/shop/huge.ex".to_string(),
                "file is 9.0 MB; files over 8 MB are not indexed".to_string()
            ),
            (
                "lib/shop/latin1.ex".to_string(),
                "not valid UTF-8 text; not indexed".to_string()
            ),
        ]
    );
}

#[test]
fn human_report_on_the_demo_ends_with_counts_per_rule_and_the_codegen_preview() {
    let demo = support::repo_path("examples/demo");
    let o = run(&["check", &demo.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    let tail: Vec<&str> = text
        .lines()
        .rev()
        .take(16)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(
        tail[0].starts_with(
            "Indexed 1 project: 12 migrations, 8 Ash resources and 1 Ecto schema → 9 tables ("
        ),
        "{tail:#?}"
    );
    assert_eq!(
        tail[1],
        "Found 36 findings: 3 errors, 30 warnings, 1 information, 2 hints"
    );
    assert_eq!(tail[2], "   2  error        missing-column");
    assert_eq!(tail[4], "  17  warning      non-idempotent-statement");
    assert_eq!(
        tail[15],
        "mix ash.codegen would emit: 8 create table, 0 alter table"
    );
    assert!(text
        .starts_with("warning[snapshots-untracked]: `priv/resource_snapshots` is ignored by git"));
}

#[test]
fn check_help_lists_every_rule() {
    let o = run(&["check", "--help"]);
    assert!(o.status.success());
    let text = stdout(&o);
    for rule in ecto_ash_lsp::checks::rules::ALL {
        assert!(
            text.contains(rule.code),
            "{} missing from check --help",
            rule.code
        );
    }
}
