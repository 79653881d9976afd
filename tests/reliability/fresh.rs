//! "Incremental equals fresh": what a fresh index of a folder finds, in the
//! shape of the diagnostics the server publishes, and the server's latest
//! publications folded into the same shape. Test crates using it declare
//! `mod client` (tests/lsp/client.rs) at their root.
#![allow(dead_code)]

use ecto_ash_lsp::checks;
use ecto_ash_lsp::model::analysis::analyze;
use ecto_ash_lsp::model::workspace::Workspace;
use ecto_ash_lsp::text::ColumnUnit;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// One diagnostic: code, line, UTF-16 character, message.
pub type Diagnostic = (String, u64, u64, String);

/// Diagnostics by workspace-relative file, sorted; files without any left out.
pub type Findings = BTreeMap<String, Vec<Diagnostic>>;

/// Index `root` from disk, as `check` does, and report in the server's shape.
pub fn fresh(root: &Path) -> Findings {
    let ws = Workspace::load(root).expect("the folder loads");
    let analysis = analyze(&ws);
    let mut out = Findings::new();
    for f in checks::run(&ws, &analysis) {
        let Some(file) = ws.files.get(&f.file) else {
            continue;
        };
        let (line, character) = file
            .lines
            .position(&file.text, f.span.start, ColumnUnit::Utf16);
        out.entry(f.file.clone()).or_default().push((
            f.code().to_string(),
            line as u64,
            character as u64,
            f.message.clone(),
        ));
    }
    for list in out.values_mut() {
        list.sort();
    }
    out
}

/// Fold one `publishDiagnostics` params object into `state` (the latest per
/// file wins), for files under `root_uri`.
pub fn apply_publish(state: &mut Findings, root_uri: &str, params: &Value) {
    let Some(rel) = params["uri"]
        .as_str()
        .and_then(|u| u.strip_prefix(root_uri))
        .map(|r| r.trim_start_matches('/').to_string())
    else {
        return;
    };
    let mut list: Vec<Diagnostic> = params["diagnostics"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|d| {
                    (
                        d["code"].as_str().unwrap_or("").to_string(),
                        d["range"]["start"]["line"].as_u64().unwrap_or(u64::MAX),
                        d["range"]["start"]["character"]
                            .as_u64()
                            .unwrap_or(u64::MAX),
                        d["message"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    list.sort();
    if list.is_empty() {
        state.remove(&rel);
    } else {
        state.insert(rel, list);
    }
}

/// Wait until the server's latest diagnostics for the files under `root`
/// equal a fresh index of `fresh_root` (the same texts on disk).
pub async fn settles_to_fresh(c: &mut crate::client::TestClient, root: &Path, fresh_root: &Path) {
    let expected = fresh(fresh_root);
    assert!(!expected.is_empty(), "the fixture has findings to compare");
    settles_to(c, root, expected).await;
}

/// Wait until the server's latest diagnostics for the files under `root`
/// equal `expected` (which may be empty: every diagnostic withdrawn).
pub async fn settles_to(c: &mut crate::client::TestClient, root: &Path, expected: Findings) {
    let root_uri = crate::client::uri(root, "");
    let state = RefCell::new(Findings::new());
    // Fold every publication from the start (mark never moved) until equal.
    let settled = tokio::time::timeout(
        Duration::from_secs(15),
        c.wait_for(|m| {
            if m["method"] == "textDocument/publishDiagnostics" {
                apply_publish(&mut state.borrow_mut(), &root_uri, &m["params"]);
            }
            *state.borrow() == expected
        }),
    )
    .await;
    assert!(
        settled.is_ok(),
        "published:\n{:#?}\nfresh:\n{expected:#?}",
        state.borrow()
    );
}
