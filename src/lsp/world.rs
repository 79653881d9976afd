//! The server's state: workspace folders with their current snapshot, open
//! documents, work waiting for the analysis loop, and what was last
//! published. `process` turns waiting work into new snapshots and the
//! diagnostics to publish; it runs on a blocking thread, never on the async
//! runtime.

// `lsp_types::Uri` hashes and compares by its text; clippy sees the parse
// cache inside it as interior mutability.
#![allow(clippy::mutable_key_type)]

use super::convert::{self, Encoding};
use super::documents::Document;
use super::settings;
use crate::checks::{self, Finding};
use crate::ide::Snapshot;
use crate::model::analysis::analyze_after_change;
use crate::model::config::{Config, CONFIG_FILE};
use crate::model::workspace::{
    self, FileRole, Reparsed, Reuse, SourceFile, Workspace, MAX_FILE_BYTES,
};
use crate::syntax::migration::StatementCache;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, OnceLock};
use tower_lsp_server::lsp_types as lsp;
use tower_lsp_server::UriExt;

/// Lock a mutex, taking over its data even if a panicking thread held it:
/// every update below leaves the data usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One workspace folder (a root of a multi-root workspace).
#[derive(Debug, Default)]
pub struct Folder {
    pub snapshot: Snapshot,
    /// Version of each open document whose text the snapshot holds.
    pub versions: HashMap<String, i32>,
    /// Why `.ecto-ash-lsp.toml` could not be used, if it could not.
    pub config_problem: Option<String>,
    pub indexed: bool,
    /// Check results kept for the next edit of this folder.
    pub checks: checks::Memo,
}

/// Work the analysis loop has not done yet. Edits coalesce here.
#[derive(Debug, Default)]
pub struct Pending {
    pub files: BTreeSet<lsp::Uri>,
    pub reload: BTreeSet<PathBuf>,
    /// Folders no longer in the workspace: their diagnostics are withdrawn.
    pub forget: BTreeSet<PathBuf>,
    /// Settings changed: every folder's configuration is recomputed.
    pub reconfigure: bool,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
            && self.reload.is_empty()
            && self.forget.is_empty()
            && !self.reconfigure
    }
}

#[derive(Debug, Default)]
pub struct Docs {
    pub open: HashMap<lsp::Uri, Document>,
    pub pending: Pending,
}

/// Diagnostics for one file, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Publish {
    pub uri: lsp::Uri,
    pub diagnostics: Vec<lsp::Diagnostic>,
    /// The document version they were computed for (open documents only).
    pub version: Option<i32>,
}

/// Everything the handlers and the analysis loop share. Locks are never
/// held across an `.await`; `folders` may be held for an analysis (a few
/// milliseconds), so only blocking threads take it.
#[derive(Debug, Default)]
pub struct World {
    pub encoding: Mutex<Encoding>,
    /// Folder roots, for mapping a URI to its folder without waiting on
    /// an analysis.
    pub roots: Mutex<Vec<PathBuf>>,
    pub folders: Mutex<BTreeMap<PathBuf, Folder>>,
    pub docs: Mutex<Docs>,
    /// The editor's settings (under the folders' `.ecto-ash-lsp.toml`).
    pub settings: Mutex<Config>,
    /// What was last published per file, to send only what changed.
    pub published: Mutex<HashMap<lsp::Uri, Arc<Vec<lsp::Diagnostic>>>>,
    /// Per folder, the last conversion of each file's findings to
    /// diagnostics, so an edit converts only the files whose findings moved.
    converted: Mutex<HashMap<PathBuf, HashMap<String, Converted>>>,
}

/// A file's findings as converted for the client, and what that depended on.
#[derive(Debug)]
struct Converted {
    findings: Vec<Finding>,
    /// The texts of the file and of the files its findings point to: line
    /// numbers come from them.
    texts: Vec<Arc<str>>,
    encoding: Encoding,
    uri: Option<lsp::Uri>,
    /// Shared with what was published, so an unchanged file costs no copy.
    diagnostics: Arc<Vec<lsp::Diagnostic>>,
}

/// Where a URI is: its folder's root and its path relative to it.
pub fn locate(roots: &[PathBuf], uri: &lsp::Uri) -> Option<(PathBuf, String)> {
    let path = uri.to_file_path()?;
    let root = roots
        .iter()
        .filter(|r| path.starts_with(r))
        .max_by_key(|r| r.as_os_str().len())?;
    let rel = path.strip_prefix(root).ok()?;
    let rel: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if rel.is_empty() || rel.iter().any(|c| c == "..") {
        return None;
    }
    Some((root.clone(), rel.join("/")))
}

/// Files whose change means re-reading the whole folder: project roots and
/// the configuration (whose `exclude` decides what is read at all).
fn changes_the_folder(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name == "mix.exs" || rel == CONFIG_FILE
}

/// Progress of indexing: (done, total) over all folders being read.
pub type OnProgress<'p> = &'p (dyn Fn(usize, usize) + Sync);

impl World {
    pub fn encoding(&self) -> Encoding {
        *lock(&self.encoding)
    }

    pub fn locate(&self, uri: &lsp::Uri) -> Option<(PathBuf, String)> {
        locate(&lock(&self.roots), uri)
    }

    /// The current snapshot of the folder holding `uri`, with the file's path in it.
    pub fn snapshot_of(&self, uri: &lsp::Uri) -> Option<(PathBuf, String, Snapshot)> {
        let (root, rel) = self.locate(uri)?;
        let snap = lock(&self.folders).get(&root)?.snapshot.clone();
        Some((root, rel, snap))
    }

    /// [`World::snapshot_of`] with the versions of the open documents the
    /// snapshot holds, read together, for edits that name a version.
    pub fn snapshot_with_versions(
        &self,
        uri: &lsp::Uri,
    ) -> Option<(PathBuf, String, Snapshot, HashMap<String, i32>)> {
        let (root, rel) = self.locate(uri)?;
        let folders = lock(&self.folders);
        let folder = folders.get(&root)?;
        Some((root, rel, folder.snapshot.clone(), folder.versions.clone()))
    }

    /// Whether the snapshot already holds the open document's latest text.
    pub fn is_current(&self, uri: &lsp::Uri) -> bool {
        let Some(version) = lock(&self.docs).open.get(uri).map(|d| d.version) else {
            return true;
        };
        let Some((root, rel)) = self.locate(uri) else {
            return true;
        };
        lock(&self.folders)
            .get(&root)
            .is_none_or(|f| !f.indexed || f.versions.get(&rel) == Some(&version))
    }

    /// Take the waiting work.
    pub fn take_pending(&self) -> Pending {
        std::mem::take(&mut lock(&self.docs).pending)
    }

    /// Do the waiting work: reload folders, re-read changed files (open
    /// ones from their buffer, parsed incrementally), re-analyse, and return
    /// the diagnostics that changed.
    pub fn process(&self, job: Pending, progress: OnProgress) -> Vec<Publish> {
        let editor = lock(&self.settings).clone();
        let mut reload = job.reload.clone();
        let mut publish_always: BTreeSet<lsp::Uri> = BTreeSet::new();
        let mut touched: BTreeSet<PathBuf> = BTreeSet::new();

        if job.reconfigure {
            let mut folders = lock(&self.folders);
            for (root, folder) in folders.iter_mut() {
                let (config, problem) = settings::effective(&editor, root);
                folder.config_problem = problem;
                if config.exclude != folder.snapshot.workspace.config.exclude {
                    reload.insert(root.clone());
                } else if config != folder.snapshot.workspace.config {
                    folder.snapshot.workspace_mut().config = config;
                    folder.snapshot.reanalyze();
                    touched.insert(root.clone());
                } else {
                    touched.insert(root.clone());
                }
            }
        }

        // Sort the changed files into folders to reload and files to re-read.
        let roots = lock(&self.roots).clone();
        let mut updates: BTreeMap<PathBuf, Vec<(String, lsp::Uri)>> = BTreeMap::new();
        for uri in &job.files {
            let Some((root, rel)) = locate(&roots, uri) else {
                continue;
            };
            if changes_the_folder(&rel) {
                reload.insert(root);
            } else {
                updates.entry(root).or_default().push((rel, uri.clone()));
            }
        }
        for root in reload.iter().filter(|r| roots.contains(r)) {
            self.reload(root, &editor, progress);
            touched.insert(root.clone());
        }

        for (root, files) in updates {
            if reload.contains(&root) {
                for (_, uri) in &files {
                    publish_always.insert(uri.clone());
                }
                continue;
            }
            let Some(workspace) = lock(&self.folders)
                .get(&root)
                .filter(|f| f.indexed)
                .map(|f| f.snapshot.workspace.clone())
            else {
                // Not indexed yet: the coming load reads every buffer.
                continue;
            };
            let read: Vec<(String, FileUpdate)> = files
                .iter()
                .map(|(rel, uri)| (rel.clone(), self.read_file(&workspace, &root, rel, uri)))
                .collect();
            drop(workspace);
            let mut folders = lock(&self.folders);
            let Some(folder) = folders.get_mut(&root) else {
                continue;
            };
            {
                let ws = folder.snapshot.workspace_mut();
                for (rel, update) in read {
                    match update {
                        FileUpdate::Set(file, version) => {
                            if let Some(old) = ws.files.insert(rel.clone(), *file) {
                                drop_later(old);
                            }
                            match version {
                                Some(v) => folder.versions.insert(rel, v),
                                None => folder.versions.remove(&rel),
                            };
                        }
                        FileUpdate::Remove(version) => {
                            let prefix = format!("{rel}/");
                            ws.files.retain(|f, _| f != &rel && !f.starts_with(&prefix));
                            // An open buffer that left the model is still
                            // current: requests on it must not wait.
                            match version {
                                Some(v) => folder.versions.insert(rel, v),
                                None => folder.versions.remove(&rel),
                            };
                        }
                        FileUpdate::Ignore(version) => {
                            // Not part of the model, but requests on it need
                            // not wait for an analysis that will never hold it.
                            if let Some(v) = version {
                                folder.versions.insert(rel, v);
                            }
                        }
                    }
                }
            }
            let changed: Vec<String> = files.iter().map(|(rel, _)| rel.clone()).collect();
            reanalyze_after(&mut folder.snapshot, &mut folder.checks, &changed);
            for (_, uri) in files {
                publish_always.insert(uri);
            }
            touched.insert(root);
        }

        let mut out = Vec::new();
        for root in &job.forget {
            self.withdraw(root, &mut out);
        }
        let enc = self.encoding();
        for root in touched {
            self.diff(&root, &publish_always, enc, &mut out);
        }
        out
    }

    /// Read a whole folder again, with the open buffers over the files on disk.
    fn reload(&self, root: &Path, editor: &Config, progress: OnProgress) {
        let (config, problem) = settings::effective(editor, root);
        let mut ws = match Workspace::load_with(root, config.clone(), progress) {
            Ok(ws) => ws,
            Err(_) => Workspace {
                root: root.to_path_buf(),
                config,
                roots: vec![String::new()],
                ..Workspace::default()
            },
        };
        let buffers: Vec<(lsp::Uri, Document)> = lock(&self.docs)
            .open
            .iter()
            .map(|(u, d)| (u.clone(), d.clone()))
            .collect();
        let roots = lock(&self.roots).clone();
        let mut versions = HashMap::new();
        for (uri, doc) in buffers {
            let Some((doc_root, rel)) = locate(&roots, &uri) else {
                continue;
            };
            if doc_root != root {
                continue;
            }
            let Some(role) = ws.classify(&rel).filter(|_| !excluded(&ws, &rel)) else {
                // Not in the model (`mix.exs`, an excluded file), but its
                // buffer is current: requests on it must not wait.
                versions.insert(rel, doc.version);
                continue;
            };
            let text = doc.text();
            if !workspace::indexed(&role, &rel, text.as_bytes()) {
                // As on disk: a file nothing in the model can come from; its
                // buffer is current all the same.
                ws.files.remove(&rel);
                versions.insert(rel, doc.version);
                continue;
            }
            let reparsed = buffer_file(rel.clone(), role, text, &doc);
            self.keep_tree(&uri, doc.version, reparsed.tree, reparsed.statements);
            ws.files.insert(rel.clone(), reparsed.file);
            versions.insert(rel, doc.version);
        }
        let snapshot = Snapshot::new(ws);
        if let Some(folder) = lock(&self.folders).get_mut(root) {
            folder.snapshot = snapshot;
            folder.versions = versions;
            folder.config_problem = problem;
            folder.indexed = true;
        }
    }

    /// The new content of one changed file.
    fn read_file(&self, ws: &Workspace, root: &Path, rel: &str, uri: &lsp::Uri) -> FileUpdate {
        let buffer_version = lock(&self.docs).open.get(uri).map(|d| d.version);
        let Some(role) = ws.classify(rel).filter(|_| !excluded(ws, rel)) else {
            return if ws.files.contains_key(rel) {
                FileUpdate::Remove(buffer_version)
            } else {
                FileUpdate::Ignore(buffer_version)
            };
        };
        let buffer = lock(&self.docs)
            .open
            .get(uri)
            .map(|d| (d.text(), d.clone()));
        let unindexed = || {
            if ws.files.contains_key(rel) {
                FileUpdate::Remove(buffer_version)
            } else {
                FileUpdate::Ignore(buffer_version)
            }
        };
        if let Some((text, doc)) = buffer {
            if !workspace::indexed(&role, rel, text.as_bytes()) {
                return unindexed();
            }
            let reparsed = buffer_file(rel.to_string(), role, text, &doc);
            self.keep_tree(uri, doc.version, reparsed.tree, reparsed.statements);
            return FileUpdate::Set(Box::new(reparsed.file), Some(doc.version));
        }
        let mut path = root.to_path_buf();
        path.extend(rel.split('/'));
        match std::fs::read(&path) {
            Ok(bytes) if !workspace::indexed(&role, rel, &bytes) => unindexed(),
            Ok(bytes) => FileUpdate::Set(
                Box::new(SourceFile::from_bytes(rel.to_string(), role, bytes)),
                None,
            ),
            Err(_) => FileUpdate::Remove(None),
        }
    }

    /// Keep a fresh tree for the next incremental parse, unless the buffer
    /// moved on meanwhile (then its edited old tree is still the right one).
    fn keep_tree(
        &self,
        uri: &lsp::Uri,
        version: i32,
        tree: Option<tree_sitter::Tree>,
        statements: Option<StatementCache>,
    ) {
        if let Some(doc) = lock(&self.docs).open.get_mut(uri) {
            if doc.version == version {
                doc.tree = tree;
            }
            // Statements are kept by their text, so they serve any version.
            if let Some(statements) = statements {
                if let Some(old) = doc.statements.replace(Arc::new(statements)) {
                    drop_later(old);
                }
            }
        }
    }

    /// Withdraw every diagnostic published for files under `root`.
    fn withdraw(&self, root: &Path, out: &mut Vec<Publish>) {
        lock(&self.converted).remove(root);
        let mut published = lock(&self.published);
        let gone: Vec<lsp::Uri> = published
            .keys()
            .filter(|u| u.to_file_path().is_some_and(|p| p.starts_with(root)))
            .cloned()
            .collect();
        for uri in gone {
            published.remove(&uri);
            out.push(Publish {
                uri,
                diagnostics: Vec::new(),
                version: None,
            });
        }
    }

    /// The diagnostics of a folder that differ from what was published, and
    /// those of `always` (edited documents: their version moved on).
    fn diff(
        &self,
        root: &Path,
        always: &BTreeSet<lsp::Uri>,
        enc: Encoding,
        out: &mut Vec<Publish>,
    ) {
        let Some((snap, versions, problem)) = lock(&self.folders).get(root).map(|f| {
            (
                f.snapshot.clone(),
                f.versions.clone(),
                f.config_problem.clone(),
            )
        }) else {
            return;
        };
        let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for finding in snap.findings.iter() {
            by_file.entry(&finding.file).or_default().push(finding);
        }
        let mut cache = lock(&self.converted);
        let mut last = cache.remove(root).unwrap_or_default();
        let mut kept: HashMap<String, Converted> = HashMap::with_capacity(by_file.len());
        let mut by_uri: HashMap<lsp::Uri, (Arc<Vec<lsp::Diagnostic>>, Option<i32>)> =
            HashMap::new();
        for (rel, findings) in by_file {
            let Some(file) = snap.file(rel) else {
                continue;
            };
            let mut texts = vec![file.text.clone()];
            for r in findings.iter().flat_map(|f| &f.related) {
                if let Some(other) = snap.file(&r.file) {
                    if !texts.iter().any(|t| Arc::ptr_eq(t, &other.text)) {
                        texts.push(other.text.clone());
                    }
                }
            }
            let unchanged = last.get(rel).is_some_and(|c| {
                c.encoding == enc
                    && c.texts.len() == texts.len()
                    && c.texts.iter().zip(&texts).all(|(a, b)| Arc::ptr_eq(a, b))
                    && c.findings.len() == findings.len()
                    && c.findings.iter().zip(&findings).all(|(a, b)| a == *b)
            });
            let converted = match last.remove(rel) {
                Some(c) if unchanged => Converted { texts, ..c },
                _ => Converted {
                    diagnostics: Arc::new(
                        findings
                            .iter()
                            .map(|f| convert::diagnostic(&snap, root, file, f, enc))
                            .collect(),
                    ),
                    findings: findings.into_iter().cloned().collect(),
                    texts,
                    encoding: enc,
                    uri: convert::uri_of(root, rel),
                },
            };
            if let Some(uri) = &converted.uri {
                by_uri.insert(
                    uri.clone(),
                    (converted.diagnostics.clone(), versions.get(rel).copied()),
                );
            }
            kept.insert(rel.to_string(), converted);
        }
        cache.insert(root.to_path_buf(), kept);
        drop(cache);
        if let (Some(problem), Some(uri)) = (problem, convert::uri_of(root, CONFIG_FILE)) {
            by_uri.insert(
                uri,
                (
                    Arc::new(vec![lsp::Diagnostic {
                        range: lsp::Range::default(),
                        severity: Some(lsp::DiagnosticSeverity::ERROR),
                        source: Some(convert::SOURCE.into()),
                        message: format!("{problem}; this file is ignored until it is fixed"),
                        ..lsp::Diagnostic::default()
                    }]),
                    None,
                ),
            );
        }
        let mut published = lock(&self.published);
        let stale: Vec<lsp::Uri> = published
            .keys()
            .filter(|u| {
                !by_uri.contains_key(*u) && u.to_file_path().is_some_and(|p| p.starts_with(root))
            })
            .cloned()
            .collect();
        for uri in stale {
            published.remove(&uri);
            let version = self
                .locate(&uri)
                .and_then(|(_, rel)| versions.get(&rel).copied());
            out.push(Publish {
                uri,
                diagnostics: Vec::new(),
                version,
            });
        }
        for (uri, (diagnostics, version)) in by_uri {
            let same = published
                .get(&uri)
                .is_some_and(|p| Arc::ptr_eq(p, &diagnostics) || **p == *diagnostics);
            if same && !always.contains(&uri) {
                continue;
            }
            let sent = Vec::clone(&diagnostics);
            published.insert(uri.clone(), diagnostics);
            out.push(Publish {
                uri,
                diagnostics: sent,
                version,
            });
        }
        for uri in always {
            if out.iter().any(|p| &p.uri == uri) || published.contains_key(uri) {
                continue;
            }
            // An edited document without findings: say so for its new version.
            if let Some((r, rel)) = self.locate(uri) {
                if r == root {
                    out.push(Publish {
                        uri: uri.clone(),
                        diagnostics: Vec::new(),
                        version: versions.get(&rel).copied(),
                    });
                }
            }
        }
    }

    /// Forget what was published for `uri` (its publication was dropped as
    /// stale), so the next analysis publishes it again.
    pub fn unpublish(&self, uri: &lsp::Uri) {
        lock(&self.published).remove(uri);
    }
}

/// Whether the configuration's `exclude` globs leave `rel` out, as the
/// folder walk does, so an open buffer cannot bring an excluded file back.
fn excluded(ws: &Workspace, rel: &str) -> bool {
    if ws.config.exclude.is_empty() {
        return false;
    }
    let mut builder = ignore::overrides::OverrideBuilder::new(&ws.root);
    for pattern in &ws.config.exclude {
        let _ = builder.add(&format!("!{pattern}"));
    }
    let Ok(overrides) = builder.build() else {
        return false;
    };
    let mut path = ws.root.clone();
    path.extend(rel.split('/'));
    // A file is left out when it or any folder above it is.
    let mut current = Some(path.as_path());
    while let Some(p) = current.filter(|p| p.starts_with(&ws.root) && *p != ws.root) {
        if overrides.matched(p, p != path).is_ignore() {
            return true;
        }
        current = p.parent();
    }
    false
}

/// Analyse and check a folder again after `changed` files changed, folding
/// again only the migrations folders they are in.
fn reanalyze_after(snapshot: &mut Snapshot, memo: &mut checks::Memo, changed: &[String]) {
    let analysis = analyze_after_change(&snapshot.workspace, &snapshot.analysis, changed);
    let findings = Arc::new(checks::run_with(&snapshot.workspace, &analysis, memo));
    drop_later(std::mem::replace(&mut snapshot.findings, findings));
    drop_later(std::mem::replace(
        &mut snapshot.analysis,
        Arc::new(analysis),
    ));
}

/// Drop `value` on a thread of its own: what an edit replaces (a file's old
/// facts, the old analysis) is freed while its diagnostics go out, not
/// before. Dropped here when that thread cannot be had.
fn drop_later<T: Send + 'static>(value: T) {
    type Garbage = Box<dyn Send>;
    static BIN: OnceLock<Option<mpsc::Sender<Garbage>>> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Garbage>();
        std::thread::Builder::new()
            .name("drop-later".into())
            .spawn(move || rx.into_iter().for_each(drop))
            .ok()
            .map(|_| tx)
    });
    let garbage: Garbage = Box::new(value);
    if let Some(tx) = bin {
        // A send fails only if the thread is gone; then it drops here.
        let _ = tx.send(garbage);
    }
}

/// An editor buffer as an indexed file: parsed incrementally, unless it is
/// too large or binary, which it is reported as (like a file on disk).
fn buffer_file(rel: String, role: FileRole, text: Arc<str>, doc: &Document) -> Reparsed {
    if text.len() > MAX_FILE_BYTES || text.contains('\0') {
        return Reparsed {
            file: SourceFile::from_bytes(rel, role, text.as_bytes().to_vec()),
            tree: None,
            statements: None,
        };
    }
    let none = StatementCache::default();
    let reuse = Reuse {
        tree: doc.tree.as_ref(),
        statements: Some(doc.statements.as_deref().unwrap_or(&none)),
    };
    SourceFile::from_text_reparsed(rel, role, text, reuse)
}

enum FileUpdate {
    Set(Box<SourceFile>, Option<i32>),
    /// Out of the model; the version of its open buffer, if any.
    Remove(Option<i32>),
    /// Not part of the model; the version of its open buffer, if any.
    Ignore(Option<i32>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excluded_buffers_stay_out() {
        let mut ws = Workspace {
            root: PathBuf::from("/p"),
            ..Workspace::default()
        };
        assert!(!excluded(&ws, "apps/legacy/lib/a.ex"));
        ws.config.exclude = vec!["apps/legacy/**".into(), "**/seeds.exs".into()];
        assert!(excluded(&ws, "apps/legacy/lib/a.ex"));
        assert!(excluded(&ws, "priv/repo/seeds.exs"));
        assert!(!excluded(&ws, "apps/core/lib/a.ex"));
    }

    #[test]
    fn uris_map_to_their_folder() {
        let roots = vec![PathBuf::from("/w/a"), PathBuf::from("/w/a/nested")];
        let at = |u: &str| u.parse::<lsp::Uri>().ok().and_then(|u| locate(&roots, &u));
        assert_eq!(
            at("file:///w/a/nested/lib/x.ex"),
            Some((PathBuf::from("/w/a/nested"), "lib/x.ex".into()))
        );
        assert_eq!(
            at("file:///w/a/lib/x.ex"),
            Some((PathBuf::from("/w/a"), "lib/x.ex".into()))
        );
        assert_eq!(at("file:///w/other/x.ex"), None);
        assert_eq!(at("file:///w/a/../other/x.ex"), None);
        assert_eq!(at("untitled:Untitled-1"), None);
        assert_eq!(at("file:///w/a"), None);
    }
}
