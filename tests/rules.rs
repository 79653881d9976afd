//! Every rule: a fixture that fires it, one that must not, one where a
//! suppression comment silences it.

mod support;

use support::index;

/// A project with one resource whose table matches it exactly. Tests add
/// files or replace this one's parts.
const PROJECT: &str = r#"
//- /mix.exs
defmodule Shop.MixProject do
  use Mix.Project
end
//- /lib/shop/repo.ex
defmodule Shop.Repo do
  use AshPostgres.Repo, otp_app: :shop
end
"#;

fn product(attributes: &str, extra: &str) -> String {
    format!(
        r#"
//- /lib/shop/product.ex
defmodule Shop.Product do
  use Ash.Resource, domain: Shop, data_layer: AshPostgres.DataLayer

  postgres do
    table "products"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :name, :string, allow_nil?: false
{attributes}  end
{extra}end
"#
    )
}

fn products_migration(body: &str) -> String {
    format!(
        r#"
//- /priv/repo/migrations/20240101000000_create_products.exs
defmodule Shop.Repo.Migrations.CreateProducts do
  use Ecto.Migration

  def change do
    create table(:products, primary_key: false) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")
      add :name, :string, null: false
{body}    end
  end
end
"#
    )
}

fn project(parts: &[&str]) -> String {
    let mut s = PROJECT.to_string();
    for p in parts {
        s.push_str(p);
    }
    s
}

fn baseline() -> String {
    project(&[&product("", ""), &products_migration("")])
}

#[test]
fn baseline_has_no_drift() {
    let ix = index(&baseline());
    let drift: Vec<_> = ix
        .findings
        .iter()
        .filter(|f| f.rule.family == ecto_ash_lsp::checks::rules::Family::Drift)
        .map(|f| f.message.clone())
        .collect();
    assert!(drift.is_empty(), "{drift:#?}");
    assert!(ix.of("unresolved").is_empty(), "{:?}", ix.of("unresolved"));
    assert!(ix.of("parse-error").is_empty());
    assert_eq!(ix.analysis.resources.len(), 1);
    assert_eq!(
        ix.analysis.resources[0].table.as_deref(),
        Some("public.products")
    );
}

// missing-table

#[test]
fn missing_table_fires_at_the_table_name() {
    let ix = index(&project(&[
        &product("", ""),
        r#"
//- /priv/repo/migrations/20240101000000_create_other.exs
defmodule Shop.Repo.Migrations.CreateOther do
  use Ecto.Migration
  def change do
    create table(:others)
  end
end
"#,
    ]));
    assert_eq!(
        ix.of("missing-table"),
        ["lib/shop/product.ex:5: table public.products of Shop.Product is created by no migration in priv/repo/migrations"]
    );
    assert_eq!(ix.text_at("missing-table").as_deref(), Some("\"products\""));
}

#[test]
fn missing_table_not_when_created() {
    assert!(index(&baseline()).of("missing-table").is_empty());
}

#[test]
fn missing_table_not_when_created_by_raw_sql() {
    let ix = index(&project(&[
        &product("", ""),
        r#"
//- /priv/repo/migrations/20240101000000_create_products.exs
defmodule Shop.Repo.Migrations.CreateProducts do
  use Ecto.Migration
  def up do
    execute """
    CREATE TABLE IF NOT EXISTS products (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name varchar(255) NOT NULL
    )
    """
  end
  def down, do: execute("DROP TABLE products")
end
"#,
    ]));
    assert!(
        ix.of("missing-table").is_empty(),
        "{:?}",
        ix.of("missing-table")
    );
    assert!(
        ix.of("missing-column").is_empty(),
        "{:?}",
        ix.of("missing-column")
    );
}

#[test]
fn missing_table_suppressed() {
    let p = product("", "").replace(
        "    table \"products\"",
        "    # ecto-ash-lsp: ignore missing-table — created by the billing service\n    table \"products\"",
    );
    let ix = index(&project(&[
        &p,
        r#"
//- /priv/repo/migrations/20240101000000_create_other.exs
defmodule Shop.Repo.Migrations.CreateOther do
  use Ecto.Migration
  def change do
    create table(:others)
  end
end
"#,
    ]));
    assert!(ix.of("missing-table").is_empty());
}

// missing-column

#[test]
fn missing_column_fires_at_the_attribute() {
    let ix = index(&project(&[
        &product("    attribute :sku, :string\n", ""),
        &products_migration(""),
    ]));
    assert_eq!(
        ix.of("missing-column"),
        ["lib/shop/product.ex:12: attribute :sku has no column in table public.products"]
    );
    assert_eq!(ix.text_at("missing-column").as_deref(), Some(":sku"));
    let f = &ix
        .findings
        .iter()
        .find(|f| f.code() == "missing-column")
        .unwrap();
    assert_eq!(
        f.related[0].file,
        "priv/repo/migrations/20240101000000_create_products.exs"
    );
}

#[test]
fn missing_column_not_when_added_later() {
    let ix = index(&project(&[
        &product("    attribute :sku, :string\n", ""),
        &products_migration(""),
        r#"
//- /priv/repo/migrations/20240201000000_add_sku.exs
defmodule Shop.Repo.Migrations.AddSku do
  use Ecto.Migration
  def change do
    alter table(:products) do
      add :sku, :string
    end
  end
end
"#,
    ]));
    assert!(
        ix.of("missing-column").is_empty(),
        "{:?}",
        ix.of("missing-column")
    );
}

#[test]
fn missing_column_suppressed() {
    let ix = index(&project(&[
        &product(
            "    # ecto-ash-lsp: ignore missing-column — added by a trigger\n    attribute :sku, :string\n",
            "",
        ),
        &products_migration(""),
    ]));
    assert!(ix.of("missing-column").is_empty());
}

// extra-column

#[test]
fn extra_column_fires_at_the_column() {
    let ix = index(&project(&[
        &product("", ""),
        &products_migration("      add :legacy_code, :string\n"),
    ]));
    assert_eq!(
        ix.of("extra-column"),
        ["priv/repo/migrations/20240101000000_create_products.exs:8: column public.products.legacy_code has no attribute on Shop.Product"]
    );
}

#[test]
fn extra_column_not_when_mapped() {
    assert!(index(&baseline()).of("extra-column").is_empty());
}

#[test]
fn extra_column_suppressed() {
    let ix = index(&project(&[
        &product("", ""),
        &products_migration(
            "      # ecto-ash-lsp: ignore extra-column — read by reports\n      add :legacy_code, :string\n",
        ),
    ]));
    assert!(ix.of("extra-column").is_empty());
}

// column-type-mismatch

#[test]
fn column_type_mismatch_fires() {
    let ix = index(&project(&[
        &product("    attribute :stock, :integer\n", ""),
        &products_migration("      add :stock, :string\n"),
    ]));
    assert_eq!(
        ix.of("column-type-mismatch"),
        ["lib/shop/product.ex:12: attribute :stock is :integer (integer) but column public.products.stock is varchar(255)"]
    );
}

#[test]
fn column_type_mismatch_not_for_string_in_text_or_varchar() {
    let ix = index(&project(&[
        &product(
            "    attribute :notes, :string\n    attribute :code, Ash.Type.String\n",
            "",
        ),
        &products_migration("      add :notes, :text\n      add :code, :string, size: 40\n"),
    ]));
    assert!(
        ix.of("column-type-mismatch").is_empty(),
        "{:?}",
        ix.of("column-type-mismatch")
    );
}

#[test]
fn column_type_mismatch_not_for_custom_types() {
    let ix = index(&project(&[
        &product("    attribute :status, Shop.Types.Status\n", ""),
        &products_migration("      add :status, :integer\n"),
    ]));
    assert!(ix.of("column-type-mismatch").is_empty());
}

#[test]
fn column_type_mismatch_suppressed() {
    let ix = index(&project(&[
        &product(
            "    # ecto-ash-lsp: ignore column-type-mismatch\n    attribute :stock, :integer\n",
            "",
        ),
        &products_migration("      add :stock, :string\n"),
    ]));
    assert!(ix.of("column-type-mismatch").is_empty());
}

// nullability-mismatch

#[test]
fn nullability_mismatch_fires_both_ways() {
    let ix = index(&project(&[
        &product(
            "    attribute :sku, :string, allow_nil?: false\n    attribute :note, :string\n",
            "",
        ),
        &products_migration("      add :sku, :string\n      add :note, :string, null: false\n"),
    ]));
    assert_eq!(
        ix.of("nullability-mismatch"),
        [
            "lib/shop/product.ex:12: attribute :sku has allow_nil? false but column public.products.sku is nullable",
            "lib/shop/product.ex:13: attribute :note allows nil but column public.products.note is NOT NULL without a default: writing nil fails in the database",
        ]
    );
}

#[test]
fn nullability_mismatch_not_when_column_has_default() {
    let ix = index(&project(&[
        &product("    attribute :note, :string\n", ""),
        &products_migration("      add :note, :string, null: false, default: \"\"\n"),
    ]));
    assert!(
        ix.of("nullability-mismatch").is_empty(),
        "{:?}",
        ix.of("nullability-mismatch")
    );
}

#[test]
fn nullability_mismatch_not_when_fixed_by_modify() {
    let ix = index(&project(&[
        &product("    attribute :sku, :string, allow_nil?: false\n", ""),
        &products_migration("      add :sku, :string\n"),
        r#"
//- /priv/repo/migrations/20240301000000_sku_not_null.exs
defmodule Shop.Repo.Migrations.SkuNotNull do
  use Ecto.Migration
  def change do
    alter table(:products) do
      modify :sku, :string, null: false, from: {:string, null: true}
    end
  end
end
"#,
    ]));
    assert!(
        ix.of("nullability-mismatch").is_empty(),
        "{:?}",
        ix.of("nullability-mismatch")
    );
}

#[test]
fn nullability_mismatch_suppressed() {
    let ix = index(&project(&[
        &product(
            "    # ecto-ash-lsp: ignore nullability-mismatch — backfill pending\n    attribute :sku, :string, allow_nil?: false\n",
            "",
        ),
        &products_migration("      add :sku, :string\n"),
    ]));
    assert!(ix.of("nullability-mismatch").is_empty());
}

// primary-key-mismatch

const ORDER_RESOURCE: &str = r#"
//- /lib/shop/order.ex
defmodule Shop.Order do
  use Ash.Resource, domain: Shop, data_layer: AshPostgres.DataLayer

  postgres do
    table "orders"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
  end
end
"#;

#[test]
fn primary_key_mismatch_fires_on_ectos_default_key() {
    let ix = index(&project(&[
        ORDER_RESOURCE,
        r#"
//- /priv/repo/migrations/20240101000000_create_orders.exs
defmodule Shop.Repo.Migrations.CreateOrders do
  use Ecto.Migration
  def change do
    create table(:orders)
  end
end
"#,
    ]));
    assert_eq!(
        ix.of("primary-key-mismatch"),
        ["lib/shop/order.ex:10: Shop.Order has primary key (id :uuid) but table public.orders has primary key (id bigserial)"]
    );
}

#[test]
fn primary_key_mismatch_not_when_uuid_key() {
    assert!(index(&baseline()).of("primary-key-mismatch").is_empty());
}

#[test]
fn primary_key_mismatch_suppressed() {
    let ix = index(&project(&[
        &ORDER_RESOURCE.replace(
            "    uuid_primary_key :id",
            "    # ecto-ash-lsp: ignore primary-key-mismatch\n    uuid_primary_key :id",
        ),
        r#"
//- /priv/repo/migrations/20240101000000_create_orders.exs
defmodule Shop.Repo.Migrations.CreateOrders do
  use Ecto.Migration
  def change do
    create table(:orders)
  end
end
"#,
    ]));
    assert!(ix.of("primary-key-mismatch").is_empty());
}

// identity-without-unique-index

const IDENTITY: &str = "  identities do\n    identity :unique_name, [:name]\n  end\n";

#[test]
fn identity_without_unique_index_fires() {
    let ix = index(&project(&[&product("", IDENTITY), &products_migration("")]));
    assert_eq!(
        ix.of("identity-without-unique-index"),
        ["lib/shop/product.ex:14: identity :unique_name on (name) has no unique index in table public.products; AshPostgres expects products_unique_name_index"]
    );
}

#[test]
fn identity_not_when_unique_index_exists() {
    let ix = index(&project(&[
        &product("", IDENTITY),
        &products_migration(""),
        r#"
//- /priv/repo/migrations/20240102000000_index_names.exs
defmodule Shop.Repo.Migrations.IndexNames do
  use Ecto.Migration
  def change do
    create unique_index(:products, [:name], name: "products_unique_name_index")
  end
end
"#,
    ]));
    assert!(ix.of("identity-without-unique-index").is_empty());
}

#[test]
fn identity_fires_when_only_a_plain_index_exists() {
    let ix = index(&project(&[
        &product("", IDENTITY),
        &products_migration(""),
        r#"
//- /priv/repo/migrations/20240102000000_index_names.exs
defmodule Shop.Repo.Migrations.IndexNames do
  use Ecto.Migration
  def change do
    create index(:products, [:name])
  end
end
"#,
    ]));
    assert_eq!(ix.of("identity-without-unique-index").len(), 1);
}

#[test]
fn identity_suppressed() {
    let ix = index(&project(&[
        &product(
            "",
            "  identities do\n    # ecto-ash-lsp: ignore identity-without-unique-index\n    identity :unique_name, [:name]\n  end\n",
        ),
        &products_migration(""),
    ]));
    assert!(ix.of("identity-without-unique-index").is_empty());
}

// belongs-to-without-foreign-key

fn line_item(relationship: &str) -> String {
    format!(
        r#"
//- /lib/shop/line_item.ex
defmodule Shop.LineItem do
  use Ash.Resource, domain: Shop, data_layer: AshPostgres.DataLayer

  postgres do
    table "line_items"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
  end

  relationships do
{relationship}  end
end
"#
    )
}

fn line_items_migration(column: &str) -> String {
    format!(
        r#"
//- /priv/repo/migrations/20240105000000_create_line_items.exs
defmodule Shop.Repo.Migrations.CreateLineItems do
  use Ecto.Migration
  def change do
    create table(:line_items, primary_key: false) do
      add :id, :uuid, primary_key: true
      {column}
    end
  end
end
"#
    )
}

#[test]
fn belongs_to_without_foreign_key_fires() {
    let ix = index(&project(&[
        &product("", ""),
        &products_migration(""),
        &line_item("    belongs_to :product, Shop.Product\n"),
        &line_items_migration("add :product_id, :uuid"),
    ]));
    assert_eq!(
        ix.of("belongs-to-without-foreign-key"),
        ["lib/shop/line_item.ex:14: belongs_to :product uses column public.line_items.product_id but no foreign key references public.products"]
    );
    assert!(
        ix.of("column-type-mismatch").is_empty(),
        "{:?}",
        ix.of("column-type-mismatch")
    );
}

#[test]
fn belongs_to_not_when_references() {
    let ix = index(&project(&[
        &product("", ""),
        &products_migration(""),
        &line_item("    belongs_to :product, Shop.Product\n"),
        &line_items_migration(
            "add :product_id, references(:products, type: :uuid, on_delete: :delete_all)",
        ),
    ]));
    assert!(ix.of("belongs-to-without-foreign-key").is_empty());
    assert!(
        ix.of("missing-column").is_empty(),
        "{:?}",
        ix.of("missing-column")
    );
}

#[test]
fn belongs_to_key_type_comes_from_the_destination() {
    let ix = index(&project(&[
        &product("", ""),
        &products_migration(""),
        &line_item("    belongs_to :product, Shop.Product\n"),
        &line_items_migration("add :product_id, references(:products)"),
    ]));
    assert_eq!(
        ix.of("column-type-mismatch"),
        ["lib/shop/line_item.ex:14: attribute :product_id is belongs_to (uuid) but column public.line_items.product_id is bigint"]
    );
}

#[test]
fn belongs_to_suppressed() {
    let ix = index(&project(&[
        &product("", ""),
        &products_migration(""),
        &line_item("    # ecto-ash-lsp: ignore belongs-to-without-foreign-key\n    belongs_to :product, Shop.Product\n"),
        &line_items_migration("add :product_id, :uuid"),
    ]));
    assert!(ix.of("belongs-to-without-foreign-key").is_empty());
}

// table-without-resource

const AUDIT_MIGRATION: &str = r#"
//- /priv/repo/migrations/20240110000000_create_audit.exs
defmodule Shop.Repo.Migrations.CreateAudit do
  use Ecto.Migration
  def change do
    create table(:audit_trail) do
      add :event, :string
    end
  end
end
"#;

#[test]
fn table_without_resource_fires() {
    let ix = index(&project(&[
        &product("", ""),
        &products_migration(""),
        AUDIT_MIGRATION,
    ]));
    assert_eq!(
        ix.of("table-without-resource"),
        ["priv/repo/migrations/20240110000000_create_audit.exs:4: table public.audit_trail is mapped by no resource or schema"]
    );
}

#[test]
fn table_without_resource_not_when_an_ecto_schema_maps_it() {
    let ix = index(&project(&[
        &product("", ""),
        &products_migration(""),
        AUDIT_MIGRATION,
        r#"
//- /lib/shop/audit.ex
defmodule Shop.Audit do
  use Ecto.Schema
  schema "audit_trail" do
    field :event, :string
  end
end
"#,
    ]));
    assert!(ix.of("table-without-resource").is_empty());
    assert!(
        ix.of("extra-column").is_empty(),
        "{:?}",
        ix.of("extra-column")
    );
    assert!(
        ix.of("primary-key-mismatch").is_empty(),
        "{:?}",
        ix.of("primary-key-mismatch")
    );
}

#[test]
fn table_without_resource_suppressed() {
    let ix = index(&project(&[
        &product("", ""),
        &products_migration(""),
        &AUDIT_MIGRATION.replace(
            "    create table(:audit_trail) do",
            "    # ecto-ash-lsp: ignore table-without-resource — written by triggers\n    create table(:audit_trail) do",
        ),
    ]));
    assert!(ix.of("table-without-resource").is_empty());
}

// non-idempotent-statement

fn migration(name: &str, body: &str) -> String {
    format!(
        "\n//- /priv/repo/migrations/{name}.exs\ndefmodule Shop.Repo.Migrations.M{} do\n  use Ecto.Migration\n{body}end\n",
        &name[..14]
    )
}

#[test]
fn non_idempotent_statement_kinds() {
    let ix = index(&project(&[&migration(
        "20240101000000_all",
        r#"
  def up do
    create table(:a) do
      add :name, :string
    end
    alter table(:a) do
      add :code, :string
      remove :name
    end
    create index(:a, [:code])
    create unique_index(:a, [:code], name: :a_code_unique)
    create constraint(:a, :code_length, check: "length(code) < 10")
    rename table(:a), :code, to: :slug
    execute "ALTER TABLE a ADD CONSTRAINT a_slug_check CHECK (slug <> '')"
    drop index(:a, [:code])
    drop table(:a)
  end

  def down do
    drop table(:whatever)
  end
"#,
    )]));
    let kinds: Vec<(usize, &str)> = ix
        .findings
        .iter()
        .filter(|f| f.code() == "non-idempotent-statement")
        .map(|f| {
            let file = &ix.ws.files[&f.file];
            (file.lines.line_of(f.span.start) + 1, f.kind.unwrap_or("?"))
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (5, "create-table"),
            (9, "add-column"),
            (10, "drop"),
            (12, "create-index"),
            (13, "create-unique-index"),
            (14, "create-constraint"),
            (15, "rename"),
            (16, "raw-sql"),
            (17, "drop"),
            (18, "drop"),
        ]
    );
}

#[test]
fn non_idempotent_not_for_guarded_forms() {
    let ix = index(&project(&[&migration(
        "20240101000000_guarded",
        r#"
  def up do
    create_if_not_exists table(:a) do
      add :name, :string
    end
    alter table(:a) do
      add_if_not_exists :code, :string
      remove_if_exists :name
    end
    create_if_not_exists index(:a, [:code])
    execute "CREATE TABLE IF NOT EXISTS b (id bigserial PRIMARY KEY)"
    execute """
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'a_code_check') THEN
        ALTER TABLE a ADD CONSTRAINT a_code_check CHECK (code <> '');
      END IF;
    END
    $$;
    """
    drop_if_exists index(:a, [:name])
    execute "DROP INDEX IF EXISTS a_legacy_index"
    execute "CREATE INDEX a_legacy_index ON a (code)"
    drop_if_exists table(:c)
    create table(:c)
  end

  def down do
  end
"#,
    )]));
    assert!(
        ix.of("non-idempotent-statement").is_empty(),
        "{:#?}",
        ix.of("non-idempotent-statement")
    );
}

#[test]
fn add_if_not_exists_with_references_still_adds_the_foreign_key() {
    let ix = index(&project(&[&migration(
        "20240101000000_fk",
        r#"
  def up do
    alter table(:a) do
      add_if_not_exists :b_id, references(:b)
    end
  end
"#,
    )]));
    let f: Vec<_> = ix
        .findings
        .iter()
        .filter(|f| f.code() == "non-idempotent-statement")
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Some("create-constraint"));
    assert!(f[0].message.contains("a_b_id_fkey"), "{}", f[0].message);
}

#[test]
fn non_idempotent_not_under_the_codegen_convention() {
    let mut fixture = project(&[&migration(
        "20240101000000_plain",
        "  def change do\n    create table(:a)\n  end\n",
    )]);
    fixture.push_str("\n//- /.ecto-ash-lsp.toml\nconvention = \"codegen\"\n");
    assert!(index(&fixture).of("non-idempotent-statement").is_empty());
}

#[test]
fn non_idempotent_suppressed_on_dsl_and_on_the_execute_line() {
    let ix = index(&project(&[&migration(
        "20240101000000_plain",
        r#"
  def up do
    # ecto-ash-lsp: ignore non-idempotent-statement — runs once, by design
    create table(:a)
    # ecto-ash-lsp: ignore non-idempotent-statement
    execute """
    CREATE TABLE b (id bigint)
    """
  end
"#,
    )]));
    assert!(
        ix.of("non-idempotent-statement").is_empty(),
        "{:?}",
        ix.of("non-idempotent-statement")
    );
}

// irreversible-idempotent-change

#[test]
fn irreversible_idempotent_change_fires() {
    let ix = index(&project(&[&migration(
        "20240101000000_change",
        r#"
  def change do
    alter table(:a) do
      add_if_not_exists :code, :string
    end
    drop_if_exists table(:old)
    execute "CREATE INDEX IF NOT EXISTS a_code_index ON a (code)"
  end
"#,
    )]));
    assert_eq!(
        ix.of("irreversible-idempotent-change").len(),
        3,
        "{:#?}",
        ix.of("irreversible-idempotent-change")
    );
}

#[test]
fn irreversible_not_for_forms_ecto_reverses() {
    let ix = index(&project(&[&migration(
        "20240101000000_change",
        r#"
  def change do
    create_if_not_exists table(:a) do
      add :code, :string
    end
    create_if_not_exists index(:a, [:code])
    drop_if_exists index(:a, [:legacy])
    execute "CREATE INDEX IF NOT EXISTS a_x ON a (code)", "DROP INDEX IF EXISTS a_x"
  end
"#,
    )]));
    assert!(
        ix.of("irreversible-idempotent-change").is_empty(),
        "{:?}",
        ix.of("irreversible-idempotent-change")
    );
}

#[test]
fn irreversible_not_in_up() {
    let ix = index(&project(&[&migration(
        "20240101000000_up",
        "  def up do\n    alter table(:a) do\n      add_if_not_exists :code, :string\n    end\n  end\n  def down, do: :ok\n",
    )]));
    assert!(ix.of("irreversible-idempotent-change").is_empty());
}

#[test]
fn irreversible_suppressed() {
    let ix = index(&project(&[&migration(
        "20240101000000_change",
        "  def change do\n    alter table(:a) do\n      # ecto-ash-lsp: ignore irreversible-idempotent-change\n      add_if_not_exists :code, :string\n    end\n  end\n",
    )]));
    assert!(ix.of("irreversible-idempotent-change").is_empty());
}

// hidden-drift

const FIRST_PRODUCTS: &str = r#"
//- /priv/repo/migrations/20240101000000_create_products.exs
defmodule Shop.Repo.Migrations.CreateProducts do
  use Ecto.Migration
  def change do
    create_if_not_exists table(:products) do
      add :name, :string
    end
  end
end
"#;

fn redeclared(body: &str, comment: &str) -> String {
    format!(
        r#"
//- /priv/repo/migrations/20240601000000_products_again.exs
defmodule Shop.Repo.Migrations.ProductsAgain do
  use Ecto.Migration
  def up do
{comment}    create_if_not_exists table(:products) do
{body}    end
  end
end
"#
    )
}

#[test]
fn hidden_drift_fires_on_a_redeclaration_with_a_new_column() {
    let ix = index(&project(&[
        FIRST_PRODUCTS,
        &redeclared("      add :name, :string\n      add :sku, :string\n", ""),
    ]));
    assert_eq!(
        ix.of("hidden-drift"),
        ["priv/repo/migrations/20240601000000_products_again.exs:4: create_if_not_exists re-declares public.products, which an earlier migration already created, so this body is skipped: its new column(s) sku never land"]
    );
    let f = ix
        .findings
        .iter()
        .find(|f| f.code() == "hidden-drift")
        .unwrap();
    assert!(f.unnecessary);
    // The folded table does not have the skipped column.
    let table = ix.analysis.models[0].table("public.products").unwrap();
    assert!(table.column("sku").is_none());
}

#[test]
fn hidden_drift_not_when_the_body_matches() {
    let ix = index(&project(&[
        FIRST_PRODUCTS,
        &redeclared("      add :name, :string\n", ""),
    ]));
    assert!(ix.of("hidden-drift").is_empty());
}

#[test]
fn hidden_drift_suppressed() {
    let ix = index(&project(&[
        FIRST_PRODUCTS,
        &redeclared(
            "      add :name, :string\n      add :sku, :string\n",
            "    # ecto-ash-lsp: ignore hidden-drift\n",
        ),
    ]));
    assert!(ix.of("hidden-drift").is_empty());
}

// duplicate-migration-version / duplicate-migration-module

#[test]
fn duplicate_version_and_module_fire() {
    let ix = index(&project(&[
        "\n//- /priv/repo/migrations/20240101000000_a.exs\ndefmodule Shop.Repo.Migrations.A do\n  use Ecto.Migration\nend\n",
        "\n//- /priv/repo/migrations/20240101000000_b.exs\ndefmodule Shop.Repo.Migrations.B do\n  use Ecto.Migration\nend\n",
        "\n//- /priv/repo/migrations/20240102000000_c.exs\ndefmodule Shop.Repo.Migrations.A do\n  use Ecto.Migration\nend\n",
    ]));
    assert_eq!(
        ix.of("duplicate-migration-version"),
        ["priv/repo/migrations/20240101000000_b.exs:1: migration version 20240101000000 is also used by priv/repo/migrations/20240101000000_a.exs; Ecto refuses to run migrations with a duplicated version"]
    );
    assert_eq!(ix.of("duplicate-migration-module").len(), 1);
    assert!(ix.of("duplicate-migration-module")[0]
        .starts_with("priv/repo/migrations/20240102000000_c.exs:1:"));
}

#[test]
fn duplicates_not_across_repos() {
    let ix = index(&project(&[
        "\n//- /priv/repo/migrations/20240101000000_a.exs\ndefmodule Shop.Repo.Migrations.A do\n  use Ecto.Migration\nend\n",
        "\n//- /priv/other_repo/migrations/20240101000000_a.exs\ndefmodule Shop.OtherRepo.Migrations.A do\n  use Ecto.Migration\nend\n",
    ]));
    assert!(ix.of("duplicate-migration-version").is_empty());
    assert!(ix.of("duplicate-migration-module").is_empty());
}

#[test]
fn duplicates_suppressed() {
    let ix = index(&project(&[
        "\n//- /priv/repo/migrations/20240101000000_a.exs\ndefmodule Shop.Repo.Migrations.A do\n  use Ecto.Migration\nend\n",
        "\n//- /priv/repo/migrations/20240101000000_b.exs\n# ecto-ash-lsp: ignore duplicate-migration-version, duplicate-migration-module\ndefmodule Shop.Repo.Migrations.A do\n  use Ecto.Migration\nend\n",
    ]));
    assert!(ix.of("duplicate-migration-version").is_empty());
    assert!(ix.of("duplicate-migration-module").is_empty());
}

// table-created-twice

fn create_twice(second: &str) -> String {
    project(&[
        &migration(
            "20240101000000_one",
            "  def change do\n    create table(:a)\n  end\n",
        ),
        &migration(
            "20240201000000_two",
            &format!("  def change do\n{second}  end\n"),
        ),
    ])
}

#[test]
fn table_created_twice_fires() {
    let ix = index(&create_twice("    create table(:a)\n"));
    assert_eq!(
        ix.of("table-created-twice"),
        ["priv/repo/migrations/20240201000000_two.exs:4: table public.a is created again without a guard or a drop in between; migrating a fresh database fails here (42P07)"]
    );
}

#[test]
fn table_created_twice_not_after_a_drop() {
    let ix = index(&create_twice("    drop table(:a)\n    create table(:a)\n"));
    assert!(ix.of("table-created-twice").is_empty());
}

#[test]
fn table_created_twice_suppressed() {
    let ix = index(&create_twice(
        "    # ecto-ash-lsp: ignore table-created-twice\n    create table(:a)\n",
    ));
    assert!(ix.of("table-created-twice").is_empty());
}

// unresolved

#[test]
fn unresolved_fires_on_interpolation_it_cannot_follow() {
    let ix = index(&project(&[&migration(
        "20240101000000_dyn",
        "  def up do\n    execute \"CREATE TABLE #{table_name()} (id bigint)\"\n  end\n",
    )]));
    assert_eq!(ix.of("unresolved").len(), 1, "{:?}", ix.of("unresolved"));
    assert!(ix.of("unresolved")[0].starts_with("priv/repo/migrations/20240101000000_dyn.exs:4:"));
}

#[test]
fn unresolved_not_for_literal_module_attributes() {
    let ix = index(&project(&[&migration(
        "20240101000000_attr",
        "  @prefix \"platform\"\n  def up do\n    execute \"CREATE TABLE IF NOT EXISTS #{@prefix}.events (id bigint)\"\n  end\n",
    )]));
    assert!(ix.of("unresolved").is_empty(), "{:?}", ix.of("unresolved"));
    assert!(ix.analysis.models[0].table("platform.events").is_some());
}

#[test]
fn unresolved_suppressed() {
    let ix = index(&project(&[&migration(
        "20240101000000_dyn",
        "  def up do\n    # ecto-ash-lsp: ignore unresolved — tenant tables\n    execute \"CREATE TABLE #{table_name()} (id bigint)\"\n  end\n",
    )]));
    assert!(ix.of("unresolved").is_empty());
}

// parse-error

#[test]
fn parse_error_fires_and_the_run_goes_on() {
    let ix = index(&project(&[
        &baseline(),
        "\n//- /lib/shop/broken.ex\ndefmodule Shop.Broken do\n  use Ash.Resource\n  attributes do\n    attribute :x, :string,\n  end\n",
    ]));
    assert_eq!(
        ix.of("parse-error"),
        ["lib/shop/broken.ex:1: syntax error at line 1; facts after it may be incomplete"]
    );
    assert_eq!(
        ix.analysis
            .resources
            .iter()
            .filter(|r| r.facts.module == "Shop.Product")
            .count(),
        1
    );
}

#[test]
fn parse_error_for_binary_and_non_utf8_files() {
    let ws = ecto_ash_lsp::model::workspace::SourceFile::from_bytes(
        "lib/x.ex".into(),
        ecto_ash_lsp::model::workspace::FileRole::Elixir {
            root: String::new(),
        },
        vec![0xff, 0xfe, b'd', b'e', b'f'],
    );
    assert_eq!(
        ws.problem.as_deref(),
        Some("not valid UTF-8 text; not indexed")
    );
    let bin = ecto_ash_lsp::model::workspace::SourceFile::from_bytes(
        "lib/y.ex".into(),
        ecto_ash_lsp::model::workspace::FileRole::Elixir {
            root: String::new(),
        },
        vec![b'a', 0, b'b'],
    );
    assert!(bin
        .problem
        .as_deref()
        .unwrap_or("")
        .starts_with("binary file"));
}

#[test]
fn parse_error_not_for_clean_files() {
    assert!(index(&baseline()).of("parse-error").is_empty());
}

#[test]
fn parse_error_suppressed() {
    // tree-sitter puts a missing `end` at the `do` of the module it leaves open.
    let ix = index(&project(&[
        &baseline(),
        "\n//- /lib/shop/broken.ex\n# ecto-ash-lsp: ignore parse-error — work in progress\ndefmodule Shop.Broken do\n  use Ash.Resource\n  attributes do\n    attribute :x, :string,\n  end\n",
    ]));
    assert!(
        ix.of("parse-error").is_empty(),
        "{:?}",
        ix.of("parse-error")
    );
}

// configuration

#[test]
fn config_relevels_and_turns_off_rules() {
    let mut fixture = project(&[
        &product("    attribute :sku, :string\n", ""),
        &products_migration(""),
    ]);
    fixture.push_str("\n//- /.ecto-ash-lsp.toml\n[rules]\nmissing-column = \"warning\"\nnon-idempotent-statement = \"off\"\n");
    let ix = index(&fixture);
    let f = ix
        .findings
        .iter()
        .find(|f| f.code() == "missing-column")
        .expect("still reported");
    assert_eq!(f.severity, ecto_ash_lsp::checks::Severity::Warning);
    assert!(ix.of("non-idempotent-statement").is_empty());
}

// repos with another adapter

#[test]
fn migrations_of_a_non_postgres_repo_are_not_modelled_or_judged() {
    let ix = index(&project(&[
        &baseline(),
        r#"
//- /lib/shop/events_repo.ex
defmodule Shop.EventsRepo do
  use Ecto.Repo, otp_app: :shop, adapter: Ecto.Adapters.ClickHouse
end
//- /priv/events_repo/migrations/20240101000000_create_events.exs
defmodule Shop.EventsRepo.Migrations.CreateEvents do
  use Ecto.Migration
  def change do
    create table(:events, engine: "MergeTree") do
      add :name, :string
    end
  end
end
"#,
    ]));
    let tables: Vec<String> = ix
        .analysis
        .models
        .iter()
        .flat_map(|m| m.tables.keys().cloned())
        .collect();
    assert_eq!(tables, ["public.products"]);
    let in_events: Vec<_> = ix
        .findings
        .iter()
        .filter(|f| f.file.starts_with("priv/events_repo"))
        .map(|f| f.message.clone())
        .collect();
    assert!(in_events.is_empty(), "{in_events:#?}");
    // The Postgres repo's migrations are still judged.
    assert_eq!(ix.of("non-idempotent-statement").len(), 1);
}
