//! `check --fix`: apply each file's fix-all (the same edits as the editor's
//! `source.fixAll.ecto-ash-lsp`) to the files on disk, and say on standard
//! error what changed. Writes stay inside the project (a path that leaves it
//! through a symlink is refused), replace the file atomically (a temporary
//! file in the same folder, then a rename), and skip a file whose bytes on
//! disk are no longer the ones that were indexed.

use crate::ide::fixes::{apply, fix_all, fix_all_summary};
use crate::ide::Snapshot;
use crate::model::workspace::Workspace;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What one `--fix` run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FixOutcome {
    /// Files written, with how many findings each fix removed.
    pub fixed: Vec<(String, usize)>,
    /// Files left alone, with why.
    pub refused: Vec<(String, String)>,
}

/// Index `path`, apply every file's fix-all, report on stderr.
pub fn fix(path: &Path) -> Result<FixOutcome, String> {
    let workspace = Workspace::load(path).map_err(|e| e.to_string())?;
    let snap = Snapshot::new(workspace);
    let root = snap
        .workspace
        .root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", snap.workspace.root.display()))?;
    let mut files: Vec<&str> = snap.findings.iter().map(|f| f.file.as_str()).collect();
    files.dedup();
    let mut outcome = FixOutcome::default();
    let mut err = std::io::stderr().lock();
    for rel in files {
        let Some(action) = fix_all(&snap, rel) else {
            continue;
        };
        let Some(source) = snap.file(rel) else {
            continue;
        };
        let mut edits: Vec<_> = action
            .edits
            .iter()
            .filter(|e| e.file == rel)
            .flat_map(|e| e.edits.clone())
            .collect();
        edits.sort_by_key(|e| (e.span.start, e.span.end));
        let Some(text) = apply(&source.text, &edits) else {
            continue;
        };
        match write_checked(
            &root,
            &snap.workspace.root,
            rel,
            source.text.as_bytes(),
            &text,
        ) {
            Ok(()) => {
                let _ = writeln!(
                    err,
                    "fixed {rel}: {}",
                    fix_all_summary(&snap, &action).join("; ")
                );
                outcome.fixed.push((rel.to_string(), action.fixes.len()));
            }
            Err(why) => {
                let _ = writeln!(err, "not fixed {rel}: {why}");
                outcome.refused.push((rel.to_string(), why));
            }
        }
    }
    let total: usize = outcome.fixed.iter().map(|(_, n)| n).sum();
    let _ = writeln!(
        err,
        "--fix: {total} finding(s) fixed in {} file(s){}",
        outcome.fixed.len(),
        if outcome.refused.is_empty() {
            String::new()
        } else {
            format!(", {} file(s) left alone", outcome.refused.len())
        }
    );
    Ok(outcome)
}

/// Replace `rel` under the project with `text`, if it still holds `indexed`
/// and resolves to a place inside `canonical_root`.
fn write_checked(
    canonical_root: &Path,
    root: &Path,
    rel: &str,
    indexed: &[u8],
    text: &str,
) -> Result<(), String> {
    let mut path = root.to_path_buf();
    path.extend(rel.split('/'));
    let target: PathBuf = path
        .canonicalize()
        .map_err(|e| format!("cannot resolve the path: {e}"))?;
    if !target.starts_with(canonical_root) {
        return Err(format!(
            "it resolves to {}, outside the project; nothing is written through a symlink leaving it",
            target.display()
        ));
    }
    let on_disk = std::fs::read(&target).map_err(|e| format!("cannot read it: {e}"))?;
    if on_disk != indexed {
        return Err("it changed on disk since it was read; run again".to_string());
    }
    let dir = target
        .parent()
        .ok_or_else(|| "it has no parent folder".to_string())?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.ecto-ash-lsp-fix.{}", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(&target) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, &target)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("writing it failed: {e}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_changed_files_and_paths_leaving_the_root() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("app");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::create_dir_all(&outside).expect("mkdir");
        let canonical = root.canonicalize().expect("canonical root");
        std::fs::write(root.join("a.exs"), "old").expect("write");
        assert_eq!(
            write_checked(&canonical, &root, "a.exs", b"older", "new"),
            Err("it changed on disk since it was read; run again".to_string())
        );
        assert_eq!(
            write_checked(&canonical, &root, "a.exs", b"old", "new"),
            Ok(())
        );
        assert_eq!(
            std::fs::read_to_string(root.join("a.exs")).ok(),
            Some("new".into())
        );
        std::fs::write(outside.join("b.exs"), "old").expect("write");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.join("b.exs"), root.join("b.exs")).expect("link");
            let refused = write_checked(&canonical, &root, "b.exs", b"old", "new");
            assert!(refused.is_err_and(|e| e.contains("outside the project")));
            assert_eq!(
                std::fs::read_to_string(outside.join("b.exs")).ok(),
                Some("old".into())
            );
        }
        assert!(write_checked(&canonical, &root, "missing.exs", b"", "x").is_err());
        let leftovers = std::fs::read_dir(&root)
            .map(|d| d.filter_map(|e| e.ok()).count())
            .unwrap_or(0);
        assert_eq!(leftovers, if cfg!(unix) { 2 } else { 1 });
    }
}
