//! Repository hygiene: layering rules from STYLE.md and generated docs that
//! must match their source.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn protocol_and_runtime_stay_in_their_layers() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    assert!(!files.is_empty());
    let mut offenders = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(root())
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let in_lsp = rel.starts_with("src/lsp/") || rel == "src/lsp.rs";
        if !in_lsp && (text.contains("tower_lsp") || text.contains("lsp_types")) {
            offenders.push(format!("{rel} names the protocol crate outside src/lsp/"));
        }
        if !in_lsp && rel != "src/main.rs" && text.contains("tokio") {
            offenders.push(format!("{rel} names tokio outside src/lsp/ and main.rs"));
        }
        if rel.ends_with("/mod.rs") {
            offenders.push(format!("{rel}: use foo.rs next to foo/, not mod.rs"));
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

const BEGIN: &str = "<!-- rules:begin (generated from src/checks/rules.rs by tests/tidy.rs; UPDATE_README=1 cargo test --test tidy) -->\n";
const END: &str = "<!-- rules:end -->";

#[test]
fn readme_rule_list_is_generated_from_the_rule_table() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md exists");
    let (Some(start), Some(end)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md lacks the rules markers");
    };
    let generated = ecto_ash_lsp::checks::rules::markdown_table();
    let current = &readme[start + BEGIN.len()..end];
    if current != generated {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!(
                "{}{generated}{}",
                &readme[..start + BEGIN.len()],
                &readme[end..]
            );
            std::fs::write(&path, updated).expect("README.md is writable");
        } else {
            panic!("README's rule list is stale; run UPDATE_README=1 cargo test --test tidy");
        }
    }
}
