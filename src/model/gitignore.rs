//! Git's ignore rules, as far as the checks need them: whether a workspace
//! path is ignored, and by which line of which file. Git's order is kept:
//! `.gitignore` files from the path's own folder up to the repository top
//! (a deeper file wins, the last matching line of a file wins, `!`
//! re-includes), then `.git/info/exclude`; nothing below an ignored folder
//! can be re-included. Matching one pattern is the `ignore` crate's
//! gitignore module. Whether files are already in git's index (tracked
//! despite a later ignore line) is not read.

use crate::model::facts::Span;
use crate::model::workspace::{FileRole, Workspace};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;
use std::path::{Component, Path};

/// Ignore files larger than this are not read.
const MAX_IGNORE_BYTES: u64 = 1024 * 1024;

/// The git repository a project root sits in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitRepo {
    /// The repository's top folder relative to the workspace: `""`, a folder
    /// inside it (`apps/core`), or above it (`../..`).
    pub top: String,
    /// When the top is above the workspace: the workspace's folder below the
    /// top (`examples/demo`).
    pub workspace_in_top: String,
    /// `.gitignore` files between the top and the workspace root, which the
    /// workspace walk does not see.
    pub outer_ignores: Vec<IgnoreText>,
    /// `.git/info/exclude`.
    pub exclude: Option<IgnoreText>,
}

/// The text of an ignore file that is not a workspace file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreText {
    /// How messages name it (`../../.gitignore`, `.git/info/exclude`).
    pub label: String,
    /// The folder its patterns are relative to, from the repository top.
    pub dir: String,
    pub text: String,
}

impl GitRepo {
    fn above_workspace(&self) -> bool {
        self.top.starts_with("..")
    }

    /// Whether a workspace-relative folder lies inside this repository.
    fn contains(&self, rel: &str) -> bool {
        self.above_workspace() || within(rel, &self.top)
    }

    /// A workspace-relative path, relative to the repository top.
    fn relative_to_top(&self, rel: &str) -> Option<String> {
        if self.above_workspace() {
            return Some(join(&self.workspace_in_top, rel));
        }
        if self.top.is_empty() {
            return Some(rel.to_string());
        }
        if rel == self.top {
            return Some(String::new());
        }
        rel.strip_prefix(&self.top)?
            .strip_prefix('/')
            .map(str::to_string)
    }
}

fn within(rel: &str, dir: &str) -> bool {
    dir.is_empty() || rel == dir || rel.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

fn join(dir: &str, rel: &str) -> String {
    match (dir.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (_, true) => dir.to_string(),
        _ => format!("{dir}/{rel}"),
    }
}

/// The git repositories the project roots of a workspace on disk sit in:
/// for each root, the nearest folder at or above it holding `.git`.
pub fn discover(workspace: &Path, roots: &[String]) -> Vec<GitRepo> {
    let Ok(abs) = std::fs::canonicalize(workspace) else {
        return Vec::new();
    };
    let mut repos: Vec<GitRepo> = Vec::new();
    for root in roots {
        let start = if root.is_empty() {
            abs.clone()
        } else {
            abs.join(root)
        };
        let Some(top) = start.ancestors().find(|a| a.join(".git").exists()) else {
            continue;
        };
        let repo = if let Ok(inside) = top.strip_prefix(&abs) {
            GitRepo {
                top: slash_path(inside),
                exclude: read_exclude(top, &slash_path(inside)),
                ..GitRepo::default()
            }
        } else if let Ok(below) = abs.strip_prefix(top) {
            let depth = below.components().count();
            let mut outer_ignores = Vec::new();
            // Folders from the top down to (not including) the workspace root.
            let mut dir = top.to_path_buf();
            let mut dir_rel = String::new();
            for (i, part) in below.components().enumerate() {
                let up = "../".repeat(depth - i);
                if let Some(text) = read_small(&dir.join(".gitignore")) {
                    outer_ignores.push(IgnoreText {
                        label: format!("{up}.gitignore"),
                        dir: dir_rel.clone(),
                        text,
                    });
                }
                dir.push(part.as_os_str());
                dir_rel = join(&dir_rel, &part.as_os_str().to_string_lossy());
            }
            let top_rel = "../".repeat(depth);
            GitRepo {
                exclude: read_exclude(top, top_rel.trim_end_matches('/')),
                top: top_rel.trim_end_matches('/').to_string(),
                workspace_in_top: slash_path(below),
                outer_ignores,
            }
        } else {
            continue;
        };
        if !repos.iter().any(|r| r.top == repo.top) {
            repos.push(repo);
        }
    }
    repos
}

/// Repositories declared by in-memory files (`.git/HEAD`, `.git/info/exclude`,
/// `apps/x/.git/HEAD`), for fixtures and tests.
pub fn from_files(files: &[(String, String)]) -> Vec<GitRepo> {
    let mut repos: Vec<GitRepo> = Vec::new();
    for (rel, text) in files {
        let top = if rel.starts_with(".git/") {
            ""
        } else if let Some(at) = rel.find("/.git/") {
            &rel[..at]
        } else {
            continue;
        };
        let index = match repos.iter().position(|r| r.top == top) {
            Some(i) => i,
            None => {
                repos.push(GitRepo {
                    top: top.to_string(),
                    ..GitRepo::default()
                });
                repos.len() - 1
            }
        };
        if rel.ends_with(".git/info/exclude") {
            if let Some(repo) = repos.get_mut(index) {
                repo.exclude = Some(IgnoreText {
                    label: rel.clone(),
                    dir: String::new(),
                    text: text.clone(),
                });
            }
        }
    }
    repos
}

fn slash_path(p: &Path) -> String {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn read_small(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_IGNORE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// `.git/info/exclude` of the repository at `top`, following a `.git` file
/// (worktrees, submodules) to the git folder and its common folder.
fn read_exclude(top: &Path, top_label: &str) -> Option<IgnoreText> {
    let dot_git = top.join(".git");
    let git_dir = if dot_git.is_dir() {
        dot_git
    } else {
        let pointer = read_small(&dot_git)?;
        let target = pointer.trim().strip_prefix("gitdir:")?.trim();
        let target = Path::new(target);
        if target.is_absolute() {
            target.to_path_buf()
        } else {
            top.join(target)
        }
    };
    let common = match read_small(&git_dir.join("commondir")) {
        Some(c) if !c.trim().is_empty() => {
            let c = Path::new(c.trim());
            if c.is_absolute() {
                c.to_path_buf()
            } else {
                git_dir.join(c)
            }
        }
        _ => git_dir,
    };
    let text = read_small(&common.join("info").join("exclude"))?;
    Some(IgnoreText {
        label: join(top_label, ".git/info/exclude"),
        dir: String::new(),
        text,
    })
}

/// The line of an ignore file that ignores a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreMatch {
    /// The ignore file when it is a workspace file, so a finding can point at it.
    pub file: Option<String>,
    /// How messages name the ignore file.
    pub label: String,
    /// 0-based line.
    pub line: usize,
    /// The line's byte range in that file.
    pub span: Span,
    /// The pattern as written.
    pub pattern: String,
}

impl IgnoreMatch {
    /// `priv/resource_snapshots/` at .gitignore:27
    pub fn describe(&self) -> String {
        format!("`{}` at {}:{}", self.pattern, self.label, self.line + 1)
    }
}

/// One ignore file compiled, with its lines for pointing at the one that matched.
#[derive(Clone)]
struct Source {
    /// Folder the patterns are relative to, from the repository top.
    dir: String,
    matcher: Gitignore,
    /// (byte range, text after git's trimming) of each line.
    lines: Vec<(Span, String)>,
    file: Option<String>,
    label: String,
}

/// Ignore files compiled so far, by folder and text: every analysis asks
/// for the same few again (an editor re-analyses on each keystroke).
static COMPILED: std::sync::Mutex<std::collections::BTreeMap<(String, String), Source>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());
/// Entries kept before starting over (projects have a handful of ignore files).
const COMPILED_KEPT: usize = 256;

impl Source {
    fn compile(dir: String, text: &str, file: Option<String>, label: String) -> Source {
        let key = (dir, text.to_string());
        let mut compiled = COMPILED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = compiled.get(&key) {
            return Source {
                file,
                label,
                ..known.clone()
            };
        }
        let source = Source::build(key.0.clone(), text, file, label);
        if compiled.len() >= COMPILED_KEPT {
            compiled.clear();
        }
        compiled.insert(key, source.clone());
        source
    }

    fn build(dir: String, text: &str, file: Option<String>, label: String) -> Source {
        let mut builder = GitignoreBuilder::new(".");
        let mut lines = Vec::new();
        let mut start = 0;
        for (i, raw) in text.split('\n').enumerate() {
            let content = raw.strip_suffix('\r').unwrap_or(raw);
            let line = if i == 0 {
                content.trim_start_matches('\u{feff}')
            } else {
                content
            };
            // Bad globs are skipped, as git skips patterns it cannot use.
            let _ = builder.add_line(None, line);
            let trimmed = trim_trailing_unescaped_spaces(line).to_string();
            lines.push((start..start + content.len(), trimmed));
            start += raw.len() + 1;
        }
        let matcher = builder.build().unwrap_or_else(|_| Gitignore::empty());
        Source {
            dir,
            matcher,
            lines,
            file,
            label,
        }
    }

    /// The decision of this file alone for a path relative to the top.
    fn decide(&self, path: &str, is_dir: bool) -> Option<Decision> {
        let rel = if self.dir.is_empty() {
            path
        } else {
            path.strip_prefix(&self.dir)?.strip_prefix('/')?
        };
        if rel.is_empty() {
            return None;
        }
        match self.matcher.matched(rel, is_dir) {
            Match::None => None,
            Match::Whitelist(_) => Some(Decision::Included),
            Match::Ignore(glob) => Some(Decision::Ignored(self.locate(glob.original()))),
        }
    }

    /// The matching line: the last one written like the pattern, since the
    /// last matching line of a file decides.
    fn locate(&self, pattern: &str) -> IgnoreMatch {
        let found = self
            .lines
            .iter()
            .enumerate()
            .rev()
            .find(|(_, (_, text))| text == pattern);
        let (line, span) = match found {
            Some((line, (span, _))) => (line, span.clone()),
            None => (0, 0..0),
        };
        IgnoreMatch {
            file: self.file.clone(),
            label: self.label.clone(),
            line,
            span,
            pattern: pattern.to_string(),
        }
    }
}

enum Decision {
    Ignored(IgnoreMatch),
    Included,
}

/// The ignore rules that apply to one project root.
pub struct IgnoreRules<'w> {
    repo: Option<&'w GitRepo>,
    /// Deepest folder first.
    sources: Vec<Source>,
    exclude: Option<Source>,
}

impl<'w> IgnoreRules<'w> {
    /// The rules for paths under `scope` (a workspace folder) of project
    /// root `root`: those of its git repository, or, outside any repository,
    /// those the workspace's own `.gitignore` files would make. Only ignore
    /// files above or inside `scope` are compiled.
    pub fn for_root(ws: &'w Workspace, root: &str, scope: &str) -> IgnoreRules<'w> {
        let repo = ws.git.iter().filter(|r| r.contains(root)).max_by_key(|r| {
            if r.above_workspace() {
                0
            } else {
                r.top.len() + 1
            }
        });
        let to_top = |rel: &str| match repo {
            Some(r) => r.relative_to_top(rel),
            None => Some(rel.to_string()),
        };
        let mut sources = Vec::new();
        for file in ws.files.values() {
            if !matches!(file.role, FileRole::GitIgnore { .. }) {
                continue;
            }
            let dir_ws = file.rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            if !within(scope, dir_ws) && !within(dir_ws, scope) {
                continue;
            }
            let Some(dir) = to_top(dir_ws) else {
                continue;
            };
            sources.push(Source::compile(
                dir,
                &file.text,
                Some(file.rel.clone()),
                file.rel.clone(),
            ));
        }
        if let Some(r) = repo {
            for outer in &r.outer_ignores {
                sources.push(Source::compile(
                    outer.dir.clone(),
                    &outer.text,
                    None,
                    outer.label.clone(),
                ));
            }
        }
        // Deepest folder first: a deeper file overrides a shallower one.
        sources
            .sort_by_key(|s| std::cmp::Reverse(s.dir.split('/').filter(|p| !p.is_empty()).count()));
        let exclude = repo
            .and_then(|r| r.exclude.as_ref())
            .map(|e| Source::compile(String::new(), &e.text, None, e.label.clone()));
        IgnoreRules {
            repo,
            sources,
            exclude,
        }
    }

    /// Whether the root sits in a git repository.
    pub fn in_git(&self) -> bool {
        self.repo.is_some()
    }

    /// The line that ignores a workspace-relative path, walking from the top
    /// down so that an ignored folder hides everything below it.
    pub fn ignored(&self, rel: &str, is_dir: bool) -> Option<IgnoreMatch> {
        let path = match self.repo {
            Some(r) => r.relative_to_top(rel)?,
            None => rel.to_string(),
        };
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        for i in 1..=parts.len() {
            let prefix = parts[..i].join("/");
            let prefix_is_dir = i < parts.len() || is_dir;
            if let Some(Decision::Ignored(m)) = self.decide(&prefix, prefix_is_dir) {
                return Some(m);
            }
        }
        None
    }

    fn decide(&self, path: &str, is_dir: bool) -> Option<Decision> {
        self.sources
            .iter()
            .chain(self.exclude.iter())
            .find_map(|s| s.decide(path, is_dir))
    }
}

/// Git's rule for trailing spaces: trimmed unless escaped with a backslash.
fn trim_trailing_unescaped_spaces(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut cut = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\\') => {
                i += 2;
                cut = None;
            }
            Some(b' ') => {
                cut.get_or_insert(i);
                i += 1;
            }
            _ => {
                cut = None;
                i += 1;
            }
        }
    }
    line.get(..cut.unwrap_or(line.len())).unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::workspace::Workspace;

    fn workspace(files: &[(&str, &str)]) -> Workspace {
        let files = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        Workspace::from_memory(Path::new("/w"), files).unwrap_or_default()
    }

    /// (file, 1-based line, pattern) of what ignores `rel`.
    fn ignored_by(
        ws: &Workspace,
        root: &str,
        rel: &str,
        is_dir: bool,
    ) -> Option<(String, usize, String)> {
        IgnoreRules::for_root(ws, root, rel)
            .ignored(rel, is_dir)
            .map(|m| (m.label, m.line + 1, m.pattern))
    }

    const SNAPSHOTS: &str = "priv/resource_snapshots";

    #[test]
    fn points_at_the_ignoring_line() {
        let ws = workspace(&[
            (".git/HEAD", ""),
            ("mix.exs", ""),
            (
                ".gitignore",
                "\u{feff}# build output\r\n/_build/\r\n\r\npriv/resource_snapshots/   \r\n*.ez\r\n",
            ),
        ]);
        assert_eq!(
            ignored_by(&ws, "", SNAPSHOTS, true),
            Some((".gitignore".into(), 4, "priv/resource_snapshots/".into()))
        );
        // Everything below an ignored folder is ignored by the same line.
        assert_eq!(
            ignored_by(
                &ws,
                "",
                "priv/resource_snapshots/repo/users/20240101000000.json",
                false
            ),
            Some((".gitignore".into(), 4, "priv/resource_snapshots/".into()))
        );
        assert_eq!(ignored_by(&ws, "", "priv/repo/migrations", true), None);
        let rules = IgnoreRules::for_root(&ws, "", SNAPSHOTS);
        let m = rules
            .ignored(SNAPSHOTS, true)
            .unwrap_or_else(|| panic!("ignored"));
        let text = &ws.files[".gitignore"].text;
        assert_eq!(
            text.get(m.span.clone()),
            Some("priv/resource_snapshots/   ")
        );
        assert_eq!(m.describe(), "`priv/resource_snapshots/` at .gitignore:4");
    }

    #[test]
    fn the_last_matching_line_and_the_deepest_file_win() {
        let ws = workspace(&[
            (".git/HEAD", ""),
            ("mix.exs", ""),
            (".gitignore", "priv/resource_snapshots/\n"),
            ("priv/.gitignore", "!resource_snapshots/\n"),
        ]);
        assert_eq!(ignored_by(&ws, "", SNAPSHOTS, true), None);
        let ws = workspace(&[
            (".git/HEAD", ""),
            ("mix.exs", ""),
            (".gitignore", "*.json\n!priv/resource_snapshots/**/*.json\n"),
        ]);
        assert_eq!(
            ignored_by(
                &ws,
                "",
                "priv/resource_snapshots/repo/users/20240101000000.json",
                false
            ),
            None
        );
        assert_eq!(
            ignored_by(&ws, "", "priv/static/manifest.json", false),
            Some((".gitignore".into(), 1, "*.json".into()))
        );
    }

    #[test]
    fn nothing_below_an_ignored_folder_comes_back() {
        let ws = workspace(&[
            (".git/HEAD", ""),
            ("mix.exs", ""),
            (".gitignore", "priv/\n!priv/resource_snapshots/\n"),
        ]);
        assert_eq!(
            ignored_by(&ws, "", SNAPSHOTS, true),
            Some((".gitignore".into(), 1, "priv/".into()))
        );
    }

    #[test]
    fn info_exclude_counts_after_gitignore_files() {
        let ws = workspace(&[
            (".git/info/exclude", "# local\npriv/resource_snapshots\n"),
            ("mix.exs", ""),
        ]);
        assert_eq!(
            ignored_by(&ws, "", SNAPSHOTS, true),
            Some((
                ".git/info/exclude".into(),
                2,
                "priv/resource_snapshots".into()
            ))
        );
        let ws = workspace(&[
            (".git/info/exclude", "priv/resource_snapshots\n"),
            (".gitignore", "!priv/resource_snapshots\n"),
            ("mix.exs", ""),
        ]);
        assert_eq!(ignored_by(&ws, "", SNAPSHOTS, true), None);
    }

    #[test]
    fn umbrella_apps_and_nested_repositories() {
        let ws = workspace(&[
            (".git/HEAD", ""),
            ("mix.exs", ""),
            ("apps/core/mix.exs", ""),
            ("apps/core/.gitignore", "/priv/resource_snapshots/\n"),
            // A separate repository inside the workspace: the outer
            // `.gitignore` does not reach into it.
            ("vendor/lib/.git/HEAD", ""),
            ("vendor/lib/mix.exs", ""),
            (".gitignore", "vendor/lib/priv/\n"),
        ]);
        assert_eq!(
            ignored_by(&ws, "apps/core", "apps/core/priv/resource_snapshots", true),
            Some((
                "apps/core/.gitignore".into(),
                1,
                "/priv/resource_snapshots/".into()
            ))
        );
        // Anchored to its own folder: the root's snapshots are not ignored.
        assert_eq!(ignored_by(&ws, "", SNAPSHOTS, true), None);
        assert_eq!(
            ignored_by(
                &ws,
                "vendor/lib",
                "vendor/lib/priv/resource_snapshots",
                true
            ),
            None
        );
        assert!(IgnoreRules::for_root(&ws, "vendor/lib", "vendor/lib/priv").in_git());
    }

    #[test]
    fn outside_git_the_workspace_files_still_answer() {
        let ws = workspace(&[("mix.exs", ""), (".gitignore", "priv/resource_snapshots\n")]);
        let rules = IgnoreRules::for_root(&ws, "", SNAPSHOTS);
        assert!(!rules.in_git());
        assert!(rules.ignored(SNAPSHOTS, true).is_some());
    }

    #[test]
    fn broken_patterns_and_odd_text_do_not_panic() {
        let ws = workspace(&[
            (".git/HEAD", ""),
            ("mix.exs", ""),
            (
                ".gitignore",
                "[\n\\\n!\n/\n**/\u{e9}t\u{e9}/\nprivé \\ \n\u{0}\n",
            ),
        ]);
        assert_eq!(ignored_by(&ws, "", SNAPSHOTS, true), None);
        assert_eq!(trim_trailing_unescaped_spaces("a\\ "), "a\\ ");
        assert_eq!(trim_trailing_unescaped_spaces("a  "), "a");
        assert_eq!(trim_trailing_unescaped_spaces("a\\"), "a\\");
    }

    #[test]
    fn discovers_repositories_on_disk() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let top = dir.path();
        let project = top.join("examples/shop");
        std::fs::create_dir_all(project.join("priv")).unwrap_or_default();
        std::fs::create_dir_all(top.join(".git/info")).unwrap_or_default();
        std::fs::write(top.join(".git/info/exclude"), "priv/resource_snapshots\n")
            .unwrap_or_default();
        std::fs::write(top.join(".gitignore"), "/target\n").unwrap_or_default();
        let repos = discover(&project, &[String::new()]);
        assert_eq!(repos.len(), 1);
        assert_eq!(repos[0].top, "../..");
        assert_eq!(repos[0].workspace_in_top, "examples/shop");
        assert_eq!(
            repos[0]
                .outer_ignores
                .iter()
                .map(|o| o.label.as_str())
                .collect::<Vec<_>>(),
            ["../../.gitignore"]
        );
        assert_eq!(
            repos[0].exclude.as_ref().map(|e| e.label.as_str()),
            Some("../../.git/info/exclude")
        );
        assert_eq!(
            repos[0].relative_to_top("priv/x").as_deref(),
            Some("examples/shop/priv/x")
        );

        // A worktree: `.git` is a file naming the git folder, whose
        // `commondir` holds `info/exclude`.
        let wt = top.join("wt");
        std::fs::create_dir_all(top.join(".git/worktrees/wt")).unwrap_or_default();
        std::fs::create_dir_all(&wt).unwrap_or_default();
        std::fs::write(
            wt.join(".git"),
            format!("gitdir: {}\n", top.join(".git/worktrees/wt").display()),
        )
        .unwrap_or_default();
        std::fs::write(top.join(".git/worktrees/wt/commondir"), "../..\n").unwrap_or_default();
        let repos = discover(&wt, &[String::new()]);
        assert_eq!(repos.len(), 1);
        assert_eq!(repos[0].top, "");
        assert_eq!(
            repos[0].exclude.as_ref().map(|e| e.text.as_str()),
            Some("priv/resource_snapshots\n")
        );

        let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert!(discover(outside.path(), &[String::new()]).is_empty());
        assert!(discover(&top.join("missing"), &[String::new()]).is_empty());
    }
}
