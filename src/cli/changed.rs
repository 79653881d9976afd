//! `check --changed-since REV`: the files changed since a git revision (and
//! untracked ones), relative to PATH, and the findings those changes concern:
//! findings in the changed files, findings about the tables their migrations
//! touch or their resources map to, and findings in migrations touching the
//! tables of changed resources.
//!
//! git is run as a plain tool on the repository (never the project's code),
//! with hooks, fsmonitor, pager and optional locks off, so asking for a diff
//! runs nothing of the repository's and writes nothing into it.

use crate::checks::Finding;
use crate::model::analysis::Analysis;
use crate::model::config::CONFIG_FILE;
use crate::model::facts::{OpKind, TableName};
use crate::model::workspace::Workspace;
use std::collections::BTreeSet;
use std::path::{Component, Path};
use std::process::{Command, Stdio};

/// Run git in `dir` with everything that could run repository-configured
/// programs, page, or write to the repository turned off.
fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, String> {
    Command::new("git")
        .arg("--no-pager")
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
        ])
        .arg("-C")
        .arg(dir)
        .args(args)
        // `git diff` refreshes the index when it may; this keeps it read-only.
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                "--changed-since needs git, which is not on PATH".to_string()
            }
            _ => format!("--changed-since: could not run git: {e}"),
        })
}

/// The first line git wrote to stderr, without its `fatal: ` prefix.
fn git_complaint(output: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr);
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.trim_start_matches("fatal: ")
        .trim_start_matches("error: ")
        .trim()
        .to_string()
}

/// NUL-separated paths from `git … -z`.
fn paths(stdout: &[u8]) -> impl Iterator<Item = String> + '_ {
    stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
}

/// Files changed since `rev` (committed, staged, unstaged or untracked),
/// relative to `path` with `/` separators; files outside `path` are left out.
pub fn changed_files(path: &Path, rev: &str) -> Result<BTreeSet<String>, String> {
    let shown = path.display();
    if rev.is_empty() || rev.starts_with('-') || rev.contains('\0') {
        return Err(format!("--changed-since: {rev:?} is not a git revision"));
    }
    let top = git(path, &["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        let complaint = git_complaint(&top);
        return Err(if complaint.contains("not a git repository") {
            format!("--changed-since: {shown} is not inside a git repository")
        } else {
            format!("--changed-since: git cannot read {shown}: {complaint}")
        });
    }
    let toplevel = String::from_utf8_lossy(&top.stdout).trim_end().to_string();
    if toplevel.is_empty() {
        return Err(format!(
            "--changed-since: {shown} is not in a git work tree"
        ));
    }
    let verified = git(
        path,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ],
    )?;
    let commit = String::from_utf8_lossy(&verified.stdout).trim().to_string();
    if !verified.status.success() || commit.is_empty() {
        return Err(format!(
            "--changed-since: unknown revision {rev:?} in the repository at {toplevel}"
        ));
    }
    let prefix = prefix_in_repo(path, Path::new(&toplevel))?;
    let top_dir = Path::new(&toplevel);
    // The resolved commit id, so nothing in `rev` is read as an option.
    let diff = git(
        top_dir,
        &["diff", "--name-only", "-z", "--no-renames", &commit, "--"],
    )?;
    if !diff.status.success() {
        return Err(format!(
            "--changed-since: git diff failed: {}",
            git_complaint(&diff)
        ));
    }
    let untracked = git(
        top_dir,
        &["ls-files", "--others", "--exclude-standard", "-z"],
    )?;
    if !untracked.status.success() {
        return Err(format!(
            "--changed-since: git ls-files failed: {}",
            git_complaint(&untracked)
        ));
    }
    Ok(paths(&diff.stdout)
        .chain(paths(&untracked.stdout))
        .filter_map(|p| relative_to(&prefix, &p))
        .collect())
}

/// PATH relative to the repository's top level, `/`-separated (`""` when
/// PATH is the top level).
fn prefix_in_repo(path: &Path, toplevel: &Path) -> Result<String, String> {
    let real = |p: &Path| {
        std::fs::canonicalize(p).map_err(|e| format!("--changed-since: {}: {e}", p.display()))
    };
    let (path, toplevel) = (real(path)?, real(toplevel)?);
    let rel = path.strip_prefix(&toplevel).map_err(|_| {
        format!(
            "--changed-since: {} is not inside the repository at {}",
            path.display(),
            toplevel.display()
        )
    })?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => return Err(format!("--changed-since: odd path {}", rel.display())),
        }
    }
    Ok(parts.join("/"))
}

/// A repository path as a PATH-relative one, or `None` outside PATH.
fn relative_to(prefix: &str, repo_path: &str) -> Option<String> {
    if prefix.is_empty() {
        return Some(repo_path.to_string());
    }
    repo_path
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|rest| !rest.is_empty())
        .map(str::to_string)
}

/// Tables a migration names in statements that leave no trace in the folded
/// model (drops and renames away), qualified as the fold qualifies them.
fn vanished_tables(ws: &Workspace, analysis: &Analysis, file: &str) -> Vec<String> {
    let Some(migration) = ws.files.get(file).and_then(|f| f.migration()) else {
        return Vec::new();
    };
    let Some(model) = analysis
        .models
        .iter()
        .find(|m| m.migrations.iter().any(|f| f == file))
    else {
        return Vec::new();
    };
    let qualify = |t: &TableName| {
        format!(
            "{}.{}",
            t.schema.as_deref().unwrap_or(&model.default_schema),
            t.name
        )
    };
    migration
        .ops
        .iter()
        .filter_map(|op| match &op.kind {
            OpKind::DropTable { table, .. } | OpKind::DropView { table, .. } => {
                Some(qualify(table))
            }
            OpKind::RenameTable { from, .. } => Some(qualify(from)),
            _ => None,
        })
        .collect()
}

/// The findings the changed files concern, in their original order. A
/// changed `.ecto-ash-lsp.toml` can change every finding, so then all stay.
pub fn select(
    ws: &Workspace,
    analysis: &Analysis,
    findings: Vec<Finding>,
    changed: &BTreeSet<String>,
) -> Vec<Finding> {
    if changed.contains(CONFIG_FILE) {
        return findings;
    }
    // Tables the changed migrations touch and the changed resources map to.
    let mut tables: BTreeSet<String> = BTreeSet::new();
    for model in &analysis.models {
        for (name, table) in &model.tables {
            let touched = table
                .touched
                .iter()
                .chain(table.created.as_ref())
                .any(|o| changed.contains(&*o.file));
            if touched {
                tables.insert(name.clone());
            }
        }
    }
    for file in changed {
        tables.extend(vanished_tables(ws, analysis, file));
    }
    for r in &analysis.resources {
        if let (true, Some(table)) = (changed.contains(&r.file), &r.table) {
            tables.insert(table.clone());
        }
    }
    for f in &findings {
        if let (true, Some(table)) = (changed.contains(&f.file), &f.table) {
            tables.insert(table.clone());
        }
    }
    // Resources on those tables, and migrations that touch them.
    let resources: BTreeSet<&str> = analysis
        .resources
        .iter()
        .filter(|r| r.table.as_ref().is_some_and(|t| tables.contains(t)))
        .map(|r| r.facts.module.as_str())
        .collect();
    let mut migrations: BTreeSet<&str> = BTreeSet::new();
    for model in &analysis.models {
        for (name, table) in &model.tables {
            if tables.contains(name) {
                migrations.extend(
                    table
                        .touched
                        .iter()
                        .chain(table.created.as_ref())
                        .map(|o| &*o.file),
                );
            }
        }
    }
    findings
        .into_iter()
        .filter(|f| {
            changed.contains(&f.file)
                || f.related.iter().any(|r| changed.contains(&r.file))
                || f.table.as_ref().is_some_and(|t| tables.contains(t))
                || f.resource.as_deref().is_some_and(|r| resources.contains(r))
                || (f.table.is_none() && migrations.contains(f.file.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks;
    use crate::model::analysis::analyze;

    #[test]
    fn repository_paths_map_into_path() {
        assert_eq!(relative_to("", "lib/a.ex").as_deref(), Some("lib/a.ex"));
        assert_eq!(
            relative_to("apps/core", "apps/core/lib/a.ex").as_deref(),
            Some("lib/a.ex")
        );
        assert_eq!(relative_to("apps/core", "apps/core_web/lib/a.ex"), None);
        assert_eq!(relative_to("apps/core", "apps/core"), None);
        assert_eq!(relative_to("apps/core", "apps/core/"), None);
        assert_eq!(relative_to("apps/core", "README.md"), None);
    }

    #[test]
    fn nul_separated_paths() {
        let got: Vec<String> = paths(b"a.ex\0dir/b c.ex\0\0").collect();
        assert_eq!(got, ["a.ex", "dir/b c.ex"]);
        assert_eq!(paths(b"").count(), 0);
        assert_eq!(paths(b"\xff\xfe\0").count(), 1, "not UTF-8, still no panic");
    }

    #[test]
    fn revisions_that_look_like_options_are_refused() {
        let dir = std::env::temp_dir();
        for rev in ["", "--output=/tmp/x", "-p"] {
            let err = changed_files(&dir, rev).expect_err("refused");
            assert!(err.contains("is not a git revision"), "{err}");
        }
    }

    const PROJECT: &[(&str, &str)] = &[
        ("mix.exs", "defmodule Shop.MixProject do\n  use Mix.Project\nend\n"),
        (
            "lib/shop/repo.ex",
            "defmodule Shop.Repo do\n  use Ecto.Repo, otp_app: :shop, adapter: Ecto.Adapters.Postgres\nend\n",
        ),
        (
            "lib/shop/tag.ex",
            "defmodule Shop.Tag do\n  use Ecto.Schema\n  schema \"tags\" do\n    field :name, :string\n    field :color, :string\n  end\nend\n",
        ),
        (
            "lib/shop/label.ex",
            "defmodule Shop.Label do\n  use Ecto.Schema\n  schema \"labels\" do\n    field :text, :string\n  end\nend\n",
        ),
        (
            "priv/repo/migrations/20240101000000_create_tags.exs",
            "defmodule Shop.Repo.Migrations.CreateTags do\n  use Ecto.Migration\n  def change do\n    create table(:tags) do\n      add :name, :string\n    end\n  end\nend\n",
        ),
        (
            "priv/repo/migrations/20240102000000_create_labels.exs",
            "defmodule Shop.Repo.Migrations.CreateLabels do\n  use Ecto.Migration\n  def change do\n    create table(:labels) do\n      add :body, :string\n    end\n  end\nend\n",
        ),
    ];

    fn selected(changed: &[&str]) -> Vec<(String, &'static str)> {
        let files = PROJECT
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let ws = Workspace::from_memory(Path::new("/w"), files).expect("workspace");
        let analysis = analyze(&ws);
        let findings = checks::run(&ws, &analysis);
        let changed: BTreeSet<String> = changed.iter().map(|s| s.to_string()).collect();
        let mut out: Vec<(String, &'static str)> = select(&ws, &analysis, findings, &changed)
            .iter()
            .map(|f| (f.file.clone(), f.code()))
            .collect();
        out.dedup();
        out
    }

    #[test]
    fn a_changed_migration_brings_in_the_resources_on_its_tables() {
        let got = selected(&["priv/repo/migrations/20240101000000_create_tags.exs"]);
        assert!(
            got.contains(&("lib/shop/tag.ex".to_string(), "missing-column")),
            "{got:?}"
        );
        assert!(
            !got.iter().any(|(file, _)| file.contains("label")),
            "labels untouched: {got:?}"
        );
    }

    #[test]
    fn a_changed_resource_brings_in_the_migrations_of_its_table() {
        let got = selected(&["lib/shop/label.ex"]);
        assert!(
            got.contains(&("lib/shop/label.ex".to_string(), "missing-column")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|(file, _)| file.ends_with("_create_labels.exs")),
            "{got:?}"
        );
        assert!(
            !got.iter().any(|(file, _)| file.contains("tag")),
            "tags untouched: {got:?}"
        );
    }

    #[test]
    fn nothing_changed_nothing_reported_and_config_changes_everything() {
        assert_eq!(selected(&["README.md"]), []);
        assert_eq!(selected(&[]), []);
        let all = selected(&[CONFIG_FILE]);
        assert!(all.iter().any(|(f, _)| f.contains("tag")), "{all:?}");
        assert!(all.iter().any(|(f, _)| f.contains("label")), "{all:?}");
    }
}
