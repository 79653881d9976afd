//! PostgreSQL judges "generate idempotent migration": for every resource of
//! a project, the generated migration is applied twice (a) on the database
//! the project's chain (and the migrations generated before it) built and
//! (b) on a copy of that database without the resource's table. Both runs
//! must succeed, the resource must show no drift afterwards, the catalog
//! must equal `schema --format json`, and `down/0` must succeed and leave
//! the catalog as it was before `up/0`.

use super::*;
use ecto_ash_lsp::cli::json::write_schema;
use ecto_ash_lsp::cli::Report;
use ecto_ash_lsp::ide::generate::{find_resource, generate, GenerateOptions};
use ecto_ash_lsp::ide::Snapshot;
use ecto_ash_lsp::model::ecto_sql::{render, RenderSettings, Way};
use std::collections::BTreeSet;

/// 2026-01-02 03:04:05 UTC.
const NOW: u64 = 1_767_323_045;

/// The schema tenant migrations run in (their `prefix()`).
const TENANT: &str = "tenant_one";

/// How the model names the schema of tenant tables.
const TENANT_IN_MODEL: &str = "<tenant>";

/// Drift a generated migration must leave behind for its resource.
const DRIFT: &[&str] = &[
    "missing-table",
    "missing-column",
    "primary-key-mismatch",
    "identity-without-unique-index",
    "belongs-to-without-foreign-key",
];

/// Resources over the tables of [`RICH_PROJECT`]: drift of several kinds
/// (a missing column, an identity without its index, a foreign key only
/// the resource knows), a new table in the non-default schema referencing
/// an old one, and `:context` tenants whose tables no migration makes yet.
const RICH_RESOURCES: &str = r#"
//- /lib/shop/billing/account.ex
defmodule Shop.Billing.Account do
  use Ash.Resource, domain: Shop.Billing, data_layer: AshPostgres.DataLayer

  postgres do
    table "accounts"
    schema "billing"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :name, :string, allow_nil?: false, public?: true
    attribute :balance, :decimal, public?: true
    attribute :tags, {:array, :string}, default: [], public?: true
    attribute :settings, :map, default: %{}, public?: true
    attribute :currency, :string, allow_nil?: false, default: "EUR", public?: true
    timestamps()
  end

  identities do
    identity :unique_name, [:name]
  end
end
//- /lib/shop/billing/payment.ex
defmodule Shop.Billing.Payment do
  use Ash.Resource, domain: Shop.Billing, data_layer: AshPostgres.DataLayer

  postgres do
    table "payments"
    schema "billing"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :reference, :string, allow_nil?: false, public?: true
    attribute :amount_cents, :integer, allow_nil?: false, public?: true
    attribute :received_at, :utc_datetime_usec, public?: true
  end

  relationships do
    belongs_to :account, Shop.Billing.Account, allow_nil?: false
  end

  identities do
    identity :unique_reference, [:account_id, :reference]
  end
end
//- /lib/shop/audit/entry.ex
defmodule Shop.Audit.Entry do
  use Ash.Resource, domain: Shop.Audit, data_layer: AshPostgres.DataLayer

  postgres do
    table "audit_entries"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :payload, :map, allow_nil?: false
    attribute :actor, :string
    timestamps()
  end

  relationships do
    belongs_to :payment, Shop.Billing.Payment
  end
end
//- /lib/shop/tenant/board.ex
defmodule Shop.Tenant.Board do
  use Ash.Resource, domain: Shop.Tenant, data_layer: AshPostgres.DataLayer

  postgres do
    table "boards"
    repo Shop.Repo
  end

  multitenancy do
    strategy :context
  end

  attributes do
    uuid_primary_key :id
    attribute :title, :string, allow_nil?: false
    create_timestamp :inserted_at
  end

  identities do
    identity :unique_title, [:title]
  end
end
//- /lib/shop/tenant/card.ex
defmodule Shop.Tenant.Card do
  use Ash.Resource, domain: Shop.Tenant, data_layer: AshPostgres.DataLayer

  postgres do
    table "cards"
    repo Shop.Repo
  end

  multitenancy do
    strategy :context
  end

  attributes do
    uuid_primary_key :id
    attribute :body, :string, allow_nil?: false
    attribute :position, :integer, allow_nil?: false, default: 0
  end

  relationships do
    belongs_to :board, Shop.Tenant.Board, allow_nil?: false
  end
end
"#;

/// The drift findings about `module`.
fn drift_of(snap: &Snapshot, module: &str) -> Vec<String> {
    snap.findings
        .iter()
        .filter(|f| f.resource.as_deref() == Some(module) && DRIFT.contains(&f.code()))
        .map(|f| format!("{}: {}", f.code(), f.message))
        .collect()
}

/// The demo, indexed from the repository (nothing is written to it).
fn demo() -> Snapshot {
    Snapshot::new(Workspace::load(&support::repo_path("examples/demo")).expect("the demo loads"))
}

/// [`RICH_PROJECT`] with resources over its tables, indexed in memory.
fn rich() -> Snapshot {
    let mut files = support::files(RICH_PROJECT);
    files.extend(support::files(RICH_RESOURCES));
    Snapshot::new(Workspace::from_memory(Path::new("/rich"), files).expect("the fixture loads"))
}

/// `ecto-ash-lsp schema --format json` of a snapshot, without a process.
fn schema_of(snap: &Snapshot) -> Value {
    let report = Report {
        workspace: (*snap.workspace).clone(),
        analysis: (*snap.analysis).clone(),
        findings: (*snap.findings).clone(),
        elapsed: std::time::Duration::ZERO,
    };
    let mut out = Vec::new();
    write_schema(&mut out, &report).expect("the schema is written");
    serde_json::from_slice(&out).expect("schema JSON")
}

/// `snap` with one file added.
fn with_file(snap: &Snapshot, rel: &str, text: &str) -> Snapshot {
    let mut next = snap.clone();
    assert!(
        next.workspace_mut()
            .set_text(rel, std::sync::Arc::from(text)),
        "{rel} is not a project file"
    );
    next.reanalyze();
    next
}

/// A fresh database with the tenant schema tenant migrations run in.
fn database() -> Option<Database> {
    let db = harness::database()?;
    db.run(&format!("CREATE SCHEMA {TENANT}"))
        .expect("the tenant schema");
    Some(db)
}

/// One direction of migrations `rels` as one psql script (tenant
/// migrations in the tenant schema); with `strict`, every statement must
/// render, else what cannot be rendered is left out (as `sql` says).
pub(super) fn run_files(
    db: &Database,
    snap: &Snapshot,
    rels: &[&str],
    way: Way,
    strict: bool,
) -> Result<(), String> {
    let (ws, analysis) = (&snap.workspace, &snap.analysis);
    let mut script = String::new();
    for rel in rels {
        let file = ws
            .files
            .get(*rel)
            .ok_or_else(|| format!("{rel} is not indexed"))?;
        let facts = file
            .migration()
            .ok_or_else(|| format!("{rel} is not a migration"))?;
        let settings = RenderSettings::of_file(ws, analysis, rel);
        let schema = if settings.tenant { TENANT } else { "public" };
        script.push_str(&format!("SET search_path TO {schema};\n"));
        for statement in render(&file.text, facts, way, &settings) {
            let sqls = match statement.sql {
                Ok(sqls) => sqls,
                Err(why) if strict => {
                    return Err(format!("{rel}: a statement is not rendered: {why}"))
                }
                Err(_) => continue,
            };
            for sql in sqls {
                script.push_str(&sql);
                script.push_str(";\n");
            }
        }
    }
    db.run(&script).map(|_| ()).map_err(|e| format!("{e}"))
}

/// Every migration of every repo (tenant ones too), in version order.
fn run_chain(db: &Database, snap: &Snapshot) {
    let rels: Vec<&str> = snap
        .analysis
        .models
        .iter()
        .flat_map(|m| m.migrations.iter().map(String::as_str))
        .collect();
    run_files(db, snap, &rels, Way::Up, false).unwrap_or_else(|e| panic!("the chain: {e}"));
}

/// Run `rel` one way, failing with the migration's text.
fn run_ok(db: &Database, snap: &Snapshot, rel: &str, way: Way, what: &str, text: &str) {
    if let Err(e) = run_files(db, snap, &[rel], way, true) {
        panic!("{what}: {e}\n{text}");
    }
}

/// The catalog, tenant tables under the model's name for their schema.
fn catalog_in_model_terms(db: &Database) -> BTreeMap<String, TableShape> {
    let tenant = format!("{TENANT}.");
    let rename = |name: &str| match name.strip_prefix(&tenant) {
        Some(rest) => format!("{TENANT_IN_MODEL}.{rest}"),
        None => name.to_string(),
    };
    catalog(db)
        .into_iter()
        .map(|(name, mut shape)| {
            for fk in shape.foreign_keys.values_mut() {
                fk.1 = rename(&fk.1);
            }
            (rename(&name), shape)
        })
        .collect()
}

/// Tables whose shape differs between the database and the model.
fn differences(
    catalog: &BTreeMap<String, TableShape>,
    model: &BTreeMap<String, TableShape>,
    only: Option<&str>,
) -> Vec<String> {
    let names: BTreeSet<&String> = catalog.keys().chain(model.keys()).collect();
    names
        .into_iter()
        .filter(|n| only.is_none_or(|o| o == n.as_str()))
        .filter_map(|name| match (catalog.get(name), model.get(name)) {
            (Some(c), Some(m)) if c == m => None,
            (c, m) => Some(format!("{name}:\n  database: {c:?}\n  model:    {m:?}")),
        })
        .collect()
}

/// Resources in an order where each comes after those it belongs to.
fn in_dependency_order(snap: &Snapshot) -> Vec<String> {
    let mut left: Vec<(String, Vec<String>)> = snap
        .analysis
        .resources
        .iter()
        .map(|r| {
            let to: Vec<String> = r
                .facts
                .belongs_to
                .iter()
                .map(|b| b.destination.clone())
                .filter(|d| *d != r.facts.module)
                .collect();
            (r.facts.module.clone(), to)
        })
        .collect();
    let mut out = Vec::new();
    while !left.is_empty() {
        let ready = left
            .iter()
            .position(|(_, to)| to.iter().all(|d| !left.iter().any(|(m, _)| m == d)))
            .unwrap_or(0);
        out.push(left.remove(ready).0);
    }
    out
}

/// `"schema"."table"` of a resource's table in the database.
fn qualified(snap: &Snapshot, module: &str) -> (String, String) {
    let r = snap.analysis.resource(module).expect("the resource");
    let table = r.table.clone().expect("a known table");
    let in_db = match table.strip_prefix(&format!("{TENANT_IN_MODEL}.")) {
        Some(rest) => format!("{TENANT}.{rest}"),
        None => table.clone(),
    };
    let sql = in_db
        .split('.')
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(".");
    (table, sql)
}

/// `snap` whose migrations are only `keep`: what a database that ran
/// nothing else holds, as the model sees it.
fn alone(snap: &Snapshot, keep: &str) -> Snapshot {
    let mut next = snap.clone();
    for model in &snap.analysis.models {
        for rel in model.migrations.iter().filter(|r| *r != keep) {
            next.workspace_mut().remove(rel);
        }
    }
    next.reanalyze();
    next
}

/// For every resource in dependency order: generate on the project as it
/// stands (with the migrations generated before), apply twice, and judge.
fn judge_generated_migrations(project: Snapshot) -> usize {
    let Some(db) = database() else {
        return 0;
    };
    let mut project = project;
    run_chain(&db, &project);
    let mut judged = 0;
    for module in in_dependency_order(&project) {
        let r = find_resource(&project, &module).expect("the resource");
        let m = generate(&project, r, &GenerateOptions::at(NOW)).expect("a migration");
        let (table, table_sql) = qualified(&project, &module);
        let without_table = db.copy();
        let before = catalog(&db);
        project = with_file(&project, &m.path, &m.text);
        let snap = &project;

        // (a) the database the chain built, twice.
        for run in ["first", "second"] {
            run_ok(
                &db,
                snap,
                &m.path,
                Way::Up,
                &format!("{module} (a), {run} run"),
                &m.text,
            );
        }
        assert_eq!(
            drift_of(snap, &module),
            Vec::<String>::new(),
            "{module}:\n{}",
            m.text
        );
        let model_now = model(&schema_of(snap));
        let diff = differences(&catalog_in_model_terms(&db), &model_now, None);
        assert!(
            diff.is_empty(),
            "{module} (a):\n{}\n{}",
            diff.join("\n"),
            m.text
        );

        // down/0 undoes exactly what up/0 made; up/0 again to go on.
        run_ok(
            &db,
            snap,
            &m.path,
            Way::Down,
            &format!("{module} down"),
            &m.text,
        );
        assert_eq!(catalog(&db), before, "{module}: down/0 left\n{}", m.text);
        run_ok(
            &db,
            snap,
            &m.path,
            Way::Up,
            &format!("{module} up after down"),
            &m.text,
        );

        // (b) the same database without the resource's table, twice.
        without_table
            .run(&format!("DROP TABLE IF EXISTS {table_sql} CASCADE"))
            .expect("drop the table");
        for run in ["first", "second"] {
            let what = format!("{module} (b), {run} run");
            run_ok(&without_table, snap, &m.path, Way::Up, &what, &m.text);
        }
        let only = alone(snap, &m.path);
        assert_eq!(
            drift_of(&only, &module),
            Vec::<String>::new(),
            "{module} (b):\n{}",
            m.text
        );
        let diff = differences(
            &catalog_in_model_terms(&without_table),
            &model(&schema_of(&only)),
            Some(&table),
        );
        assert!(
            diff.is_empty(),
            "{module} (b):\n{}\n{}",
            diff.join("\n"),
            m.text
        );
        run_ok(
            &without_table,
            snap,
            &m.path,
            Way::Down,
            &format!("{module} (b) down"),
            &m.text,
        );
        judged += 1;
    }
    judged
}

#[test]
fn every_demo_resource_migration_runs_twice_and_leaves_the_model() {
    let judged = judge_generated_migrations(demo());
    assert!(judged == 0 || judged == 9, "{judged}");
}

#[test]
fn every_rich_project_resource_migration_runs_twice_and_leaves_the_model() {
    let judged = judge_generated_migrations(rich());
    assert!(judged == 0 || judged == 5, "{judged}");
}
