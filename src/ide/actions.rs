//! Code actions as plain data: what a fix changes (edits to existing files,
//! new files it creates), independent of the protocol. `lsp/` turns an
//! [`Action`] into a `CodeAction` with a `WorkspaceEdit`; `cli/` applies the
//! same edits for `check --fix` and `generate --write`.
//!
//! Two families fill it: [`super::fixes`] edits a migration in place (make a
//! statement idempotent, split `change/0` into `up/0`/`down/0`), and
//! [`super::generate`] writes a new migration (drift fixes and "generate
//! idempotent migration" for a resource).

use super::Snapshot;
use crate::checks::Finding;
use crate::model::facts::Span;

/// What an action is, for the editor's menus (`quickfix`, `source.fixAll`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Fixes one finding.
    QuickFix,
    /// Every safe fix in a file (`source.fixAll.ecto-ash-lsp`).
    FixAll,
    /// Writes a new migration for a resource (a `source` action, offered
    /// anywhere on the resource module).
    GenerateMigration,
}

/// Replace `span` (byte range in the file's current text) with `new_text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

/// Edits to one existing workspace file, non-overlapping, in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    /// Workspace-relative path, `/`-separated.
    pub file: String,
    pub edits: Vec<TextEdit>,
}

/// A file the action creates; never overwrites an existing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// Workspace-relative path, `/`-separated.
    pub path: String,
    pub text: String,
}

/// One code action, ready to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub title: String,
    pub kind: ActionKind,
    /// The editor's preferred fix for its finding (`isPreferred`).
    pub preferred: bool,
    /// The findings this action fixes (indexes into `Snapshot::findings`).
    pub fixes: Vec<usize>,
    pub edits: Vec<FileEdit>,
    pub new_files: Vec<NewFile>,
}

/// Every action for the byte range `span` of `file`: quick fixes of the
/// findings it touches, the file's fix-all, and "generate idempotent
/// migration" when it is on a resource.
pub fn actions_at(snap: &Snapshot, file: &str, span: Span) -> Vec<Action> {
    let mut out = Vec::new();
    let touched: Vec<(usize, &Finding)> = snap
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.file == file && f.span.start <= span.end && span.start <= f.span.end)
        .collect();
    for (index, finding) in &touched {
        let found = super::fixes::quick_fixes(snap, *index, finding)
            .into_iter()
            .chain(super::generate::drift_fixes(snap, *index, finding));
        for action in found {
            // Findings sharing a statement share its fix: offer it once.
            if !out.contains(&action) {
                out.push(action);
            }
        }
    }
    out.extend(super::fixes::fix_all(snap, file));
    out.extend(super::generate::generate_at(snap, file, span.start));
    out
}
