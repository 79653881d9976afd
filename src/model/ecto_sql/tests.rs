use super::*;
use crate::syntax::elixir::parse;

fn up(src: &str) -> String {
    rendered(src, Way::Up, &RenderSettings::default())
}

fn rendered(src: &str, way: Way, settings: &RenderSettings) -> String {
    let facts = match parse(src) {
        Some(tree) => crate::syntax::migration::extract(src, &tree),
        None => MigrationFacts::default(),
    };
    render(src, &facts, way, settings)
        .iter()
        .map(StatementSql::text)
        .collect()
}

#[test]
fn create_table_has_the_default_key_timestamps_and_references() {
    let src = r#"
defmodule M do
  use Ecto.Migration
  def change do
    create table(:posts, prefix: "blog") do
      add :title, :string, null: false
      add :author_id, references(:users, on_delete: :delete_all)
      timestamps()
    end
  end
end
"#;
    assert_eq!(
        up(src),
        "CREATE TABLE \"blog\".\"posts\" (\"id\" bigserial, \"title\" varchar(255) NOT NULL, \
\"author_id\" bigint, CONSTRAINT \"posts_author_id_fkey\" FOREIGN KEY (\"author_id\") \
REFERENCES \"blog\".\"users\"(\"id\") ON DELETE CASCADE, \"inserted_at\" timestamp(0) NOT NULL, \
\"updated_at\" timestamp(0) NOT NULL, PRIMARY KEY (\"id\"));\n"
    );
}

#[test]
fn alter_modify_rename_remove_and_constraints_render_like_ecto_sql() {
    let src = r#"
defmodule M do
  use Ecto.Migration
  def up do
    alter table(:invoices) do
      add :paid, :boolean, default: false, null: false
      add :owner_id, references(:users, type: :uuid, name: :invoices_owner_fk, on_update: :update_all)
      modify :status, :text, null: true, default: nil
      remove_if_exists :legacy
    end
    rename table(:invoices), :total, to: :amount
    rename table(:invoices), to: table(:bills)
    create constraint(:bills, :amount_positive, check: "amount > 0")
    create index(:bills, ["lower(status)", :paid], where: "paid", concurrently: true, using: :btree)
    drop_if_exists index(:bills, [:paid])
    drop constraint(:bills, :amount_positive)
  end
end
"#;
    assert_eq!(
        up(src),
        r#"ALTER TABLE "invoices" ADD COLUMN "paid" boolean DEFAULT false NOT NULL;
ALTER TABLE "invoices" ADD COLUMN "owner_id" uuid, ADD CONSTRAINT "invoices_owner_fk" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON UPDATE CASCADE;
ALTER TABLE "invoices" ALTER COLUMN "status" TYPE text, ALTER COLUMN "status" DROP NOT NULL, ALTER COLUMN "status" SET DEFAULT NULL;
ALTER TABLE "invoices" DROP COLUMN IF EXISTS "legacy";
ALTER TABLE "invoices" RENAME "total" TO "amount";
ALTER TABLE "invoices" RENAME TO "bills";
ALTER TABLE "bills" ADD CONSTRAINT "amount_positive" CHECK (amount > 0);
CREATE INDEX CONCURRENTLY "bills_lower_status_paid_index" ON "bills" USING btree (lower(status), "paid") WHERE paid;
DROP INDEX IF EXISTS "bills_paid_index";
ALTER TABLE "bills" DROP CONSTRAINT "amount_positive";
"#
    );
}

#[test]
fn the_repo_config_sets_the_default_key_reference_type_and_prefix() {
    let src = r#"
defmodule M do
  use Ecto.Migration
  def change do
    create table(:posts) do
      add :author_id, references(:users)
    end
  end
end
"#;
    let settings = RenderSettings {
        config: RepoMigrationConfig {
            primary_key: Some(("uid".into(), "uuid".into())),
            default_prefix: Some("app".into()),
            ..RepoMigrationConfig::default()
        },
        tenant: false,
    };
    assert_eq!(
        rendered(src, Way::Up, &settings),
        "CREATE TABLE \"app\".\"posts\" (\"uid\" uuid, \"author_id\" uuid, CONSTRAINT \
\"posts_author_id_fkey\" FOREIGN KEY (\"author_id\") REFERENCES \"app\".\"users\"(\"id\"), \
PRIMARY KEY (\"uid\"));\n"
    );
    let no_key = RenderSettings {
        config: RepoMigrationConfig {
            no_primary_key: true,
            ..RepoMigrationConfig::default()
        },
        tenant: false,
    };
    assert!(rendered(src, Way::Up, &no_key)
        .starts_with("CREATE TABLE \"posts\" (\"author_id\" bigint,"));
}

#[test]
fn rolling_back_change_reverses_each_command_in_reverse_order() {
    let src = r#"
defmodule M do
  use Ecto.Migration
  def change do
    create_if_not_exists table(:tags) do
      add :name, :string
    end
    create index(:tags, [:name])
    alter table(:posts) do
      add :tag_id, references(:tags)
      remove :old
    end
    rename table(:posts), :title, to: :headline
    execute "CREATE EXTENSION citext", "DROP EXTENSION citext"
    execute "ANALYZE tags"
  end
end
"#;
    assert_eq!(
        rendered(src, Way::Down, &RenderSettings::default()),
        r#"-- ecto-ash-lsp: cannot render: `execute/1` in change/0 cannot be reversed: Ecto raises on rollback
DROP EXTENSION citext;
ALTER TABLE "posts" RENAME "headline" TO "title";
-- ecto-ash-lsp: cannot render: on rollback: re-adding the column needs its type and options, which the model does not keep
ALTER TABLE "posts" DROP CONSTRAINT "posts_tag_id_fkey", DROP COLUMN "tag_id";
DROP INDEX "tags_name_index";
DROP TABLE IF EXISTS "tags";
"#
    );
}

#[test]
fn what_cannot_be_known_is_said_not_guessed() {
    let src = r#"
defmodule M do
  use Ecto.Migration
  @table "events"
  def up do
    create table(:events, comment: "audit trail") do
      add :kind, :string
    end
    alter table(:events) do
      add :at, :utc_datetime, default: DateTime.utc_now()
      add :payload, MyType.type()
    end
    create index(:events, [:kind], include: [:at])
    execute "ALTER TABLE #{@table} OWNER TO #{owner()}"
    execute "GRANT SELECT ON #{@table} TO reporting"
    if System.get_env("PARTITION") do
      execute "SELECT 1"
    end
  end
  defp owner, do: System.get_env("OWNER")
end
"#;
    let out = up(src);
    assert_eq!(
        out,
        r#"-- ecto-ash-lsp: cannot render: the `comment:` option of `table` is not modelled
-- ecto-ash-lsp: cannot render: the default `DateTime.utc_now()` is not a literal Ecto renders
-- ecto-ash-lsp: cannot render: the type `MyType.type()` of column `payload` is not one Ecto renders statically
-- ecto-ash-lsp: cannot render: the `include:` option of `index` is not modelled
-- ecto-ash-lsp: cannot render: the interpolation `#{owner()}` is not a literal
GRANT SELECT ON events TO reporting;
-- ecto-ash-lsp: runs only when a condition in the migration holds
SELECT 1;
"#,
        "{out}"
    );
}

#[test]
fn heredocs_lose_their_closing_indentation() {
    let src = "defmodule M do\n  use Ecto.Migration\n  def up do\n    execute \"\"\"\n    CREATE TABLE t (\n      id int\n    )\n    \"\"\"\n  end\nend\n";
    assert_eq!(up(src), "CREATE TABLE t (\n  id int\n);\n");
}

#[test]
fn bad_input_renders_nothing_and_does_not_panic() {
    for src in [
        "",
        "defmodule M do",
        "\u{0}\u{1}\u{fffd}binary\u{0}",
        "defmodule M do\n  use Ecto.Migration\n  def up do\n    create table(:\"a\\\"b\") do\n    end\n    execute \"é\" <>\n  end\nend\n",
        "defmodule M do\n  use Ecto.Migration\n  def change do\n    create table(:é) do add :ü, :string end\n  end\nend\n",
    ] {
        let _ = up(src);
        let _ = rendered(src, Way::Down, &RenderSettings::default());
        let facts = parse(src)
            .map(|t| crate::syntax::migration::extract(src, &t))
            .unwrap_or_default();
        for offset in 0..=src.len() {
            let _ = statement_at(src, &facts, offset, &RenderSettings::default());
        }
    }
    let quoted = "defmodule M do\n  use Ecto.Migration\n  def up do\n    create table(:\"a\\\"b\") do\n    end\n  end\nend\n";
    assert!(up(quoted).contains("cannot render"), "{}", up(quoted));
}
