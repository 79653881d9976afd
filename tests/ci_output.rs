//! CI output of the real binary: SARIF (golden, and valid against the SARIF
//! 2.1.0 schema), GitHub annotations (golden), baselines (write, re-run,
//! shifted lines, new findings, bad files) and `--changed-since` on a git
//! repository built here.

mod support;

use support::{run, run_in, stderr, stdout, write_fixture};

use std::path::Path;
use std::process::{Command, Output};

/// One error (with a related location), one warning with a kind, one hint.
/// A plain Ecto project that opts into hand-written (re-runnable) migrations.
const SHOP: &str = r#"
//- /.ecto-ash-lsp.toml
convention = "hand-written"
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
    field :color, :string
  end
end
//- /lib/shop/label.ex
defmodule Shop.Label do
  use Ecto.Schema
  schema "labels" do
    field :text, :string
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
//- /priv/repo/migrations/20240102000000_create_labels.exs
defmodule Shop.Repo.Migrations.CreateLabels do
  use Ecto.Migration
  def change do
    create table(:labels) do
      add :text, :text
      add :legacy, :string
    end
  end
end
"#;

fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_fixture(dir.path(), SHOP);
    dir
}

fn path_of(dir: &tempfile::TempDir) -> String {
    dir.path().to_string_lossy().into_owned()
}

/// `(code, file, line)` of each diagnostic of a `--format json` report.
fn diagnostics(o: &Output) -> Vec<(String, String, u64)> {
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["file"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- SARIF

/// The vendored schema: `lib/schemas/sarif-2.1.0-rtm.5.json` from the npm
/// package `@microsoft/jest-sarif` 1.0.0-beta.0 (Microsoft's sarif-js-sdk,
/// MIT licence; see tests/sarif/NOTICE.md). Apart from descriptions and its
/// JSON Schema draft (04), its constraints are those of the OASIS
/// `sarif-schema-2.1.0.json`.
fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(support::repo_path("tests/sarif/sarif-2.1.0-rtm.5.json"))
        .expect("the SARIF schema is vendored in tests/sarif");
    // The `language` patterns have a stray `]`: a literal in ECMAScript's
    // regex dialect, refused by the Rust meta-schema check. Escaping it keeps
    // the meaning (the OASIS schema has the same patterns; we emit none).
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(text.matches(stray).count(), 2, "the schema changed");
    let text = text.replace(stray, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, log: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn sarif_golden() {
    let dir = shop();
    let o = run(&["check", &path_of(&dir), "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    // Only the descriptors of the rules that fired, so the golden file shows
    // their shape without changing with every new rule (`ruleIndex` still
    // counts the whole catalogue, checked in the schema test).
    let mut log: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let fired: Vec<serde_json::Value> = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["ruleId"].clone())
        .collect();
    let driver = &mut log["runs"][0]["tool"]["driver"];
    driver["version"] = "[version]".into();
    driver["semanticVersion"] = "[version]".into();
    if let Some(rules) = driver["rules"].as_array_mut() {
        rules.retain(|r| fired.contains(&r["id"]));
    }
    let text = serde_json::to_string_pretty(&log).expect("JSON");
    insta::assert_snapshot!("sarif_shop", text);
}

#[test]
fn sarif_is_valid_against_the_schema() {
    let validator = sarif_validator();
    let dir = shop();
    let demo = support::repo_path("examples/demo");
    for path in [path_of(&dir), demo.to_string_lossy().into_owned()] {
        let o = run(&["check", &path, "--format", "sarif"]);
        let log: serde_json::Value = serde_json::from_slice(&o.stdout).expect("SARIF is JSON");
        let errors = schema_errors(&validator, &log);
        assert!(errors.is_empty(), "{path}: {errors:#?}");
        let results = log["runs"][0]["results"].as_array().expect("results");
        assert!(!results.is_empty(), "{path} has findings");
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules");
        for r in results {
            let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(
                rules[index]["id"], r["ruleId"],
                "ruleIndex points at ruleId"
            );
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .expect("uri");
            assert!(!uri.starts_with('/') && !uri.contains('\\'), "{uri}");
            assert!(r["partialFingerprints"]["ectoAshLsp/v1"].is_string());
        }
    }
    // The validator is not vacuous: a level SARIF does not have is refused.
    let o = run(&["check", &path_of(&dir), "--format", "sarif"]);
    let mut log: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    log["runs"][0]["results"][0]["level"] = serde_json::json!("hint");
    assert!(!schema_errors(&validator, &log).is_empty());
}

#[test]
fn sarif_fingerprints_survive_line_shifts_and_count_repeats() {
    let fingerprints = |dir: &Path| -> Vec<String> {
        let o = run(&["check", &dir.to_string_lossy(), "--format", "sarif"]);
        let log: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let mut out: Vec<String> = log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                r["partialFingerprints"]["ectoAshLsp/v1"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        out.sort();
        out
    };
    let dir = shop();
    let before = fingerprints(dir.path());
    shift_lines(dir.path());
    assert_eq!(fingerprints(dir.path()), before);
    assert!(before.iter().all(|fp| fp.ends_with(":1")), "{before:?}");
}

// --------------------------------------------------------------- GitHub

#[test]
fn github_golden() {
    let dir = shop();
    let o = run(&["check", &path_of(&dir), "--format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    insta::assert_snapshot!("github_shop", stdout(&o));
}

#[test]
fn github_escapes_file_names() {
    let dir = shop();
    let odd = dir.path().join("lib/shop/tag.ex");
    let renamed = dir.path().join("lib/shop/tag,v2: 100%.ex");
    std::fs::rename(odd, renamed).expect("rename");
    let o = run(&["check", &path_of(&dir), "--format", "github"]);
    let text = stdout(&o);
    assert!(
        text.contains("::error file=lib/shop/tag%2Cv2%3A 100%25.ex,line=5,col=11,"),
        "{text}"
    );
}

// ------------------------------------------------------------- baseline

/// Insert lines above every finding: a module doc in each file.
fn shift_lines(dir: &Path) {
    for rel in [
        "lib/shop/tag.ex",
        "lib/shop/label.ex",
        "priv/repo/migrations/20240101000000_create_tags.exs",
        "priv/repo/migrations/20240102000000_create_labels.exs",
    ] {
        let path = dir.join(rel);
        let text = std::fs::read_to_string(&path).expect("read");
        let shifted = text.replacen(
            " do\n",
            " do\n  @moduledoc \"\"\"\n  Moved down by three lines.\n  \"\"\"\n",
            1,
        );
        assert_ne!(text, shifted);
        std::fs::write(&path, shifted).expect("write");
    }
}

#[test]
fn baseline_round_trip() {
    let dir = shop();
    let path = path_of(&dir);
    let baseline = dir.path().join("ecto-ash-lsp-baseline.json");
    let file = baseline.to_string_lossy().into_owned();

    let o = run(&["check", &path, "--baseline", &file, "--write-baseline"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim(), format!("wrote 3 findings to {file}"));
    let written = std::fs::read_to_string(&baseline).expect("baseline written");
    assert!(written.contains("\"format_version\": 1"), "{written}");
    assert!(!written.contains("\"line\""), "no line numbers: {written}");

    let o = run(&["check", &path, "--baseline", &file, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(diagnostics(&o), []);
    assert_eq!(
        stderr(&o).trim(),
        format!("3 findings left out: accepted in {file}")
    );

    shift_lines(dir.path());
    let o = run(&["check", &path, "--baseline", &file, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(diagnostics(&o), [], "line shifts keep findings known");

    // A new attribute without a column is a new error.
    let tag = dir.path().join("lib/shop/tag.ex");
    let text = std::fs::read_to_string(&tag).expect("read");
    std::fs::write(
        &tag,
        text.replace(
            "    field :color, :string\n",
            "    field :color, :string\n    field :weight, :integer\n",
        ),
    )
    .expect("write");
    let o = run(&["check", &path, "--baseline", &file, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        diagnostics(&o),
        [(
            "missing-column".to_string(),
            "lib/shop/tag.ex".to_string(),
            9
        )]
    );

    // Accept it too, then repeat an accepted line: the second copy is new.
    let o = run(&["check", &path, "--baseline", &file, "--write-baseline"]);
    assert_eq!(o.status.code(), Some(0));
    let text = std::fs::read_to_string(&tag).expect("read");
    std::fs::write(
        &tag,
        text.replace(
            "    field :weight, :integer\n",
            "    field :weight, :integer\n    field :weight, :integer\n",
        ),
    )
    .expect("write");
    let o = run(&["check", &path, "--baseline", &file, "--format", "json"]);
    let got = diagnostics(&o);
    assert_eq!(o.status.code(), Some(1), "{got:?}");
    assert_eq!(
        got,
        [(
            "missing-column".to_string(),
            "lib/shop/tag.ex".to_string(),
            10
        )]
    );

    // Fixing a finding leaves a stale entry: reported on stderr, exit 0.
    let labels = dir
        .path()
        .join("priv/repo/migrations/20240102000000_create_labels.exs");
    let text = std::fs::read_to_string(&labels).expect("read");
    std::fs::write(&labels, text.replace("      add :legacy, :string\n", "")).expect("write");
    let o = run(&["check", &path, "--baseline", &file, "--fail-on", "never"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("1 accepted finding of ") && stderr(&o).contains("no longer occur"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_baselines_exit_2_with_one_line() {
    let dir = shop();
    let path = path_of(&dir);
    let cases: [(&str, &[u8], &str); 4] = [
        ("garbage.json", b"\0\x01not json", "not valid JSON"),
        (
            "other-tool.json",
            br#"{"version": 1, "findings": []}"#,
            "not a baseline written by ecto-ash-lsp",
        ),
        (
            "future.json",
            br#"{"tool": "ecto-ash-lsp", "format_version": 2, "findings": []}"#,
            "format version 2 is not the version 1 this build reads; rewrite it with `--write-baseline`",
        ),
        (
            "broken.json",
            br#"{"tool": "ecto-ash-lsp", "format_version": 1, "findings": [{"count": "one"}]}"#,
            "malformed (",
        ),
    ];
    for (name, bytes, expected) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).expect("write");
        let shown = file.to_string_lossy().into_owned();
        let o = run(&["check", &path, "--baseline", &shown]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(stdout(&o).is_empty(), "{name}: {}", stdout(&o));
        let err = stderr(&o);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("error: baseline {shown}: ")) && err.contains(expected),
            "{name}: {err}"
        );
    }
    let missing = dir
        .path()
        .join("missing.json")
        .to_string_lossy()
        .into_owned();
    let o = run(&["check", &path, "--baseline", &missing]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        format!("error: baseline {missing}: no such file; create it with `--write-baseline`")
    );
    // --write-baseline needs a file and cannot be partial.
    assert_eq!(
        run(&["check", &path, "--write-baseline"]).status.code(),
        Some(2)
    );
    let o = run(&[
        "check",
        &path,
        "--baseline",
        &missing,
        "--write-baseline",
        "--changed-since",
        "HEAD",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!Path::new(&missing).exists());
}

// --------------------------------------------------------- changed-since

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(["-c", "init.defaultBranch=main"])
        .args([
            "-c",
            "user.name=CI Output Test",
            "-c",
            "user.email=ci@example.com",
        ])
        .args(["-c", "commit.gpgsign=false"])
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

/// A repository whose project lives in `apps/shop`, committed once.
fn repository() -> (tempfile::TempDir, std::path::PathBuf) {
    let repo = tempfile::tempdir().expect("tempdir");
    let project = repo.path().join("apps/shop");
    write_fixture(&project, SHOP);
    std::fs::write(repo.path().join("README.md"), "# monorepo\n").expect("write");
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-q", "-m", "shop"]);
    (repo, project)
}

fn append_field(project: &Path, rel: &str, after: &str, field: &str) {
    let path = project.join(rel);
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace(after, &format!("{after}{field}"))).expect("write");
}

#[test]
fn changed_since_reports_what_the_changes_concern() {
    let (repo, project) = repository();
    let path = project.to_string_lossy().into_owned();
    let changed = |rev: &str| {
        let o = run(&["check", &path, "--changed-since", rev, "--format", "json"]);
        assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
        let mut d = diagnostics(&o);
        d.sort();
        (o.status.code(), d)
    };
    assert_eq!(changed("HEAD"), (Some(0), vec![]), "nothing changed");

    // An uncommitted change to a migration of `labels`: the migration's
    // findings and those of the resource on its table, nothing of `tags`.
    append_field(
        &project,
        "priv/repo/migrations/20240102000000_create_labels.exs",
        "      add :legacy, :string\n",
        "      add :note, :text\n",
    );
    let labels = "priv/repo/migrations/20240102000000_create_labels.exs".to_string();
    assert_eq!(
        changed("HEAD"),
        (
            Some(0),
            vec![
                ("extra-column".to_string(), labels.clone(), 6),
                ("extra-column".to_string(), labels.clone(), 7),
                ("non-idempotent-statement".to_string(), labels.clone(), 4),
            ]
        )
    );
    git(repo.path(), &["commit", "-q", "-am", "note"]);
    let first = "HEAD~1";
    assert_eq!(changed("HEAD"), (Some(0), vec![]));
    assert_eq!(changed(first).1.len(), 3, "committed changes count too");

    // An untracked resource on `tags`: its findings and the `tags`
    // migration's, nothing of `labels`.
    std::fs::write(
        project.join("lib/shop/tag_view.ex"),
        "defmodule Shop.TagView do\n  use Ecto.Schema\n  schema \"tags\" do\n    field :shade, :string\n  end\nend\n",
    )
    .expect("write");
    let (code, got) = changed("HEAD");
    assert_eq!(code, Some(1), "{got:?}");
    assert!(
        got.contains(&(
            "missing-column".to_string(),
            "lib/shop/tag_view.ex".to_string(),
            4
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "missing-column".to_string(),
            "lib/shop/tag.ex".to_string(),
            5
        )),
        "findings about the same table come along: {got:?}"
    );
    assert!(!got.iter().any(|(_, f, _)| f.contains("label")), "{got:?}");

    // A change outside PATH concerns nothing in it.
    std::fs::remove_file(project.join("lib/shop/tag_view.ex")).expect("rm");
    std::fs::write(repo.path().join("README.md"), "# changed\n").expect("write");
    assert_eq!(changed("HEAD"), (Some(0), vec![]));

    // git wrote nothing: the index is as it was.
    let status = Command::new("git")
        .arg("-C")
        .arg(repo.path())
        .args(["status", "--porcelain"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git");
    assert_eq!(stdout(&status).trim(), "M README.md");
}

#[test]
fn changed_since_from_inside_the_project_with_a_relative_path() {
    let (_repo, project) = repository();
    append_field(
        &project,
        "lib/shop/label.ex",
        "    field :text, :string\n",
        "    field :size, :integer\n",
    );
    let o = run_in(
        Some(&project.join("lib")),
        &[
            "check",
            "..",
            "--changed-since",
            "HEAD",
            "--format",
            "github",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("file=lib/shop/label.ex,line=5,"), "{text}");
    assert!(!text.contains("tag"), "{text}");
}

#[test]
fn changed_since_bad_input_exits_2_with_one_line() {
    let (_repo, project) = repository();
    let path = project.to_string_lossy().into_owned();
    let one_line = |o: &Output| {
        assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
        assert!(stdout(o).is_empty());
        let err = stderr(o);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        err.trim().to_string()
    };

    let err = one_line(&run(&["check", &path, "--changed-since", "no-such-branch"]));
    assert!(
        err.starts_with("error: --changed-since: unknown revision \"no-such-branch\""),
        "{err}"
    );
    let err = one_line(&run(&["check", &path, "--changed-since=--output=x"]));
    assert!(err.contains("is not a git revision"), "{err}");

    let plain = shop();
    let err = one_line(&run(&[
        "check",
        &path_of(&plain),
        "--changed-since",
        "HEAD",
    ]));
    assert_eq!(
        err,
        format!(
            "error: --changed-since: {} is not inside a git repository",
            path_of(&plain)
        )
    );

    // No git on PATH.
    let o = Command::new(env!("CARGO_BIN_EXE_ecto-ash-lsp"))
        .args(["check", &path, "--changed-since", "HEAD"])
        .env("PATH", "")
        .output()
        .expect("runs");
    assert_eq!(
        one_line(&o),
        "error: --changed-since needs git, which is not on PATH"
    );
}
