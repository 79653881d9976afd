//! Quick fixes and `check --fix` end to end: every fix removes its finding
//! without adding one, fix-all leaves a migration clean, edited migrations
//! are what `mix format` writes, and the command line writes only when
//! asked and only inside the project.

mod support;

use ecto_ash_lsp::ide::actions::{actions_at, Action, ActionKind};
use ecto_ash_lsp::ide::fixes::{apply, fix_all, quick_fixes};
use ecto_ash_lsp::ide::Snapshot;
use ecto_ash_lsp::model::workspace::Workspace;
use std::path::Path;
use std::sync::Arc;

const IDEMPOTENCY: [&str; 2] = ["non-idempotent-statement", "irreversible-idempotent-change"];

/// A finding as what it says and where (line), independent of offsets.
fn described(snap: &Snapshot) -> Vec<String> {
    snap.findings
        .iter()
        .map(|f| format!("{} {} {}", f.file, f.code(), f.message))
        .collect()
}

/// `snap` with the edits of `action` applied; also returns the edited texts.
fn applied(snap: &Snapshot, action: &Action) -> (Snapshot, Vec<(String, String)>) {
    let mut next = snap.clone();
    let mut texts = Vec::new();
    for file_edit in &action.edits {
        let text = snap
            .file(&file_edit.file)
            .map(|f| f.text.to_string())
            .unwrap_or_default();
        let mut edits = file_edit.edits.clone();
        edits.sort_by_key(|e| (e.span.start, e.span.end));
        let edited = apply(&text, &edits).expect("edits apply");
        next.workspace_mut()
            .set_text(&file_edit.file, Arc::from(edited.as_str()));
        texts.push((file_edit.file.clone(), edited));
    }
    next.reanalyze();
    (next, texts)
}

/// Apply every quick fix of every idempotency finding, one at a time, and
/// check each removes what it says and adds nothing. Returns the edited
/// migrations and how many fixes were tried.
fn every_quick_fix_round_trips(snap: &Snapshot) -> (Vec<(String, String)>, usize) {
    let before = described(snap);
    let mut edited = Vec::new();
    let mut tried = 0;
    for (index, finding) in snap.findings.iter().enumerate() {
        if !IDEMPOTENCY.contains(&finding.code()) {
            continue;
        }
        for action in quick_fixes(snap, index, finding) {
            tried += 1;
            assert_eq!(action.kind, ActionKind::QuickFix);
            let (after, texts) = applied(snap, &action);
            let now = described(&after);
            for d in &now {
                assert!(
                    before.contains(d),
                    "fix {:?} added {d}\n{}",
                    action.title,
                    texts.iter().map(|(_, t)| t.as_str()).collect::<String>()
                );
            }
            let gone: Vec<&String> = before.iter().filter(|d| !now.contains(d)).collect();
            let target = format!("{} {} {}", finding.file, finding.code(), finding.message);
            assert!(gone.contains(&&target), "{:?} left {target}", action.title);
            edited.extend(texts);
        }
    }
    (edited, tried)
}

fn fixture_snapshot(fixture: &str) -> Snapshot {
    let ws = Workspace::from_memory(Path::new("/fixture"), support::files(fixture))
        .expect("fixture loads");
    Snapshot::new(ws)
}

/// One migration per statement kind the fixes know, written the way
/// hand-written projects write them (and as `mix format` leaves them).
const KINDS: &str = r#"
//- /.ecto-ash-lsp.toml
convention = "hand-written"
//- /mix.exs
defmodule Shop.MixProject do
  use Mix.Project
end
//- /lib/shop/repo.ex
defmodule Shop.Repo do
  use Ecto.Repo, otp_app: :shop, adapter: Ecto.Adapters.Postgres
end
//- /priv/repo/migrations/20240101000000_create_teams.exs
defmodule Shop.Repo.Migrations.CreateTeams do
  use Ecto.Migration

  def change do
    create table(:teams, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :name, :string, null: false

      timestamps()
    end

    create unique_index(:teams, [:name])
    create index(:teams, [:inserted_at])
  end
end
//- /priv/repo/migrations/20240102000000_add_team_fields.exs
defmodule Shop.Repo.Migrations.AddTeamFields do
  use Ecto.Migration

  def change do
    alter table(:teams) do
      add :slug, :string
      add :plan, :string, null: false, default: "free"
    end

    create constraint(:teams, :plan_known, check: "plan IN ('free', 'paid')")
    rename table(:teams), :name, to: :title
  end
end
//- /priv/repo/migrations/20240103000000_billing.exs
defmodule Shop.Repo.Migrations.Billing do
  use Ecto.Migration

  def up do
    execute "CREATE SCHEMA billing"

    execute """
    CREATE TABLE billing.invoices (
      id bigserial PRIMARY KEY,
      team_id uuid NOT NULL,
      total integer NOT NULL
    )
    """

    execute "CREATE INDEX invoices_team_id_index ON billing.invoices (team_id)"
    execute "ALTER TABLE billing.invoices ADD COLUMN note text"

    execute """
    ALTER TABLE billing.invoices
      ADD CONSTRAINT invoices_total_check CHECK (total >= 0)
    """

    create constraint(:invoices, :team_check, check: "team_id IS NOT NULL", prefix: "billing")
    drop index(:teams, [:inserted_at])
  end

  def down do
    execute "DROP SCHEMA billing CASCADE"
  end
end
//- /priv/repo/migrations/20240104000000_team_notes.exs
defmodule Shop.Repo.Migrations.TeamNotes do
  use Ecto.Migration

  def change do
    alter table(:teams) do
      add_if_not_exists :notes, :text
    end
  end
end
"#;

#[test]
fn each_quick_fix_removes_its_finding_and_adds_none() {
    let snap = fixture_snapshot(KINDS);
    let kinds: Vec<&str> = snap.findings.iter().filter_map(|f| f.kind).collect();
    for kind in [
        "create-table",
        "add-column",
        "create-index",
        "create-unique-index",
        "create-constraint",
        "raw-sql",
        "rename",
        "drop",
    ] {
        assert!(kinds.contains(&kind), "fixture lacks {kind}: {kinds:?}");
    }
    let (edited, tried) = every_quick_fix_round_trips(&snap);
    let idempotency = snap
        .findings
        .iter()
        .filter(|f| IDEMPOTENCY.contains(&f.code()))
        .count();
    // Every finding of the fixture has a fix.
    assert_eq!(tried, idempotency, "{:?}", described(&snap));
    support::assert_migrations_formatted(&edited);
}

#[test]
fn fix_all_leaves_each_fixture_migration_clean() {
    let snap = fixture_snapshot(KINDS);
    let files: Vec<String> = snap
        .workspace
        .files
        .keys()
        .filter(|f| f.starts_with("priv/"))
        .cloned()
        .collect();
    let mut edited = Vec::new();
    let mut current = snap.clone();
    for file in &files {
        let Some(action) = fix_all(&current, file) else {
            continue;
        };
        assert_eq!(action.kind, ActionKind::FixAll);
        let (next, texts) = applied(&current, &action);
        edited.extend(texts);
        current = next;
    }
    let left: Vec<String> = described(&current)
        .into_iter()
        .filter(|d| IDEMPOTENCY.iter().any(|c| d.contains(c)))
        .collect();
    assert_eq!(left, Vec::<String>::new());
    support::assert_migrations_formatted(&edited);
}

#[test]
fn actions_at_a_finding_offer_its_fix_first_and_the_fix_all() {
    let snap = fixture_snapshot(KINDS);
    let finding = snap
        .findings
        .iter()
        .find(|f| f.kind == Some("create-table"))
        .expect("a create-table finding");
    let actions = actions_at(&snap, &finding.file, finding.span.start..finding.span.start);
    let kinds: Vec<ActionKind> = actions.iter().map(|a| a.kind).collect();
    assert_eq!(kinds.first(), Some(&ActionKind::QuickFix));
    assert!(kinds.contains(&ActionKind::FixAll));
    assert!(actions[0].preferred);
    assert_eq!(actions[0].title, "Use create_if_not_exists");
}

fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&support::repo_path("examples/demo"), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn demo_quick_fixes_round_trip_and_fix_all_leaves_it_clean() {
    let dir = demo_copy();
    let snap = Snapshot::new(Workspace::load(dir.path()).expect("demo loads"));
    let (edited, tried) = every_quick_fix_round_trips(&snap);
    assert!(tried >= 18, "{tried}");
    support::assert_migrations_formatted(&edited);

    let status = support::run(&[
        "check",
        &dir.path().to_string_lossy(),
        "--fix",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&status.stdout).expect("a json report");
    let left: Vec<&str> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["code"].as_str())
        .filter(|c| IDEMPOTENCY.contains(c))
        .collect();
    assert_eq!(left, Vec::<&str>::new());
    let migrations = dir.path().join("priv/repo/migrations");
    let texts: Vec<(String, String)> = std::fs::read_dir(&migrations)
        .expect("migrations")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).expect("read"),
            )
        })
        .collect();
    support::assert_migrations_formatted(&texts);
}

const SMALL: &str = r#"
//- /.ecto-ash-lsp.toml
convention = "hand-written"
//- /mix.exs
defmodule Shop.MixProject do
  use Mix.Project
end
//- /lib/shop/repo.ex
defmodule Shop.Repo do
  use Ecto.Repo, otp_app: :shop, adapter: Ecto.Adapters.Postgres
end
//- /priv/repo/migrations/20240101000000_create_teams.exs
defmodule Shop.Repo.Migrations.CreateTeams do
  use Ecto.Migration

  def change do
    create table(:teams) do
      add :name, :string
    end
  end
end
"#;

const TEAMS: &str = "priv/repo/migrations/20240101000000_create_teams.exs";

#[test]
fn check_without_fix_writes_nothing_and_with_fix_reports_what_changed() {
    let dir = tempfile::tempdir().expect("temp dir");
    support::write_fixture(dir.path(), SMALL);
    let before = std::fs::read_to_string(dir.path().join(TEAMS)).expect("read");
    let root = dir.path().to_string_lossy().into_owned();
    let plain = support::run(&["check", &root, "--fail-on", "warning"]);
    assert_eq!(plain.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(TEAMS)).ok(),
        Some(before.clone())
    );

    let fixed = support::run(&["check", &root, "--fix", "--fail-on", "warning"]);
    let err = support::stderr(&fixed);
    assert!(
        err.contains(&format!("fixed {TEAMS}: line 5: create-table")),
        "{err}"
    );
    assert!(
        err.contains("--fix: 1 finding(s) fixed in 1 file(s)"),
        "{err}"
    );
    assert!(
        !support::stdout(&fixed).contains("fixed "),
        "stdout keeps the report only"
    );
    // What is left is only the table without a resource (a hint).
    assert_eq!(fixed.status.code(), Some(0), "{}", support::stdout(&fixed));
    let after = std::fs::read_to_string(dir.path().join(TEAMS)).expect("read");
    assert_eq!(
        after,
        before.replace("create table(:teams)", "create_if_not_exists table(:teams)")
    );
    let again = support::run(&["check", &root, "--fix"]);
    assert!(support::stderr(&again).contains("--fix: 0 finding(s) fixed in 0 file(s)"));
}

#[cfg(unix)]
#[test]
fn check_fix_refuses_a_migration_that_links_outside_the_project() {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("app");
    support::write_fixture(&project, SMALL);
    let outside = dir.path().join("elsewhere.exs");
    std::fs::rename(project.join(TEAMS), &outside).expect("move");
    std::os::unix::fs::symlink(&outside, project.join(TEAMS)).expect("link");
    let before = std::fs::read_to_string(&outside).expect("read");
    let out = support::run(&["check", &project.to_string_lossy(), "--fix"]);
    let err = support::stderr(&out);
    // Either the link is not indexed at all, or the write through it is refused.
    assert!(
        !err.contains(&format!("fixed {TEAMS}:"))
            || err.contains(&format!("not fixed {TEAMS}: it resolves to")),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&outside).ok(), Some(before));
    assert!(project.join(TEAMS).is_symlink());
}
