//! Hostile files and folders: 10 MB files, binary files named `.ex`,
//! non-UTF-8 text, 10,000-deep nesting, 1 MB lines, symlink loops,
//! unreadable files and folders, a 20,000-file workspace, and files deleted
//! between listing and reading. Each gives a diagnostic or a skip, never a
//! crash or a hang: every run of the binary has a generous deadline, and
//! the times are printed (measured, not asserted).

#[path = "lsp/client.rs"]
mod client;
mod support;

use client::{capabilities, uri, TestClient};
use ecto_ash_lsp::model::workspace::{SourceFile, Workspace};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::write_fixture;

/// A run longer than this is a hang.
const DEADLINE: Duration = Duration::from_secs(180);

const PROJECT: &str = r#"
//- /mix.exs
defmodule Shop.MixProject do
  use Mix.Project
end
//- /lib/shop/repo.ex
defmodule Shop.Repo do
  use AshPostgres.Repo, otp_app: :shop
end
//- /lib/shop/tag.ex
defmodule Shop.Tag do
  use Ash.Resource, domain: Shop, data_layer: AshPostgres.DataLayer

  postgres do
    table "tags"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :label, :string
  end
end
//- /priv/repo/migrations/20240101000000_create_tags.exs
defmodule Shop.Repo.Migrations.CreateTags do
  use Ecto.Migration

  def change do
    create table(:tags, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :label, :string
    end
  end
end
"#;

/// Run the binary with a deadline, optionally as another user; `check
/// --format json` output parsed, and how long it took.
fn check_json(dir: &Path, as_user: Option<u32>) -> (Value, Duration) {
    let mut cmd = match as_user {
        Some(uid) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={uid}"))
                .arg("--clear-groups")
                .arg(env!("CARGO_BIN_EXE_ecto-ash-lsp"));
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_ecto-ash-lsp")),
    };
    cmd.args(["check", "--format", "json"])
        .arg(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("the binary starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("check ran over {DEADLINE:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    let out = reader.join().expect("reader");
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "check crashed or failed: {status:?}"
    );
    (
        serde_json::from_slice(&out).expect("check prints JSON"),
        took,
    )
}

/// `parse-error` messages by file.
fn parse_errors(report: &Value) -> BTreeMap<String, String> {
    report["diagnostics"]
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
        .collect()
}

fn codes(report: &Value) -> Vec<String> {
    let mut c: Vec<String> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect();
    c.sort();
    c
}

/// The hostile files, beside a healthy project.
fn hostile_project(root: &Path) {
    write_fixture(root, PROJECT);
    let lib = root.join("lib/shop");
    let migrations = root.join("priv/repo/migrations");
    // 10 MB of a resource, and of a migration.
    let mut big = String::from("defmodule Shop.Big do\n  use Ash.Resource\n");
    while big.len() < 10 * 1024 * 1024 {
        big.push_str("  # padding padding padding padding padding padding padding\n");
    }
    big.push_str("end\n");
    std::fs::write(lib.join("big.ex"), &big).expect("write");
    std::fs::write(migrations.join("20240102000000_big.exs"), &big).expect("write");
    // Random-looking binary named `.ex`, mentioning a resource.
    let mut binary: Vec<u8> = b"use Ash.Resource\n".to_vec();
    let mut x: u32 = 2463534242;
    for _ in 0..100_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        binary.push((x & 0xff) as u8);
    }
    std::fs::write(lib.join("binary.ex"), &binary).expect("write");
    // Latin-1, not UTF-8.
    std::fs::write(
        migrations.join("20240103000000_latin1.exs"),
        b"defmodule M do\n  use Ecto.Migration\n  # caf\xe9\n  def change do\n    create table(:caf\xe9)\n  end\nend\n",
    )
    .expect("write");
    // 10,000-deep nesting in a migration.
    std::fs::write(
        migrations.join("20240104000000_deep.exs"),
        format!(
            "defmodule Deep do\n  use Ecto.Migration\n  def change do\n    x = {}1{}\n  end\nend\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    )
    .expect("write");
    // A 1 MB line: a raw SQL string in an `execute`.
    let columns: Vec<String> = (0..60_000).map(|i| format!("c{i} int")).collect();
    std::fs::write(
        migrations.join("20240105000000_wide.exs"),
        format!(
            "defmodule Wide do\n  use Ecto.Migration\n  def change do\n    execute \"CREATE TABLE wide ({})\"\n  end\nend\n",
            columns.join(", ")
        ),
    )
    .expect("write");
    // Symlink loops: a folder linking to its ancestor, two files linking to
    // each other, a link to itself.
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(root, lib.join("loop")).expect("symlink");
        symlink(lib.join("b.ex"), lib.join("a.ex")).expect("symlink");
        symlink(lib.join("a.ex"), lib.join("b.ex")).expect("symlink");
        symlink(lib.join("self.ex"), lib.join("self.ex")).expect("symlink");
    }
}

#[test]
fn hostile_files_are_reported_or_skipped_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    hostile_project(dir.path());
    let (report, took) = check_json(dir.path(), None);
    eprintln!("check of the hostile project: {took:?}");
    let errors = parse_errors(&report);
    let expect = [
        ("lib/shop/big.ex", "files over 8 MB are not indexed"),
        (
            "priv/repo/migrations/20240102000000_big.exs",
            "files over 8 MB are not indexed",
        ),
        ("lib/shop/binary.ex", "binary file"),
        (
            "priv/repo/migrations/20240103000000_latin1.exs",
            "not valid UTF-8",
        ),
        (
            "priv/repo/migrations/20240104000000_deep.exs",
            "nest more than 400 levels",
        ),
    ];
    for (file, message) in expect {
        assert!(
            errors.get(file).is_some_and(|m| m.contains(message)),
            "{file}: expected {message:?}, got {:?}",
            errors.get(file)
        );
    }
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");
    // The healthy part is still checked: the 1 MB line's table was read
    // (it has no resource), the tags table is linked (no drift on it).
    let all = codes(&report);
    assert!(all.iter().any(|c| c == "table-without-resource"), "{all:?}");
    let about_tags = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| {
            d["message"]
                .as_str()
                .is_some_and(|m| m.contains("public.tags"))
                && d["code"] != "non-idempotent-statement"
                && d["code"] != "codegen-would-recreate"
                && d["code"] != "irreversible-idempotent-change"
        })
        .count();
    assert_eq!(about_tags, 0, "{report:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_indexes_the_hostile_project_and_keeps_answering() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    hostile_project(root);
    let started = Instant::now();
    let mut c = TestClient::start();
    c.initialize(&[root], capabilities(&["utf-16"]), Value::Null)
        .await;
    let deep = c
        .diagnostics(
            &uri(root, "priv/repo/migrations/20240104000000_deep.exs"),
            |d| !d.is_empty(),
        )
        .await;
    assert!(deep.to_string().contains("nest more than 400"), "{deep}");
    eprintln!(
        "server indexed the hostile project in {:?}",
        started.elapsed()
    );
    // Open the binary file and a 1 MB line, and ask about both.
    let binary = std::fs::read(root.join("lib/shop/binary.ex")).expect("read");
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(root, "lib/shop/binary.ex"), "languageId": "elixir", "version": 1,
            "text": String::from_utf8_lossy(&binary)}}),
    )
    .await;
    let wide = "priv/repo/migrations/20240105000000_wide.exs";
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(root, wide)}, "position": {"line": 3, "character": 500_000}}),
        )
        .await;
    assert!(hover.get("error").is_none(), "{hover}");
    let symbols = c
        .result(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri(root, wide)}}),
        )
        .await;
    assert!(symbols.to_string().contains("wide"), "{symbols}");
    let tag = c
        .result(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(root, "lib/shop/tag.ex")}, "position": {"line": 0, "character": 12}}),
        )
        .await;
    assert!(tag.to_string().contains("Shop.Tag"), "{tag}");
    assert_eq!(c.shutdown().await, 0);
}

#[test]
fn unreadable_files_and_folders_are_reported_or_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write_fixture(root, PROJECT);
    let secret = root.join("lib/shop/secret.ex");
    std::fs::write(&secret, "defmodule Secret do\n  use Ash.Resource\nend\n").expect("write");
    let closed = root.join("lib/closed");
    std::fs::create_dir(&closed).expect("mkdir");
    std::fs::write(
        closed.join("hidden.ex"),
        "defmodule Hidden do\n  use Ash.Resource\nend\n",
    )
    .expect("write");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    // Root reads through chmod 000: then run the check as `nobody`, who
    // must be able to reach the folder.
    let as_user = if std::fs::read(&secret).is_ok() {
        let setpriv = support::external_tool("setpriv", &["/usr/bin/setpriv"]);
        if setpriv.is_none() {
            eprintln!("skipped: running as a user who can read chmod 000 files, and no setpriv to drop that");
            return;
        }
        for path in [root, &root.join("lib"), &root.join("lib/shop")] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let mut p = root.parent();
        while let Some(dir) = p {
            if std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o001 == 0) {
                eprintln!("skipped: {} is not reachable by other users", dir.display());
                return;
            }
            p = dir.parent();
        }
        Some(65534)
    } else {
        None
    };
    let (report, took) = check_json(root, as_user);
    eprintln!("check with unreadable files: {took:?} (as user {as_user:?})");
    let errors = parse_errors(&report);
    assert!(
        errors
            .get("lib/shop/secret.ex")
            .is_some_and(|m| m.starts_with("could not read")),
        "{errors:#?}"
    );
    // The closed folder cannot be listed: skipped, and the run goes on.
    assert!(!errors.contains_key("lib/closed/hidden.ex"), "{errors:#?}");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    // Leave the folder removable.
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn twenty_thousand_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write_fixture(root, PROJECT);
    let started = Instant::now();
    for i in 0..20_000 {
        let folder = root.join(format!("lib/shop/area{}", i / 500));
        if i % 500 == 0 {
            std::fs::create_dir_all(&folder).expect("mkdir");
        }
        // One file in 100 is a resource (without a table: not linked).
        let text = if i % 100 == 0 {
            format!("defmodule Shop.R{i} do\n  use Ash.Resource, domain: Shop\n\n  attributes do\n    uuid_primary_key :id\n  end\nend\n")
        } else {
            format!("defmodule Shop.Plain{i} do\n  def value, do: {i}\nend\n")
        };
        std::fs::write(folder.join(format!("f{i}.ex")), text).expect("write");
    }
    eprintln!("wrote 20,000 files in {:?}", started.elapsed());
    let (report, took) = check_json(root, None);
    eprintln!("check of 20,000 files: {took:?}");
    // Every file seen, indexed or skipped as irrelevant.
    let files = report["index"]["files"].as_u64().unwrap_or(0);
    assert!(files >= 20_000, "{}", report["index"]);
    assert!(parse_errors(&report).is_empty());
}

#[test]
fn files_deleted_between_listing_and_reading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write_fixture(root, PROJECT);
    let doomed = root.join("lib/doomed");
    std::fs::create_dir(&doomed).expect("mkdir");
    for i in 0..300 {
        std::fs::write(
            doomed.join(format!("r{i}.ex")),
            format!("defmodule Doomed.R{i} do\n  use Ash.Resource\nend\n"),
        )
        .expect("write");
    }
    // The progress callback runs just before each file is read: the first
    // call deletes every doomed file, after they were listed.
    let deleted = AtomicBool::new(false);
    let ws = Workspace::load_with(root, Default::default(), &|_, _| {
        if !deleted.swap(true, Ordering::SeqCst) {
            let _ = std::fs::remove_dir_all(&doomed);
        }
    })
    .expect("loads");
    let problems: Vec<&SourceFile> = ws
        .files
        .values()
        .filter(|f| f.rel.starts_with("lib/doomed/"))
        .filter(|f| f.problem.is_some())
        .collect();
    assert!(
        problems.len() > 250,
        "{} doomed files reported",
        problems.len()
    );
    for f in &problems {
        let p = f.problem.as_deref().unwrap_or("");
        assert!(p.starts_with("could not read"), "{}: {p}", f.rel);
    }
    // The rest of the project is indexed as usual.
    assert!(ws
        .files
        .get("lib/shop/tag.ex")
        .is_some_and(|f| f.problem.is_none()));
}
