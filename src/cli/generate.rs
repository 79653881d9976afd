//! `ecto-ash-lsp generate RESOURCE [PATH] [--write|--stdout]`: print the
//! idempotent migration for one resource, or write it as a new file under
//! the project (never over an existing file, never outside the project).

use super::trouble;
use crate::ide::generate::{find_resource, generate as generate_migration, GenerateOptions};
use crate::ide::Snapshot;
use crate::model::workspace::Workspace;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Where the migration goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Stdout,
    /// Create the file and print its path.
    Write,
}

/// Run `generate`; returns the exit code.
pub fn generate(resource: &str, path: &Path, output: Output, options: &GenerateOptions) -> i32 {
    let workspace = match Workspace::load(path) {
        Ok(ws) => ws,
        Err(e) => return trouble(&e.to_string()),
    };
    let snap = Snapshot::new(workspace);
    let r = match find_resource(&snap, resource) {
        Ok(r) => r,
        Err(e) => return trouble(&e.to_string()),
    };
    let migration = match generate_migration(&snap, r, options) {
        Ok(m) => m,
        Err(e) => return trouble(&e.to_string()),
    };
    match output {
        Output::Stdout => {
            let mut out = std::io::stdout().lock();
            match out.write_all(migration.text.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    trouble(&format!("writing the migration: {e}"))
                }
                _ => 0,
            }
        }
        Output::Write => match write_new_file(path, &migration.path, &migration.text) {
            Ok(written) => {
                println!("{}", written.display());
                0
            }
            Err(e) => trouble(&e),
        },
    }
}

/// Create `rel` (workspace-relative, `/`-separated) under `root` with
/// `text`: refuses an existing path, a path leaving the root, and folders
/// that are symlinks out of it.
pub fn write_new_file(root: &Path, rel: &str, text: &str) -> Result<PathBuf, String> {
    let relative = Path::new(rel);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(format!("{rel} is not a path inside the project"));
    }
    let canonical_root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let target = root.join(relative);
    let parent = target
        .parent()
        .ok_or_else(|| format!("{rel} has no folder"))?;
    // The deepest folder that exists already must be inside the root
    // (a symlinked `priv/` pointing elsewhere is refused).
    let mut existing = parent;
    while !existing.exists() {
        existing = existing
            .parent()
            .ok_or_else(|| format!("{rel} has no existing folder"))?;
    }
    let inside = |p: &Path| -> Result<(), String> {
        let canonical = p
            .canonicalize()
            .map_err(|e| format!("{}: {e}", p.display()))?;
        if canonical.starts_with(&canonical_root) {
            Ok(())
        } else {
            Err(format!(
                "{} leads outside the project ({}); nothing written",
                p.display(),
                canonical.display()
            ))
        }
    };
    inside(existing)?;
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    inside(parent)?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                format!("{} exists already; nothing written", target.display())
            }
            _ => format!("{}: {e}", target.display()),
        })?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("{}: {e}", target.display()))?;
    Ok(target)
}
