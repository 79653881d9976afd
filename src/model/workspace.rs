//! The indexed workspace: project roots (every `mix.exs`), which files matter
//! (migrations, resources, schemas, repos, config, snapshots, `.gitignore`
//! files) and the facts of each, and the git repositories the roots sit in.
//! Reading and parsing happen here, in parallel; the trees are dropped as
//! soon as the facts are out.

use crate::model::config::Config;
use crate::model::facts::{ElixirFacts, MigrationFacts, Span, Suppression};
use crate::model::gitignore::{self, GitRepo};
use crate::model::snapshots::{self, SnapshotFacts};
use crate::syntax;
use crate::syntax::migration::StatementCache;
use crate::text::LineIndex;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Files larger than this are reported, not parsed.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// Folders never indexed (besides hidden ones).
const SKIPPED_DIRS: &[&str] = &["deps", "_build", "node_modules", "cover", "target"];

/// What a file is to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRole {
    /// `priv/<repo>/migrations/*.exs` or `priv/<repo>/tenant_migrations/*.exs`.
    Migration {
        root: String,
        /// The repo's priv folder relative to the workspace (`priv/repo`,
        /// `apps/core/priv/repo`).
        repo_dir: String,
        tenant: bool,
        /// The numeric file name prefix (`20250101120000`).
        version: Option<String>,
    },
    /// Any other Elixir file of a project (`lib/**`, `config/*.exs`).
    Elixir { root: String },
    /// `priv/resource_snapshots/**/*.json`.
    Snapshot { root: String },
    /// A `.gitignore` file; `root` is the project root it sits in, or `""`.
    GitIgnore { root: String },
}

impl FileRole {
    pub fn root(&self) -> &str {
        match self {
            FileRole::Migration { root, .. }
            | FileRole::Elixir { root }
            | FileRole::Snapshot { root }
            | FileRole::GitIgnore { root } => root,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileFacts {
    Migration(MigrationFacts),
    Elixir(ElixirFacts),
    Snapshot(SnapshotFacts),
    /// `.gitignore` files and unreadable files.
    None,
}

/// One indexed file with its facts.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the workspace root, `/`-separated.
    pub rel: String,
    pub role: FileRole,
    pub text: Arc<str>,
    pub lines: LineIndex,
    pub facts: FileFacts,
    pub suppressions: Vec<Suppression>,
    /// Ranges of syntax errors (at most a few).
    pub syntax_errors: Vec<Span>,
    /// Why the file could not be indexed (binary, not UTF-8, too large).
    pub problem: Option<String>,
}

/// What an editor buffer keeps from its last parse for the next one.
#[derive(Default, Clone, Copy)]
pub struct Reuse<'a> {
    /// The last tree, `Tree::edit`ed to match the new text.
    pub tree: Option<&'a tree_sitter::Tree>,
    /// A migration's statements as last walked; `Some` (even empty) asks for
    /// the statements of this parse to be kept.
    pub statements: Option<&'a StatementCache>,
}

/// A file read from a buffer, with what to keep for the next parse.
pub struct Reparsed {
    pub file: SourceFile,
    pub tree: Option<tree_sitter::Tree>,
    pub statements: Option<StatementCache>,
}

impl SourceFile {
    /// Read facts from text. Pure: used for files on disk and editor buffers alike.
    pub fn from_text(rel: String, role: FileRole, text: Arc<str>) -> SourceFile {
        SourceFile::from_text_reparsed(rel, role, text, Reuse::default()).file
    }

    /// [`SourceFile::from_text`] for a file kept open in an editor: parse
    /// incrementally from the old tree (already `Tree::edit`ed to match
    /// `text`), take a migration's unchanged statements from the last
    /// extraction, and hand back the tree and statements for the next edit.
    pub fn from_text_reparsed(
        rel: String,
        role: FileRole,
        text: Arc<str>,
        reuse: Reuse<'_>,
    ) -> Reparsed {
        // The line index and suppression comments on one core while the
        // other parses and reads the facts.
        let ((lines, suppressions), read) = rayon::join(
            || (LineIndex::new(&text), syntax::suppress::suppressions(&text)),
            || read_facts(&rel, &role, &text, reuse),
        );
        Reparsed {
            file: SourceFile {
                rel,
                role,
                text,
                lines,
                facts: read.facts,
                suppressions,
                syntax_errors: read.syntax_errors,
                problem: read.problem,
            },
            tree: read.tree,
            statements: read.statements,
        }
    }

    /// Read a file's bytes into a `SourceFile`, or one that carries the
    /// problem (binary, not UTF-8, too large).
    pub fn from_bytes(rel: String, role: FileRole, bytes: Vec<u8>) -> SourceFile {
        let problem = if bytes.len() > MAX_FILE_BYTES {
            Some(format!(
                "file is {:.1} MB; files over {} MB are not indexed",
                bytes.len() as f64 / 1_048_576.0,
                MAX_FILE_BYTES / 1_048_576
            ))
        } else if bytes.contains(&0) {
            Some("binary file (contains NUL bytes); not indexed".into())
        } else {
            None
        };
        let text = match (problem.is_none(), String::from_utf8(bytes)) {
            (true, Ok(text)) => text,
            (true, Err(_)) => {
                return SourceFile::problem(rel, role, "not valid UTF-8 text; not indexed".into())
            }
            (false, _) => return SourceFile::problem(rel, role, problem.unwrap_or_default()),
        };
        SourceFile::from_text(rel, role, Arc::from(text))
    }

    fn problem(rel: String, role: FileRole, problem: String) -> SourceFile {
        SourceFile {
            rel,
            role,
            text: Arc::from(""),
            lines: LineIndex::new(""),
            facts: FileFacts::None,
            suppressions: Vec::new(),
            syntax_errors: Vec::new(),
            problem: Some(problem),
        }
    }

    pub fn migration(&self) -> Option<&MigrationFacts> {
        match &self.facts {
            FileFacts::Migration(m) => Some(m),
            _ => None,
        }
    }

    pub fn elixir(&self) -> Option<&ElixirFacts> {
        match &self.facts {
            FileFacts::Elixir(e) => Some(e),
            _ => None,
        }
    }

    pub fn snapshot(&self) -> Option<&SnapshotFacts> {
        match &self.facts {
            FileFacts::Snapshot(s) => Some(s),
            _ => None,
        }
    }

    /// Whether `code` is silenced on the line of byte `offset`.
    pub fn is_suppressed(&self, code: &str, offset: usize) -> bool {
        let line = self.lines.line_of(offset);
        self.suppressions
            .iter()
            .any(|s| s.applies_to_line == line && s.codes.iter().any(|c| c == code))
    }
}

/// Where the time of [`Workspace::load_with`] went. `walk` and `indexing`
/// are wall time; `read`, `prefilter`, `parse` and `facts` are summed over
/// the threads that did them (so together they can exceed `indexing`).
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadTimings {
    pub walk: Duration,
    pub read: Duration,
    pub prefilter: Duration,
    pub parse: Duration,
    pub facts: Duration,
    /// Wall time of reading, prefiltering, parsing and extracting, in parallel.
    pub indexing: Duration,
    /// Wall time of the fold and of the checks, set by whoever runs them.
    pub fold: Duration,
    pub checks: Duration,
}

/// Nanoseconds spent parsing and extracting facts, summed over threads;
/// process-wide, read before and after a load to attribute its share.
/// What is read from a file's text besides its lines and suppressions.
struct Read {
    facts: FileFacts,
    syntax_errors: Vec<Span>,
    problem: Option<String>,
    tree: Option<tree_sitter::Tree>,
    statements: Option<StatementCache>,
}

/// Parse (incrementally from `reuse`) and read the facts of one file.
fn read_facts(rel: &str, role: &FileRole, text: &str, reuse: Reuse<'_>) -> Read {
    let mut read = Read {
        facts: FileFacts::None,
        syntax_errors: Vec::new(),
        problem: None,
        tree: None,
        statements: None,
    };
    match role {
        FileRole::Snapshot { .. } => {
            match snapshots::parse(rel, text) {
                Ok(facts) => read.facts = FileFacts::Snapshot(facts),
                Err(problem) => read.problem = Some(problem),
            }
            return read;
        }
        FileRole::GitIgnore { .. } => return read,
        _ => {}
    }
    let parsing = Instant::now();
    let parsed = syntax::elixir::parse_incremental(text, reuse.tree);
    add_nanos(&PARSE_NANOS, parsing);
    let Some(tree) = parsed else {
        read.problem = Some("the Elixir parser gave up on this file".into());
        return read;
    };
    let extracting = Instant::now();
    if syntax::elixir::nests_deeper_than(&tree, syntax::elixir::MAX_TREE_DEPTH) {
        read.problem = Some(format!(
            "expressions nest more than {} levels deep; not indexed",
            syntax::elixir::MAX_TREE_DEPTH
        ));
        read.tree = Some(tree);
        return read;
    }
    read.syntax_errors = syntax::elixir::syntax_errors(&tree, 5);
    read.facts = match (role, reuse.statements) {
        (FileRole::Migration { .. }, Some(previous)) => {
            let (facts, kept) = syntax::migration::extract_reusing(text, &tree, Some(previous));
            read.statements = Some(kept);
            FileFacts::Migration(facts)
        }
        (FileRole::Migration { .. }, None) => {
            FileFacts::Migration(syntax::migration::extract(text, &tree))
        }
        _ => FileFacts::Elixir(syntax::resource::extract(text, &tree)),
    };
    add_nanos(&FACTS_NANOS, extracting);
    read.tree = Some(tree);
    read
}

static PARSE_NANOS: AtomicU64 = AtomicU64::new(0);
static FACTS_NANOS: AtomicU64 = AtomicU64::new(0);

fn add_nanos(counter: &AtomicU64, since: Instant) {
    let nanos = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
    counter.fetch_add(nanos, Ordering::Relaxed);
}

/// Everything indexed under one PATH.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// The folder given on the command line or by the editor.
    pub root: PathBuf,
    pub config: Config,
    /// Project roots (folders with a `mix.exs`), relative, `""` for the root itself.
    pub roots: Vec<String>,
    pub files: BTreeMap<String, SourceFile>,
    /// Elixir files seen but not indexed because nothing in them can matter.
    pub skipped_files: usize,
    /// The git repositories the project roots sit in (none outside git).
    pub git: Vec<GitRepo>,
    /// Where loading spent its time (zero for workspaces built in memory).
    pub timings: LoadTimings,
}

#[derive(Debug)]
pub enum LoadError {
    NotFound(PathBuf),
    NotADirectory(PathBuf),
    Config(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NotFound(p) => write!(f, "{}: no such file or directory", p.display()),
            LoadError::NotADirectory(p) => write!(f, "{}: not a directory", p.display()),
            LoadError::Config(e) => write!(f, "configuration: {e}"),
        }
    }
}

impl Workspace {
    /// Walk `path`, find project roots and index every file that matters.
    pub fn load(path: &Path) -> Result<Workspace, LoadError> {
        check_folder(path)?;
        let config = Config::load(path)
            .map_err(LoadError::Config)?
            .unwrap_or_default();
        Workspace::load_with(path, config, &|_, _| {})
    }

    /// [`Workspace::load`] with a configuration the caller settled (an
    /// editor's settings layered under the file), calling `progress(done,
    /// total)` as files are read, from any thread.
    pub fn load_with(
        path: &Path,
        config: Config,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Workspace, LoadError> {
        check_folder(path)?;
        let mut ws = Workspace {
            root: path.to_path_buf(),
            config,
            ..Workspace::default()
        };
        let walking = Instant::now();
        // Compiling the two tree-sitter queries costs as much as the walk:
        // do both at once rather than make the first extraction wait.
        let (all, ()) = rayon::join(
            || walk(path, &ws.config.exclude),
            || {
                rayon::join(syntax::migration::warm_up, syntax::resource::warm_up);
            },
        );
        ws.roots = find_roots(&all);
        ws.git = gitignore::discover(&ws.root, &ws.roots);
        let candidates: Vec<(String, FileRole)> = all
            .iter()
            .filter_map(|rel| ws.classify(rel).map(|role| (rel.clone(), role)))
            .collect();
        ws.timings.walk = walking.elapsed();
        let root_dir = ws.root.clone();
        let total = candidates.len();
        let (read_nanos, prefilter_nanos) = (AtomicU64::new(0), AtomicU64::new(0));
        let (parse_before, facts_before) = (
            PARSE_NANOS.load(Ordering::Relaxed),
            FACTS_NANOS.load(Ordering::Relaxed),
        );
        let indexing = Instant::now();
        let done = std::sync::atomic::AtomicUsize::new(0);
        progress(0, total);
        let results: Vec<Option<SourceFile>> = candidates
            .into_par_iter()
            .map(|(rel, role)| {
                progress(
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                    total,
                );
                let reading = Instant::now();
                let read = std::fs::read(root_dir.join(&rel));
                add_nanos(&read_nanos, reading);
                let bytes = match read {
                    Ok(b) => b,
                    // Deleted between listing and reading, or unreadable.
                    Err(e) => {
                        return Some(SourceFile::problem(
                            rel,
                            role,
                            format!("could not read: {e}"),
                        ))
                    }
                };
                let prefiltering = Instant::now();
                let skip =
                    matches!(role, FileRole::Elixir { .. }) && !elixir_file_matters(&rel, &bytes);
                add_nanos(&prefilter_nanos, prefiltering);
                if skip {
                    return None;
                }
                Some(SourceFile::from_bytes(rel, role, bytes))
            })
            .collect();
        let since = |counter: &AtomicU64, before: u64| {
            Duration::from_nanos(counter.load(Ordering::Relaxed).saturating_sub(before))
        };
        ws.timings.indexing = indexing.elapsed();
        ws.timings.read = since(&read_nanos, 0);
        ws.timings.prefilter = since(&prefilter_nanos, 0);
        ws.timings.parse = since(&PARSE_NANOS, parse_before);
        ws.timings.facts = since(&FACTS_NANOS, facts_before);
        for result in results {
            match result {
                Some(file) => {
                    ws.files.insert(file.rel.clone(), file);
                }
                None => ws.skipped_files += 1,
            }
        }
        Ok(ws)
    }

    /// Index files given as text (fixtures, editor buffers), as if they were
    /// on disk under `root`. A `.ecto-ash-lsp.toml` among them is the config;
    /// files under a `.git/` folder make that folder's parent a git
    /// repository (`.git/info/exclude` is read).
    pub fn from_memory(root: &Path, files: Vec<(String, String)>) -> Result<Workspace, LoadError> {
        let config = match files
            .iter()
            .find(|(rel, _)| rel == crate::model::config::CONFIG_FILE)
        {
            Some((_, text)) => Config::parse(text).map_err(LoadError::Config)?,
            None => Config::default(),
        };
        let mut ws = Workspace {
            root: root.to_path_buf(),
            config,
            ..Workspace::default()
        };
        let mut rels: Vec<String> = files.iter().map(|(rel, _)| rel.clone()).collect();
        rels.sort();
        ws.roots = find_roots(&rels);
        ws.git = gitignore::from_files(&files);
        for (rel, text) in files {
            let Some(role) = ws.classify(&rel) else {
                continue;
            };
            if matches!(role, FileRole::Elixir { .. })
                && !elixir_file_matters(&rel, text.as_bytes())
            {
                ws.skipped_files += 1;
                continue;
            }
            ws.files.insert(
                rel.clone(),
                SourceFile::from_bytes(rel, role, text.into_bytes()),
            );
        }
        Ok(ws)
    }

    /// What `rel` is to the model, or `None` when it does not matter.
    pub fn classify(&self, rel: &str) -> Option<FileRole> {
        classify(&self.roots, rel)
    }

    /// Replace (or add) one file's text, e.g. from an editor buffer.
    pub fn set_text(&mut self, rel: &str, text: Arc<str>) -> bool {
        let Some(role) = self.classify(rel) else {
            return false;
        };
        self.files.insert(
            rel.to_string(),
            SourceFile::from_text(rel.to_string(), role, text),
        );
        true
    }

    pub fn remove(&mut self, rel: &str) {
        self.files.remove(rel);
    }
}

/// PATH must be an existing folder.
fn check_folder(path: &Path) -> Result<(), LoadError> {
    let meta = std::fs::metadata(path).map_err(|_| LoadError::NotFound(path.to_path_buf()))?;
    if !meta.is_dir() {
        return Err(LoadError::NotADirectory(path.to_path_buf()));
    }
    Ok(())
}

/// Every file below `root` (relative, `/`-separated), skipping dependency,
/// build and hidden folders and the configured excludes. Symlinks are not
/// followed, so a link loop cannot hang the walk.
pub fn walk(root: &Path, exclude: &[String]) -> Vec<String> {
    let mut overrides = ignore::overrides::OverrideBuilder::new(root);
    for pattern in exclude {
        // Override globs whitelist; a leading `!` turns them into ignores.
        let _ = overrides.add(&format!("!{pattern}"));
    }
    let overrides = overrides.build().ok();
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .standard_filters(false)
        .follow_links(false)
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir
                && entry.depth() > 0
                && (name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_ref())))
        });
    if let Some(o) = overrides {
        if !exclude.is_empty() {
            builder.overrides(o);
        }
    }
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    builder.build_parallel().run(|| {
        let tx = tx.clone();
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return ignore::WalkState::Continue;
            };
            if entry.file_type().is_some_and(|t| t.is_file()) {
                let name = entry.file_name().to_string_lossy();
                if name.ends_with(".ex")
                    || name.ends_with(".exs")
                    || name.ends_with(".json")
                    || name == ".gitignore"
                {
                    if let Ok(rel) = entry.path().strip_prefix(root) {
                        let rel = rel
                            .components()
                            .map(|c| c.as_os_str().to_string_lossy())
                            .collect::<Vec<_>>()
                            .join("/");
                        let _ = tx.send(rel);
                    }
                }
            }
            ignore::WalkState::Continue
        })
    });
    drop(tx);
    let mut files: Vec<String> = rx.into_iter().collect();
    files.sort();
    files
}

/// Folders holding a `mix.exs`. With none, the workspace root is the one root.
pub fn find_roots(files: &[String]) -> Vec<String> {
    let mut roots: Vec<String> = files
        .iter()
        .filter_map(|f| {
            if f == "mix.exs" {
                Some(String::new())
            } else {
                f.strip_suffix("/mix.exs").map(str::to_string)
            }
        })
        .collect();
    if roots.is_empty() {
        roots.push(String::new());
    }
    roots.sort();
    roots
}

/// The deepest root containing `rel`.
pub fn owning_root<'r>(roots: &'r [String], rel: &str) -> Option<&'r str> {
    roots
        .iter()
        .filter(|r| r.is_empty() || rel.starts_with(&format!("{r}/")))
        .max_by_key(|r| r.len())
        .map(String::as_str)
}

pub fn classify(roots: &[String], rel: &str) -> Option<FileRole> {
    if rel == ".gitignore" || rel.ends_with("/.gitignore") {
        let root = owning_root(roots, rel).unwrap_or("").to_string();
        return Some(FileRole::GitIgnore { root });
    }
    let root = owning_root(roots, rel)?.to_string();
    let inner = if root.is_empty() {
        rel
    } else {
        rel.strip_prefix(&root)?.strip_prefix('/')?
    };
    let parts: Vec<&str> = inner.split('/').collect();
    let is_exs = inner.ends_with(".exs");
    let is_elixir = is_exs || inner.ends_with(".ex");
    match parts.as_slice() {
        ["priv", "resource_snapshots", .., file] if file.ends_with(".json") => {
            Some(FileRole::Snapshot { root })
        }
        ["priv", repo, folder @ ("migrations" | "tenant_migrations"), file] if is_exs => {
            let repo_dir = if root.is_empty() {
                format!("priv/{repo}")
            } else {
                format!("{root}/priv/{repo}")
            };
            let digits: String = file.chars().take_while(char::is_ascii_digit).collect();
            Some(FileRole::Migration {
                root,
                repo_dir,
                tenant: *folder == "tenant_migrations",
                version: (!digits.is_empty()).then_some(digits),
            })
        }
        ["priv", ..] | ["test", ..] | ["mix.exs"] | [".formatter.exs"] => None,
        _ if is_elixir => Some(FileRole::Elixir { root }),
        _ => None,
    }
}

/// Cheap text test before parsing: only files that can declare a resource,
/// schema, base module, repo or repo config are parsed.
/// Whether a file of `role` with these bytes is indexed at all: every
/// migration, snapshot and `.gitignore`, and the Elixir files that can hold
/// something the model reads. The editor's buffers go through the same
/// test, so an open file is in the model exactly when it would be on disk.
pub fn indexed(role: &FileRole, rel: &str, bytes: &[u8]) -> bool {
    !matches!(role, FileRole::Elixir { .. }) || elixir_file_matters(rel, bytes)
}

fn elixir_file_matters(rel: &str, bytes: &[u8]) -> bool {
    let in_config = rel.starts_with("config/") || rel.contains("/config/");
    if in_config {
        return contains(bytes, b"Repo") || contains(bytes, b"repo");
    }
    const NEEDLES: &[&str] = &[
        "Ash.Resource",
        // Enum, NewType and custom type modules tell attribute storage.
        "use Ash.Type",
        "Ash.TypedStruct",
        "Ecto.Schema",
        "Ecto.Repo",
        "AshPostgres.Repo",
        "__using__",
        "postgres do",
        "attributes do",
        "table:",
        // An Ecto schema declared through a base (`use MyApp.Schema`).
        "schema \"",
        "schema @",
    ];
    // One pass over the bytes for all needles: most files match none.
    static MATTERS: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    match MATTERS.get_or_init(|| aho_corasick::AhoCorasick::new(NEEDLES).ok()) {
        Some(searcher) => searcher.is_match(bytes),
        None => NEEDLES.iter().any(|n| contains(bytes, n.as_bytes())),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeply_nested_files_are_reported_not_overflowed() {
        let n = 5000;
        for text in [
            format!("x = {}{}\n", "[".repeat(n), "]".repeat(n)),
            format!(
                "defmodule A do\n  use Ash.Resource, data_layer: AshPostgres.DataLayer\n  identities do\n    identity :x, {}{}\n  end\nend\n",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ] {
            let file = SourceFile::from_text(
                "lib/a.ex".into(),
                FileRole::Elixir { root: String::new() },
                Arc::from(text),
            );
            assert_eq!(
                file.problem.as_deref(),
                Some("expressions nest more than 400 levels deep; not indexed")
            );
            assert_eq!(file.facts, FileFacts::None);
        }
        let migration = SourceFile::from_text(
            "priv/repo/migrations/1_a.exs".into(),
            FileRole::Migration {
                root: String::new(),
                repo_dir: "priv/repo".into(),
                tenant: false,
                version: Some("1".into()),
            },
            Arc::from(format!("defmodule M do\n  use Ecto.Migration\n  def up do\n    execute {}\"x\"{}\n  end\nend\n", "(".repeat(n), ")".repeat(n))),
        );
        assert!(migration.problem.is_some());
    }

    #[test]
    fn classifies_paths() {
        let roots = vec![String::new(), "apps/core".to_string()];
        assert_eq!(
            classify(
                &roots,
                "apps/core/priv/repo/migrations/20250101000000_a.exs"
            ),
            Some(FileRole::Migration {
                root: "apps/core".into(),
                repo_dir: "apps/core/priv/repo".into(),
                tenant: false,
                version: Some("20250101000000".into()),
            })
        );
        assert!(matches!(
            classify(&roots, "priv/repo/tenant_migrations/1_a.exs"),
            Some(FileRole::Migration { tenant: true, .. })
        ));
        assert_eq!(
            classify(&roots, "apps/core/lib/a.ex"),
            Some(FileRole::Elixir {
                root: "apps/core".into()
            })
        );
        assert_eq!(classify(&roots, "apps/core/test/a_test.exs"), None);
        assert_eq!(classify(&roots, "priv/repo/seeds.exs"), None);
        assert!(matches!(
            classify(&roots, "priv/resource_snapshots/repo/users/1.json"),
            Some(FileRole::Snapshot { .. })
        ));
        assert_eq!(classify(&roots, "lib/a.json"), None);
        assert_eq!(
            classify(&roots, "apps/core/.gitignore"),
            Some(FileRole::GitIgnore {
                root: "apps/core".into()
            })
        );
        assert_eq!(
            classify(&["apps/core".to_string()], ".gitignore"),
            Some(FileRole::GitIgnore {
                root: String::new()
            })
        );
    }

    #[test]
    fn snapshot_files_carry_their_facts_or_their_problem() {
        let role = FileRole::Snapshot {
            root: String::new(),
        };
        let rel = "priv/resource_snapshots/repo/users/20240101000000.json";
        let ok = SourceFile::from_text(
            rel.into(),
            role.clone(),
            Arc::from(r#"{"table": "users", "attributes": []}"#),
        );
        assert!(matches!(ok.snapshot(), Some(SnapshotFacts::Table(_))));
        assert_eq!(ok.problem, None);
        let bad = SourceFile::from_bytes(rel.into(), role.clone(), b"{\"table\": ".to_vec());
        assert!(bad.snapshot().is_none());
        assert!(bad
            .problem
            .as_deref()
            .is_some_and(|p| p.starts_with("malformed snapshot JSON")));
        let binary = SourceFile::from_bytes(rel.into(), role, vec![0x7b, 0, 0xff]);
        assert_eq!(
            binary.problem.as_deref(),
            Some("binary file (contains NUL bytes); not indexed")
        );
    }
}
