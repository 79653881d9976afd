//! Safety: nothing from the project is ever run (a project whose `mix.exs`,
//! config and sources would create a file if run stays untouched after
//! `check`, `schema`, indexing and every request); files are written only by
//! `generate --write` (one new file, inside the root, never over an existing
//! one, never through a symlink out of it) and `check --fix` (never through
//! a symlink out of the root); the server writes nothing itself and refuses
//! paths outside its workspace folders.

#[path = "lsp/client.rs"]
mod client;
mod support;

use client::{capabilities, uri, TestClient};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::{run, write_fixture};

/// Every file below `dir` with its bytes (symlinks as their target).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap_or_default();
                out.insert(path, target.to_string_lossy().as_bytes().to_vec());
            } else if meta.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let path = e.path();
        let target = to.join(e.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// A project each of whose Elixir files writes `marker/<name>` when run
/// (at the top level of the file, so loading it is enough).
fn trapped_project(root: &Path, marker: &Path) {
    let trap = |name: &str| {
        format!(
            "File.write!({:?}, \"ran\")\n",
            marker.join(name).to_string_lossy()
        )
    };
    let fixture = format!(
        r#"
//- /mix.exs
{mix}defmodule Shop.MixProject do
  use Mix.Project
  def project, do: [app: :shop, version: "0.1.0"]
end
//- /config/config.exs
import Config
{config}config :shop, ecto_repos: [Shop.Repo]
//- /config/runtime.exs
import Config
{runtime}config :shop, Shop.Repo, url: System.get_env("DATABASE_URL")
//- /lib/shop/repo.ex
{repo}defmodule Shop.Repo do
  use AshPostgres.Repo, otp_app: :shop
end
//- /lib/shop/tag.ex
{resource}defmodule Shop.Tag do
  use Ash.Resource, domain: Shop, data_layer: AshPostgres.DataLayer
  System.cmd("touch", [{touch:?}])

  postgres do
    table "tags"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :label, :string
    attribute :color, :string
  end
end
//- /priv/repo/migrations/20240101000000_create_tags.exs
{migration}defmodule Shop.Repo.Migrations.CreateTags do
  use Ecto.Migration

  def change do
    create table(:tags, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :label, :string
    end
  end
end
"#,
        mix = trap("mix"),
        config = trap("config"),
        runtime = trap("runtime"),
        repo = trap("repo"),
        resource = trap("resource"),
        migration = trap("migration"),
        touch = marker.join("touched").to_string_lossy(),
    );
    write_fixture(root, &fixture);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_from_the_project_is_run_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("shop");
    let marker = dir.path().join("markers");
    std::fs::create_dir_all(&marker).expect("mkdir");
    trapped_project(&root, &marker);
    // The traps are live: Elixir running the project's mix.exs creates the
    // marker (our own fixture, in a scratch copy; never done by the tool).
    if let Some(elixir) = support::external_tool("elixir", &[]) {
        let scratch = tempfile::tempdir().expect("temp dir");
        let text = std::fs::read_to_string(root.join("mix.exs")).expect("read");
        let first = text.lines().next().unwrap_or("").to_string();
        std::fs::write(scratch.path().join("trap.exs"), first).expect("write");
        let status = std::process::Command::new(elixir)
            .arg(scratch.path().join("trap.exs"))
            .status()
            .expect("elixir runs");
        assert!(status.success());
        assert!(marker.join("mix").exists(), "the trap works when run");
        std::fs::remove_file(marker.join("mix")).expect("remove marker");
    }
    let before = snapshot(dir.path());
    let path = root.to_string_lossy().into_owned();
    for args in [
        vec!["check", &path],
        vec!["check", &path, "--format", "json"],
        vec!["check", &path, "--format", "sarif"],
        vec!["check", &path, "--format", "github"],
        vec!["schema", &path, "--format", "json"],
        vec!["generate", "Tag", &path],
    ] {
        let o = run(&args);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            support::stderr(&o)
        );
    }
    assert_eq!(
        before,
        snapshot(dir.path()),
        "the command line wrote or ran something"
    );

    // The server: index, then every request on every file.
    let mut c = TestClient::start();
    c.initialize(&[&root], capabilities(&["utf-16"]), Value::Null)
        .await;
    c.wait_for(|m| m["method"] == "textDocument/publishDiagnostics")
        .await;
    let files = [
        "mix.exs",
        "config/config.exs",
        "config/runtime.exs",
        "lib/shop/repo.ex",
        "lib/shop/tag.ex",
        "priv/repo/migrations/20240101000000_create_tags.exs",
    ];
    for rel in files {
        let started = std::time::Instant::now();
        let doc = json!({"uri": uri(&root, rel)});
        let text = std::fs::read_to_string(root.join(rel)).expect("read");
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(&root, rel), "languageId": "elixir", "version": 1, "text": text}}),
        )
        .await;
        for line in 0..text.lines().count() as u32 {
            let at = json!({"textDocument": doc, "position": {"line": line, "character": 8}});
            c.request("textDocument/hover", at.clone()).await;
            c.request("textDocument/definition", at.clone()).await;
            let mut refs = at.clone();
            refs["context"] = json!({"includeDeclaration": true});
            c.request("textDocument/references", refs).await;
            c.request(
                "textDocument/codeAction",
                json!({"textDocument": doc, "range": {"start": {"line": line, "character": 0}, "end": {"line": line + 1, "character": 0}},
                    "context": {"diagnostics": []}}),
            )
            .await;
        }
        c.request("textDocument/documentSymbol", json!({"textDocument": doc}))
            .await;
        c.notify("textDocument/didSave", json!({"textDocument": doc}))
            .await;
        c.notify("textDocument/didClose", json!({"textDocument": doc}))
            .await;
        eprintln!("{rel}: every request in {:?}", started.elapsed());
    }
    c.request("workspace/symbol", json!({"query": ""})).await;
    assert_eq!(c.shutdown().await, 0);
    assert_eq!(
        before,
        snapshot(dir.path()),
        "the server wrote or ran something"
    );
    assert!(std::fs::read_dir(&marker)
        .expect("markers")
        .next()
        .is_none());
}

/// A copy of the demo (which has a resource without its table) in `dir/demo`.
fn demo_copy(dir: &Path) -> PathBuf {
    let root = dir.join("demo");
    copy_dir(&support::repo_path("examples/demo"), &root);
    root
}

#[test]
fn generate_write_adds_one_file_inside_the_root_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = demo_copy(dir.path());
    let path = root.to_string_lossy().into_owned();
    let before = snapshot(dir.path());
    let o = run(&["generate", "SecurityEvent", &path, "--write"]);
    assert_eq!(o.status.code(), Some(0), "{}", support::stderr(&o));
    let after = snapshot(dir.path());
    let added: Vec<&PathBuf> = after.keys().filter(|p| !before.contains_key(*p)).collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(
        added[0].starts_with(root.join("priv/repo/migrations")),
        "{added:?}"
    );
    for (p, bytes) in &before {
        assert_eq!(after.get(p), Some(bytes), "{} changed", p.display());
    }
    // Again: a second file or a refusal, never a changed one.
    let _ = run(&["generate", "SecurityEvent", &path, "--write"]);
    let again = snapshot(dir.path());
    for (p, bytes) in &after {
        assert_eq!(again.get(p), Some(bytes), "{} changed", p.display());
    }

    // The migrations folder a symlink out of the root: refused, nothing written.
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    let migrations = root.join("priv/repo/migrations");
    copy_dir(&migrations, &outside);
    std::fs::remove_dir_all(&migrations).expect("rm");
    std::os::unix::fs::symlink(&outside, &migrations).expect("symlink");
    let outside_before = snapshot(&outside);
    let o = run(&["generate", "SecurityEvent", &path, "--write"]);
    assert_ne!(o.status.code(), Some(0), "{}", support::stdout(&o));
    assert_eq!(outside_before, snapshot(&outside));
}

#[test]
fn check_fix_never_writes_through_a_symlink_out_of_the_root() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = demo_copy(dir.path());
    let path = root.to_string_lossy().into_owned();
    // Move every migration out of the root and link it back.
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    let migrations = root.join("priv/repo/migrations");
    for e in std::fs::read_dir(&migrations).expect("read").flatten() {
        let target = outside.join(e.file_name());
        std::fs::rename(e.path(), &target).expect("move");
        std::os::unix::fs::symlink(&target, e.path()).expect("link");
    }
    let outside_before = snapshot(&outside);
    let before = snapshot(&root);
    let o = run(&["check", &path, "--fix"]);
    assert!(
        matches!(o.status.code(), Some(0..=2)),
        "{}",
        support::stderr(&o)
    );
    assert_eq!(outside_before, snapshot(&outside), "wrote outside the root");
    // Inside, only existing files may change (no new file, no deleted one).
    let after = snapshot(&root);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_outside_the_workspace_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("shop");
    let marker = dir.path().join("markers");
    std::fs::create_dir_all(&marker).expect("mkdir");
    trapped_project(&root, &marker);
    let outside = dir.path().join("elsewhere");
    trapped_project(&outside, &marker);
    let before = snapshot(dir.path());
    let mut c = TestClient::start();
    c.initialize(&[&root], capabilities(&["utf-16"]), Value::Null)
        .await;
    c.wait_for(|m| m["method"] == "textDocument/publishDiagnostics")
        .await;
    let tag = "lib/shop/tag.ex";
    let text = std::fs::read_to_string(outside.join(tag)).expect("read");
    for doc in [
        uri(&outside, tag),
        format!("{}/../elsewhere/{tag}", uri(&root, "")),
        "file:///etc/passwd".to_string(),
    ] {
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": doc, "languageId": "elixir", "version": 1, "text": text}}),
        )
        .await;
        c.notify(
            "textDocument/didSave",
            json!({"textDocument": {"uri": doc}}),
        )
        .await;
        let at = json!({"textDocument": {"uri": doc}, "position": {"line": 1, "character": 12}});
        assert_eq!(
            c.result("textDocument/hover", at.clone()).await,
            Value::Null
        );
        assert_eq!(
            c.result("textDocument/definition", at.clone()).await,
            Value::Null
        );
        let generate = c
            .request(
                "workspace/executeCommand",
                json!({"command": "ecto-ash-lsp.generateMigration", "arguments": [{"uri": doc, "position": {"line": 1, "character": 12}}]}),
            )
            .await;
        assert!(generate.get("error").is_some(), "{generate}");
    }
    // Nothing was published for a file outside the folder.
    let hover = c
        .result("textDocument/hover", json!({"textDocument": {"uri": uri(&root, tag)}, "position": {"line": 1, "character": 12}}))
        .await;
    assert!(hover.to_string().contains("Shop.Tag"), "{hover}");
    assert!(c
        .latest_diagnostics()
        .keys()
        .all(|u| u.starts_with(&uri(&root, ""))));
    assert_eq!(c.shutdown().await, 0);
    assert_eq!(before, snapshot(dir.path()));
}
