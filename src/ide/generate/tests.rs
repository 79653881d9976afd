use super::drift::drift_fixes_with;
use super::*;
use crate::ide::actions::Action;
use crate::ide::fixture;
use crate::model::workspace::Workspace;
use std::path::Path;

/// 2026-01-02 03:04:05 UTC.
const NOW: u64 = 1_767_323_045;

const SHOP: &str = r#"
//- /mix.exs
defmodule Shop.MixProject do
  use Mix.Project
end
//- /lib/shop/repo.ex
defmodule Shop.Repo do
  use AshPostgres.Repo, otp_app: :shop
end
//- /lib/shop/accounts/team.ex
defmodule Shop.Accounts.Team do
  use Ash.Resource, domain: Shop.Accounts, data_layer: AshPostgres.DataLayer

  postgres do
    table "teams"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :name, :string, allow_nil?: false
  end
end
//- /lib/shop/accounts/user.ex
defmodule Shop.Accounts.User do
  use Ash.Resource, domain: Shop.Accounts, data_layer: AshPostgres.DataLayer

  postgres do
    table "users"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :email, :string, allow_nil?: false
    attribute :nickname, :string
    attribute :age, :integer, allow_nil?: false

    attribute :score, :integer do
      public? true
    end
  end

  identities do
    identity :unique_email, [:email]
  end

  relationships do
    belongs_to :team, Shop.Accounts.Team
  end
end
//- /lib/shop/blog/post.ex
defmodule Shop.Blog.Post do
  use Ash.Resource, domain: Shop.Blog, data_layer: AshPostgres.DataLayer

  postgres do
    table "posts"
    schema "blog"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :title, :string, allow_nil?: false
    attribute :state, :atom, default: :draft
    attribute :tags, {:array, :string}, default: []
    create_timestamp :inserted_at
  end

  relationships do
    belongs_to :author, Shop.Accounts.User, allow_nil?: false
  end
end
//- /lib/shop/notes.ex
this is not ( valid elixir
//- /priv/repo/migrations/20240101000000_create_teams.exs
defmodule Shop.Repo.Migrations.CreateTeams do
  use Ecto.Migration

  def change do
    create table(:teams, primary_key: false) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")
      add :name, :text, null: false
    end
  end
end
//- /priv/repo/migrations/20240102000000_create_users.exs
defmodule Shop.Repo.Migrations.CreateUsers do
  use Ecto.Migration

  def change do
    create table(:users, primary_key: false) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")
      add :email, :text, null: false
      add :age, :integer
      add :score, :text
      add :team_id, :uuid
    end
  end
end
"#;

fn files_of(snap: &Snapshot) -> Vec<(String, String)> {
    snap.workspace
        .files
        .values()
        .map(|f| (f.rel.clone(), f.text.to_string()))
        .collect()
}

fn reindex(files: Vec<(String, String)>) -> Snapshot {
    Snapshot::new(Workspace::from_memory(Path::new("/fixture"), files).unwrap_or_default())
}

/// The files after an action: its edits applied, its new files added.
fn apply(snap: &Snapshot, action: &Action) -> Snapshot {
    let mut files = files_of(snap);
    for edit in &action.edits {
        let Some((_, text)) = files.iter_mut().find(|(rel, _)| *rel == edit.file) else {
            panic!("edit of an unknown file {}", edit.file);
        };
        let mut edits = edit.edits.clone();
        edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
        for e in edits {
            text.replace_range(e.span.clone(), &e.new_text);
        }
    }
    for new in &action.new_files {
        assert!(
            files.iter().all(|(rel, _)| *rel != new.path),
            "{} exists",
            new.path
        );
        files.push((new.path.clone(), new.text.clone()));
    }
    reindex(files)
}

/// (code, resource, column) of every finding but `codegen-would-recreate`,
/// which any migration that creates a table without a snapshot brings.
fn finding_keys(snap: &Snapshot) -> Vec<(String, String, String)> {
    let mut keys: Vec<_> = snap
        .findings
        .iter()
        .filter(|f| f.code() != "codegen-would-recreate")
        .map(|f| {
            (
                f.code().to_string(),
                f.resource.clone().unwrap_or_default(),
                f.column.clone().unwrap_or_default(),
            )
        })
        .collect();
    keys.sort();
    keys
}

fn generated(snap: &Snapshot, module: &str, options: &GenerateOptions) -> GeneratedMigration {
    let r = find_resource(snap, module).unwrap_or_else(|e| panic!("{e}"));
    generate(snap, r, options).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_missing_table_gets_every_part_guarded() {
    let (snap, _) = fixture::load(SHOP);
    let m = generated(&snap, "Shop.Blog.Post", &GenerateOptions::at(NOW));
    assert_eq!(
        m.path,
        "priv/repo/migrations/20260102030405_create_posts.exs"
    );
    assert_eq!(m.module, "Shop.Repo.Migrations.CreatePosts");
    assert_eq!(
        m.text,
        r#"defmodule Shop.Repo.Migrations.CreatePosts do
  use Ecto.Migration

  def up do
    create_if_not_exists table(:posts, primary_key: false, prefix: "blog") do
      add(:id, :uuid, null: false, default: fragment("gen_random_uuid()"), primary_key: true)
      add(:title, :text, null: false)
      add(:state, :text, default: "draft")
      add(:tags, {:array, :text}, default: [])

      add(:inserted_at, :utc_datetime_usec,
        null: false,
        default: fragment("(now() AT TIME ZONE 'utc')")
      )

      add(:author_id, references(:users, column: :id, type: :uuid), null: false)
    end

    alter table(:posts, prefix: "blog") do
      add_if_not_exists(:title, :text, null: false)
      add_if_not_exists(:state, :text, default: "draft")
      add_if_not_exists(:tags, {:array, :text}, default: [])

      add_if_not_exists(:inserted_at, :utc_datetime_usec,
        null: false,
        default: fragment("(now() AT TIME ZONE 'utc')")
      )

      add_if_not_exists(:author_id, :uuid, null: false)
    end

    execute("""
    DO $$
    BEGIN
      IF NOT EXISTS (
        SELECT 1 FROM pg_constraint
        WHERE conname = 'posts_author_id_fkey'
          AND conrelid = 'blog.posts'::regclass
      ) THEN
        ALTER TABLE blog.posts
          ADD CONSTRAINT posts_author_id_fkey
          FOREIGN KEY (author_id) REFERENCES users (id);
      END IF;
    END
    $$;
    """)
  end

  def down do
    drop_if_exists(table(:posts, prefix: "blog"))
  end
end
"#
    );
    let after = apply(
        &snap,
        &Action {
            title: String::new(),
            kind: ActionKind::GenerateMigration,
            preferred: false,
            fixes: Vec::new(),
            edits: Vec::new(),
            new_files: vec![m.into_new_file()],
        },
    );
    let left: Vec<_> = finding_keys(&after)
        .into_iter()
        .filter(|(_, r, _)| r == "Shop.Blog.Post")
        .collect();
    assert_eq!(left, Vec::<(String, String, String)>::new());
}

#[test]
fn an_existing_table_keeps_its_body_and_down_undoes_only_the_new_parts() {
    let (snap, _) = fixture::load(SHOP);
    let m = generated(&snap, "User", &GenerateOptions::at(NOW));
    assert_eq!(
        m.path,
        "priv/repo/migrations/20260102030405_update_users.exs"
    );
    // Only the key is re-declared: the rest of a skipped body would be hidden drift.
    assert!(m.text.contains(
        "    create_if_not_exists table(:users, primary_key: false) do\n      add(:id, :uuid, null: false, default: fragment(\"gen_random_uuid()\"), primary_key: true)\n    end\n"
    ));
    assert!(m
        .text
        .contains("      add_if_not_exists(:nickname, :text)\n"));
    assert!(!m.text.contains("modify("));
    assert!(m.text.contains(
        "  def down do\n    execute(\"ALTER TABLE users DROP CONSTRAINT IF EXISTS users_team_id_fkey\")\n    drop_if_exists(index(:users, [:email], name: \"users_unique_email_index\"))\n\n    alter table(:users) do\n      remove_if_exists(:nickname, :text)\n    end\n  end\n"
    ), "{}", m.text);

    let after = apply_new(&snap, m);
    let left: Vec<_> = finding_keys(&after)
        .into_iter()
        .filter(|(_, r, _)| r == "Shop.Accounts.User")
        .collect();
    // Type and nullability are changed only when asked.
    assert_eq!(
        left,
        vec![
            (
                "column-type-mismatch".into(),
                "Shop.Accounts.User".into(),
                "score".into()
            ),
            (
                "nullability-mismatch".into(),
                "Shop.Accounts.User".into(),
                "age".into()
            ),
        ]
    );

    let altering = GenerateOptions {
        alter_columns: true,
        ..GenerateOptions::at(NOW)
    };
    let m = generated(&snap, "User", &altering);
    assert!(m
        .text
        .contains("      modify(:age, :integer, null: false, from: {:integer, null: true})\n"));
    // text → bigint has no assignment cast: `USING`, and `modify` back.
    assert!(m.text.contains(
        "    execute(\"ALTER TABLE users ALTER COLUMN score TYPE bigint USING score::bigint\")\n"
    ));
    assert!(m
        .text
        .contains("      modify(:score, :text, from: :bigint)\n"));
    let after = apply_new(&snap, m);
    assert!(finding_keys(&after)
        .iter()
        .all(|(_, r, _)| r != "Shop.Accounts.User"));
}

fn apply_new(snap: &Snapshot, m: GeneratedMigration) -> Snapshot {
    let mut files = files_of(snap);
    files.push((m.path, m.text));
    reindex(files)
}

#[test]
fn versions_follow_the_newest_migration_and_skip_taken_names() {
    let mut text = SHOP.to_string();
    // A migration from the future, and one whose module the new one would take.
    text.push_str(
        "//- /priv/repo/migrations/20300101000000_create_posts.exs\ndefmodule Shop.Repo.Migrations.CreatePosts do\n  use Ecto.Migration\nend\n",
    );
    let (snap, _) = fixture::load(&text);
    let m = generated(&snap, "Post", &GenerateOptions::at(NOW));
    assert_eq!(
        m.path,
        "priv/repo/migrations/20300101000001_create_posts2.exs"
    );
    assert_eq!(m.module, "Shop.Repo.Migrations.CreatePosts2");
}

#[test]
fn resources_are_found_by_name_or_unique_suffix() {
    let (snap, _) = fixture::load(SHOP);
    let found = |q: &str| find_resource(&snap, q).map(|r| r.facts.module.clone());
    assert_eq!(found("Shop.Blog.Post").as_deref(), Ok("Shop.Blog.Post"));
    assert_eq!(found("Blog.Post").as_deref(), Ok("Shop.Blog.Post"));
    assert_eq!(
        found("Elixir.Shop.Accounts.Team").as_deref(),
        Ok("Shop.Accounts.Team")
    );
    assert_eq!(found("Ost"), Err(GenerateError::Unknown("Ost".into())));
    assert_eq!(found(""), Err(GenerateError::Unknown(String::new())));
    let mut text = SHOP.to_string();
    text.push_str(
        "//- /lib/shop/admin/team.ex\ndefmodule Shop.Admin.Team do\n  use Ash.Resource, data_layer: AshPostgres.DataLayer\n\n  postgres do\n    table \"admin_teams\"\n    repo Shop.Repo\n  end\nend\n",
    );
    let (snap, _) = fixture::load(&text);
    assert_eq!(
        find_resource(&snap, "Team").map(|r| r.facts.module.clone()),
        Err(GenerateError::Ambiguous {
            query: "Team".into(),
            candidates: vec!["Shop.Accounts.Team".into(), "Shop.Admin.Team".into()],
        })
    );
}

#[test]
fn the_action_is_offered_anywhere_in_a_resource_module() {
    let text = SHOP.replace("    attribute :title", "    attribute :ti$0tle");
    let (snap, cursor) = fixture::load(&text);
    let Some((file, offset)) = cursor else {
        panic!("no cursor");
    };
    let Some(action) = generate_at(&snap, &file, offset) else {
        panic!("no action");
    };
    assert_eq!(
        action.title,
        "Generate idempotent migration for Shop.Blog.Post"
    );
    assert_eq!(action.kind, ActionKind::GenerateMigration);
    assert_eq!(action.new_files.len(), 1);
    assert!(action.new_files[0]
        .path
        .starts_with("priv/repo/migrations/"));
    assert!(action.new_files[0].path.ends_with("_create_posts.exs"));
    // Outside any resource, in a broken file, in a migration: nothing.
    assert_eq!(generate_at(&snap, "lib/shop/repo.ex", 10), None);
    assert_eq!(generate_at(&snap, "lib/shop/notes.ex", 3), None);
    assert_eq!(
        generate_at(
            &snap,
            "priv/repo/migrations/20240101000000_create_teams.exs",
            20
        ),
        None
    );
    assert_eq!(generate_at(&snap, "no/such/file.ex", 0), None);
    assert_eq!(generate_at(&snap, &file, usize::MAX), None);
}

#[test]
fn every_drift_fix_removes_its_finding_without_adding_another() {
    let (snap, _) = fixture::load(SHOP);
    let before = finding_keys(&snap);
    let mut titles = Vec::new();
    for (index, finding) in snap.findings.iter().enumerate() {
        for action in drift_fixes_with(&snap, index, finding, &GenerateOptions::at(NOW)) {
            titles.push(action.title.clone());
            assert_eq!(action.fixes, vec![index]);
            for new in &action.new_files {
                assert!(new
                    .text
                    .lines()
                    .all(|l| l.chars().count() <= writer::LINE_LENGTH));
            }
            let after = finding_keys(&apply(&snap, &action));
            let fixed = (
                finding.code().to_string(),
                finding.resource.clone().unwrap_or_default(),
                finding.column.clone().unwrap_or_default(),
            );
            let mut expected = before.clone();
            expected.retain(|k| *k != fixed);
            assert_eq!(after, expected, "after {:?}", action.title);
        }
    }
    titles.sort();
    assert_eq!(
        titles,
        vec![
            "Add column nickname in a new migration",
            "Add foreign key users_team_id_fkey in a new migration",
            "Add unique index users_unique_email_index in a new migration",
            "Change :score to type :string",
            "Change column score to :bigint in a new migration",
            "Create table blog.posts in a new migration",
            "Make column age NOT NULL in a new migration",
            "Set allow_nil? true on :age",
        ]
    );
}

#[test]
fn resource_edits_are_exact() {
    let (snap, _) = fixture::load(SHOP);
    let of = |code: &str| {
        snap.findings
            .iter()
            .enumerate()
            .find(|(_, f)| f.code() == code)
            .map(|(i, f)| drift_fixes_with(&snap, i, f, &GenerateOptions::at(NOW)))
            .unwrap_or_default()
    };
    let edits = |actions: Vec<Action>| -> Vec<String> {
        actions
            .iter()
            .flat_map(|a| a.edits.iter())
            .flat_map(|e| e.edits.iter())
            .map(|e| {
                let text = snap
                    .file("lib/shop/accounts/user.ex")
                    .and_then(|f| f.text.get(e.span.clone()).map(str::to_string))
                    .unwrap_or_default();
                format!("{text} -> {}", e.new_text)
            })
            .collect()
    };
    assert_eq!(edits(of("nullability-mismatch")), vec!["false -> true"]);
    assert_eq!(
        edits(of("column-type-mismatch")),
        vec![":integer -> :string"]
    );
}

#[test]
fn a_table_name_that_is_not_a_literal_is_an_error() {
    let text = SHOP.replace("    table \"posts\"", "    table posts_table()");
    let (snap, _) = fixture::load(&text);
    let result =
        find_resource(&snap, "Post").and_then(|r| generate(&snap, r, &GenerateOptions::at(NOW)));
    match result {
        Err(GenerateError::NoTable(m)) | Err(GenerateError::Unknown(m)) => {
            assert!(m.contains("Post"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn versions_round_trip() {
    assert_eq!(format_version(0), "19700101000000");
    assert_eq!(format_version(NOW), "20260102030405");
    let v = "20250128113000";
    assert_eq!(version_seconds(v).map(format_version).as_deref(), Some(v));
    assert_eq!(
        version_seconds("20240229235959")
            .map(format_version)
            .as_deref(),
        Some("20240229235959")
    );
    assert_eq!(version_seconds("2025"), None);
    assert_eq!(version_seconds("20251328113000"), None);
    assert_eq!(version_seconds("2025012811300é"), None);
    assert_eq!(camelize("create_security_events"), "CreateSecurityEvents");
    assert_eq!(camelize("add_x2_to_y"), "AddX2ToY");
    assert_eq!(file_safe("create_Weird-Name"), "create_weird_name");
    assert_eq!(file_safe("1st"), "migrate_1st");
}

#[test]
fn an_identity_covered_under_another_name_is_declared_again_by_that_name() {
    let fixture = r#"
//- /mix.exs
defmodule Shop.MixProject do
  use Mix.Project
end
//- /lib/shop/repo.ex
defmodule Shop.Repo do
  use AshPostgres.Repo, otp_app: :shop
end
//- /lib/shop/accounts/team.ex
defmodule Shop.Accounts.Team do
  use Ash.Resource, domain: Shop.Accounts, data_layer: AshPostgres.DataLayer

  postgres do
    table "teams"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :slug, :string, allow_nil?: false
  end

  identities do
    identity :unique_slug, [:slug]
  end
end
//- /priv/repo/migrations/20240101000000_create_teams.exs
defmodule Shop.Repo.Migrations.CreateTeams do
  use Ecto.Migration

  def change do
    create table(:teams, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :slug, :text, null: false
    end

    create unique_index(:teams, [:slug])
  end
end
"#;
    let (snap, _) = fixture::load(fixture);
    let m = generated(&snap, "Team", &GenerateOptions::at(NOW));
    // A no-op where the index exists; a database without the table gets it
    // back, where `create_if_not_exists table` makes only the key.
    assert!(
        m.text.contains(
            "    create_if_not_exists(unique_index(:teams, [:slug], name: \"teams_slug_index\"))\n"
        ),
        "{}",
        m.text
    );
    assert!(!m.text.contains("teams_unique_slug_index"), "{}", m.text);
    assert!(!m.text.contains("drop_if_exists(index("), "{}", m.text);
}
