//! "Generate idempotent migration" through the language server, on a copy
//! of the demo: the code action on a resource with a `missing-table`
//! diagnostic and the `ecto-ash-lsp.generateMigration` command both create
//! a new migration file (never overwriting), and once the editor writes it
//! the diagnostic goes away.

#[path = "lsp/client.rs"]
mod client;
mod support;

use client::{capabilities, uri, TestClient};
use serde_json::{json, Value};
use std::path::Path;

const SECURITY_EVENT: &str = "lib/demo/platform/security_event.ex";

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

fn has(code: &'static str) -> impl Fn(&[Value]) -> bool {
    move |d| codes(d).iter().any(|c| c == code)
}

fn lacks(code: &'static str) -> impl Fn(&[Value]) -> bool {
    move |d| !codes(d).iter().any(|c| c == code)
}

/// Check a new-file `documentChanges` (`CreateFile` that never overwrites,
/// then one insert at the start), write the file, and return its path.
fn write_created_file(changes: &Value) -> String {
    let create = &changes[0];
    assert_eq!(create["kind"], "create", "{changes}");
    assert_eq!(
        create["options"],
        json!({"overwrite": false, "ignoreIfExists": false})
    );
    let new_uri = create["uri"].as_str().expect("a uri").to_string();
    let insert = &changes[1];
    assert_eq!(insert["textDocument"]["uri"], new_uri.as_str());
    let edits = insert["edits"].as_array().expect("edits");
    assert_eq!(edits.len(), 1);
    assert_eq!(
        edits[0]["range"],
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}})
    );
    let text = edits[0]["newText"].as_str().expect("text");
    assert!(text.starts_with("defmodule Demo.Repo.Migrations.CreateSecurityEvents"));
    let path = new_uri.strip_prefix("file://").expect("a file uri");
    assert!(path.contains("/priv/repo/migrations/"), "{path}");
    assert!(!Path::new(path).exists(), "{path} would be overwritten");
    std::fs::write(path, text).expect("write the new migration");
    new_uri
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_clears_the_missing_table_by_code_action_and_by_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    copy_tree(&support::repo_path("examples/demo"), root);
    let resource = uri(root, SECURITY_EVENT);
    let mut c = TestClient::start();
    let mut caps = capabilities(&["utf-16"]);
    caps["workspace"]["workspaceEdit"] =
        json!({"documentChanges": true, "resourceOperations": ["create"]});
    caps["workspace"]["applyEdit"] = json!(true);
    c.initialize(&[root], caps, json!({})).await;
    let published = c.diagnostics(&resource, has("missing-table")).await;
    let missing = published["diagnostics"]
        .as_array()
        .and_then(|d| d.iter().find(|x| x["code"] == "missing-table"))
        .cloned()
        .expect("missing-table");

    // The code action at the diagnostic: the drift fix and the generator.
    let actions = c
        .result(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": resource},
                "range": missing["range"],
                "context": {"diagnostics": [missing.clone()]}
            }),
        )
        .await;
    let list = actions.as_array().cloned().unwrap_or_default();
    let titles: Vec<&str> = list.iter().filter_map(|a| a["title"].as_str()).collect();
    assert!(
        titles.contains(&"Generate idempotent migration for Demo.Platform.SecurityEvent"),
        "{titles:?}"
    );
    let fix = list
        .iter()
        .find(|a| a["title"] == "Create table platform.security_events in a new migration")
        .cloned()
        .unwrap_or_else(|| panic!("no drift fix in {titles:?}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["diagnostics"][0]["code"], "missing-table");
    let created = write_created_file(&fix["edit"]["documentChanges"]);
    c.mark();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": created, "type": 1}]}),
    )
    .await;
    c.diagnostics(&resource, lacks("missing-table")).await;

    // Without the file the finding is back; the command writes it again.
    std::fs::remove_file(created.strip_prefix("file://").expect("a path")).expect("rm");
    c.mark();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": created, "type": 3}]}),
    )
    .await;
    c.diagnostics(&resource, has("missing-table")).await;
    c.mark();
    let answer = c
        .result(
            "workspace/executeCommand",
            json!({
                "command": "ecto-ash-lsp.generateMigration",
                "arguments": [resource, {"line": 0, "character": 0}]
            }),
        )
        .await;
    assert_eq!(answer["applied"], true, "{answer}");
    let request = c.wait_for(|m| m["method"] == "workspace/applyEdit").await;
    let created = write_created_file(&request["params"]["edit"]["documentChanges"]);
    c.mark();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": created, "type": 1}]}),
    )
    .await;
    c.diagnostics(&resource, lacks("missing-table")).await;
    assert_eq!(c.shutdown().await, 0);
}
