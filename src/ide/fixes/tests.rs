use super::*;
use crate::ide::fixture::load;

const HEAD: &str = r#"
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
"#;

const MIGRATION: &str = "priv/repo/migrations/20240101000000_m.exs";

fn snapshot(migration: &str) -> Snapshot {
    let fixture = format!("{HEAD}//- /{MIGRATION}\n{migration}");
    load(&fixture).0
}

fn idempotency_findings(snap: &Snapshot) -> Vec<(usize, String)> {
    snap.findings
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            f.code() == "non-idempotent-statement" || f.code() == "irreversible-idempotent-change"
        })
        .map(|(i, f)| (i, format!("{}: {}", f.code(), f.message)))
        .collect()
}

fn edited(snap: &Snapshot, action: &Action) -> String {
    let file = snap
        .file(MIGRATION)
        .map(|f| f.text.to_string())
        .unwrap_or_default();
    let mut edits = action.edits[0].edits.clone();
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    apply(&file, &edits).unwrap_or_default()
}

/// The only quick fix of the only finding of `code`: the edited migration,
/// after checking that it removes that finding and adds none.
fn fix_one(migration: &str, code: &str) -> (String, Action) {
    let snap = snapshot(migration);
    let (index, finding) = snap
        .findings
        .iter()
        .enumerate()
        .find(|(_, f)| f.code() == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", snap.findings));
    let actions = quick_fixes(&snap, index, finding);
    assert_eq!(actions.len(), 1, "{actions:?}");
    let action = actions[0].clone();
    let text = edited(&snap, &action);
    let after = snapshot(&text);
    let before_codes: Vec<String> = snap
        .findings
        .iter()
        .map(|f| format!("{} {}", f.code(), f.message))
        .collect();
    let after_codes: Vec<String> = after
        .findings
        .iter()
        .map(|f| format!("{} {}", f.code(), f.message))
        .collect();
    for c in &after_codes {
        assert!(before_codes.contains(c), "new finding {c} in\n{text}");
    }
    assert!(
        after_codes.len() < before_codes.len(),
        "nothing fixed:\n{text}\n{after_codes:?}"
    );
    (text, action)
}

fn no_fix(migration: &str, code: &str) {
    let snap = snapshot(migration);
    let (index, finding) = snap
        .findings
        .iter()
        .enumerate()
        .find(|(_, f)| f.code() == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", snap.findings));
    assert_eq!(quick_fixes(&snap, index, finding), Vec::<Action>::new());
}

#[test]
fn create_table_becomes_create_if_not_exists() {
    let (text, action) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def change do
    create table(:users, primary_key: false) do
      add :id, :uuid, primary_key: true
    end
  end
end
"#,
        "non-idempotent-statement",
    );
    assert!(text.contains("    create_if_not_exists table(:users, primary_key: false) do\n"));
    assert_eq!(action.title, "Use create_if_not_exists");
    assert!(action.preferred);
    assert_eq!(action.kind, ActionKind::QuickFix);
}

#[test]
fn create_index_in_up_becomes_create_if_not_exists() {
    let (text, _) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def up do
    create unique_index(:users, [:email], prefix: "platform")
  end

  def down do
    drop index(:users, [:email], prefix: "platform")
  end
end
"#,
        "non-idempotent-statement",
    );
    assert!(text.contains(
        "    create_if_not_exists unique_index(:users, [:email], prefix: \"platform\")\n"
    ));
}

#[test]
fn add_in_change_splits_into_up_and_down() {
    let (text, action) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def change do
    alter table(:users, prefix: "platform") do
      add :nickname, :string
      add :team_id,
          :uuid,
          null: false
    end
  end
end
"#,
        "non-idempotent-statement",
    );
    assert_eq!(
        text,
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def up do
    alter table(:users, prefix: "platform") do
      add_if_not_exists :nickname, :string
      add :team_id,
          :uuid,
          null: false
    end
  end

  def down do
    alter table(:users, prefix: "platform") do
      remove_if_exists :team_id, :uuid
      remove_if_exists :nickname, :string
    end
  end
end
"#
    );
    assert_eq!(
        action.title,
        "Use add_if_not_exists and split change/0 into up/0 and down/0"
    );
}

#[test]
fn multi_line_add_keeps_its_arguments_aligned() {
    let (text, _) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def up do
    alter table(:users) do
      add :team_id,
          :uuid,
          null: false
    end
  end
end
"#,
        "non-idempotent-statement",
    );
    assert!(text.contains(
        "      add_if_not_exists :team_id,\n                        :uuid,\n                        null: false\n"
    ));
}

#[test]
fn irreversible_change_is_split_with_reverse_operations() {
    let (text, action) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def change do
    create_if_not_exists table(:tokens) do
      add :name, :string
    end

    alter table(:tokens) do
      add_if_not_exists :last_used_ip, :string
    end

    rename table(:tokens), :name, to: :label
    execute "CREATE EXTENSION IF NOT EXISTS citext", "DROP EXTENSION IF EXISTS citext"
  end
end
"#,
        "irreversible-idempotent-change",
    );
    assert_eq!(action.title, "Split change/0 into up/0 and down/0");
    assert!(
        text.ends_with(
            r#"  def down do
    execute "DROP EXTENSION IF EXISTS citext"
    rename table(:tokens), :label, to: :name

    alter table(:tokens) do
      remove_if_exists :last_used_ip, :string
    end

    drop_if_exists table(:tokens)
  end
end
"#
        ),
        "{text}"
    );
    assert!(text.contains("  def up do\n    create_if_not_exists table(:tokens) do"));
}

#[test]
fn a_statement_without_a_reverse_gets_no_split() {
    no_fix(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def change do
    execute "UPDATE users SET active = true"

    alter table(:users) do
      add_if_not_exists :active, :boolean
    end
  end
end
"#,
        "irreversible-idempotent-change",
    );
}

#[test]
fn dsl_constraint_in_change_becomes_guarded_execute_with_down() {
    let (text, _) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def change do
    create constraint(:orders, :amount_positive, check: "amount > 0", prefix: "sales")
  end
end
"#,
        "non-idempotent-statement",
    );
    assert!(
        text.contains(
            "    execute \"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'amount_positive' AND conrelid = 'sales.orders'::regclass) THEN ALTER TABLE sales.orders ADD CONSTRAINT amount_positive CHECK (amount > 0); END IF; END $$\",\n            \"ALTER TABLE sales.orders DROP CONSTRAINT IF EXISTS amount_positive\"\n"
        ),
        "{text}"
    );
}

#[test]
fn raw_sql_gets_if_not_exists_at_the_right_word() {
    let (text, _) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def up do
    execute """
    CREATE UNIQUE INDEX CONCURRENTLY users_email_index
      ON users (lower(email))
    """
  end
end
"#,
        "non-idempotent-statement",
    );
    assert!(text.contains("    CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_index\n"));
}

#[test]
fn raw_add_column_and_schema() {
    let (text, _) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def up do
    execute "ALTER TABLE users ADD COLUMN nickname text"
  end
end
"#,
        "non-idempotent-statement",
    );
    assert!(text.contains("\"ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text\""));
    let (text, _) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def up do
    execute("CREATE SCHEMA reporting")
  end
end
"#,
        "non-idempotent-statement",
    );
    assert!(text.contains("execute(\"CREATE SCHEMA IF NOT EXISTS reporting\")"));
}

#[test]
fn raw_add_constraint_is_wrapped_where_it_is_written() {
    let (text, _) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  @prefix "platform"

  def up do
    execute """
    ALTER TABLE #{@prefix}.lockouts
      ADD CONSTRAINT lockouts_attempts_check CHECK (attempts >= 0)
    """
  end
end
"#,
        "non-idempotent-statement",
    );
    assert!(text.contains(
        "    DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'lockouts_attempts_check' AND conrelid = 'platform.lockouts'::regclass) THEN ALTER TABLE #{@prefix}.lockouts\n      ADD CONSTRAINT lockouts_attempts_check CHECK (attempts >= 0); END IF; END $$\n"
    ), "{text}");
}

#[test]
fn rename_table_in_change_becomes_guarded_execute() {
    let (text, _) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def change do
    create_if_not_exists table(:tokens)
    # Kept for the export.
    rename table(:sessions, prefix: "platform"), to: table(:old_sessions, prefix: "platform")
  end
end
"#,
        "non-idempotent-statement",
    );
    assert!(text.contains("    create_if_not_exists table(:tokens)\n\n    # Kept for the export.\n    execute \"DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'platform' AND table_name = 'sessions') THEN ALTER TABLE platform.sessions RENAME TO old_sessions; END IF; END $$\",\n"), "{text}");
}

#[test]
fn drop_in_up_becomes_drop_if_exists_and_not_in_change() {
    let (text, _) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def up do
    drop table(:legacy)
  end
end
"#,
        "non-idempotent-statement",
    );
    assert!(text.contains("    drop_if_exists table(:legacy)\n"));
    no_fix(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def change do
    drop table(:legacy)
  end
end
"#,
        "non-idempotent-statement",
    );
}

#[test]
fn add_with_references_gets_no_fix() {
    no_fix(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def up do
    alter table(:users) do
      add :team_id, references(:teams)
    end
  end
end
"#,
        "non-idempotent-statement",
    );
}

#[test]
fn create_table_of_an_existing_table_warns_and_stays_out_of_fix_all() {
    let fixture = format!(
        "{HEAD}//- /priv/repo/migrations/20230101000000_first.exs
defmodule Shop.Repo.Migrations.First do
  use Ecto.Migration

  def change do
    create_if_not_exists table(:users) do
      add :email, :string
    end
  end
end
//- /{MIGRATION}
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def change do
    create table(:users) do
      add :email, :string
      add :name, :string
    end
  end
end
"
    );
    let snap = load(&fixture).0;
    let (index, finding) = snap
        .findings
        .iter()
        .enumerate()
        .find(|(_, f)| f.code() == "non-idempotent-statement")
        .expect("a finding");
    let actions = quick_fixes(&snap, index, finding);
    assert_eq!(actions.len(), 1);
    assert!(!actions[0].preferred);
    assert!(
        actions[0].title.starts_with("Use create_if_not_exists (careful: public.users already exists, created at priv/repo/migrations/20230101000000_first.exs:5"),
        "{}",
        actions[0].title
    );
    assert!(actions[0].title.ends_with("(hidden-drift))"));
    assert_eq!(fix_all(&snap, MIGRATION), None);
}

#[test]
fn fix_all_fixes_every_statement_once() {
    let snap = snapshot(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def change do
    create table(:users) do
      add :email, :string
    end

    create unique_index(:users, [:email])

    alter table(:teams) do
      add :slug, :string
    end
  end
end
"#,
    );
    assert_eq!(idempotency_findings(&snap).len(), 3);
    let action = fix_all(&snap, MIGRATION).expect("a fix-all");
    assert_eq!(action.kind, ActionKind::FixAll);
    assert_eq!(action.fixes.len(), 3);
    let text = edited(&snap, &action);
    let after = snapshot(&text);
    assert_eq!(idempotency_findings(&after), Vec::new(), "{text}");
    assert!(text.contains("  def down do\n    alter table(:teams) do\n      remove_if_exists :slug, :string\n    end\n\n    drop_if_exists unique_index(:users, [:email])\n    drop_if_exists table(:users)\n  end\n"), "{text}");
}

#[test]
fn broken_and_odd_input_gives_no_fix_and_no_panic() {
    for text in [
        "",
        "defmodule Shop.Repo.Migrations.M do\n  use Ecto.Migration\n  def change do\n    create table(:x\n",
        "\u{0}\u{1}binary\u{fffd}",
        "defmodule M do\n  use Ecto.Migration\n  def change, do: create(table(:x))\nend\n",
        "defmodule M do\n  use Ecto.Migration\n  def up do\n    execute \"CREATE TABLE é (a int)\"\n  end\nend\n",
    ] {
        let snap = snapshot(text);
        for (i, f) in snap.findings.iter().enumerate() {
            let _ = quick_fixes(&snap, i, f);
        }
        let _ = fix_all(&snap, MIGRATION);
    }
}

#[test]
fn raw_sql_edits_land_right_through_escapes_and_sigils() {
    let (text, _) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def up do
    execute "ALTER TABLE \"Users\" ADD COLUMN \"Nick\" text"
  end
end
"#,
        "non-idempotent-statement",
    );
    assert!(
        text.contains(r#"execute "ALTER TABLE \"Users\" ADD COLUMN IF NOT EXISTS \"Nick\" text""#),
        "{text}"
    );
    let (text, _) = fix_one(
        r#"
defmodule Shop.Repo.Migrations.M do
  use Ecto.Migration

  def up do
    execute ~S"""
    CREATE TABLE audit.events (id bigserial PRIMARY KEY, note text DEFAULT E'\\n');
    CREATE INDEX events_note_index ON audit.events (note);
    """
  end
end
"#,
        "non-idempotent-statement",
    );
    assert!(
        text.contains("    CREATE TABLE IF NOT EXISTS audit.events (id bigserial PRIMARY KEY, note text DEFAULT E'\\\\n');\n    CREATE INDEX events_note_index"),
        "{text}"
    );
}
