//! PostgreSQL judges "generate idempotent migration": for every resource of
//! a project, the generated migration is applied twice (a) on the database
//! the project's chain (and the migrations generated before it) built and
//! (b) on a copy of that database without the resource's table. Both runs
//! must succeed, the resource must show no drift afterwards, the catalog
//! must equal `schema --format json`, and `down/0` must succeed and leave
//! the catalog as it was before `up/0`.

use super::*;
use ecto_ash_lsp::ide::generate::{find_resource, generate, GenerateOptions};
use ecto_ash_lsp::ide::Snapshot;
use ecto_ash_lsp::model::analysis::Analysis;
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

/// A project copied to disk and indexed.
struct Project {
    dir: tempfile::TempDir,
    snap: Snapshot,
}

impl Project {
    fn new(prepare: &dyn Fn(&Path)) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        prepare(dir.path());
        let snap = load(dir.path());
        Project { dir, snap }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn reload(&mut self) {
        self.snap = load(self.dir.path());
    }

}

/// The drift findings about `module`.
fn drift_of(snap: &Snapshot, module: &str) -> Vec<String> {
    snap.findings
        .iter()
        .filter(|f| f.resource.as_deref() == Some(module) && DRIFT.contains(&f.code()))
        .map(|f| format!("{}: {}", f.code(), f.message))
        .collect()
}

fn load(dir: &Path) -> Snapshot {
    Snapshot::new(Workspace::load(dir).expect("the project loads"))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn demo(dir: &Path) {
    copy_tree(&support::repo_path("examples/demo"), dir);
}

fn rich(dir: &Path) {
    support::write_fixture(dir, RICH_PROJECT);
    support::write_fixture(dir, RICH_RESOURCES);
}

/// A fresh database with the tenant schema tenant migrations run in.
fn database() -> Option<Database> {
    let db = harness::database()?;
    db.run(&format!("CREATE SCHEMA {TENANT}"))
        .expect("the tenant schema");
    Some(db)
}

/// One direction of migration `rel`, statement by statement (tenant
/// migrations in the tenant schema); every statement must render.
fn run_file(db: &Database, ws: &Workspace, analysis: &Analysis, rel: &str, way: Way) -> Vec<Applied> {
    let file = ws.files.get(rel).unwrap_or_else(|| panic!("{rel} is indexed"));
    let facts = file
        .migration()
        .unwrap_or_else(|| panic!("{rel} is a migration"));
    let settings = RenderSettings::of_file(ws, analysis, rel);
    let search_path = if settings.tenant {
        format!("SET search_path TO {TENANT};\n")
    } else {
        String::new()
    };
    render(&file.text, facts, way, &settings)
        .into_iter()
        .map(|statement| {
            let outcome = statement.sql.as_ref().ok().map(|sqls| {
                let body: String = sqls.iter().map(|s| format!("{s};\n")).collect();
                db.run(&format!("{search_path}{body}"))
            });
            Applied {
                file: rel.to_string(),
                statement,
                outcome,
            }
        })
        .collect()
}

/// Every migration of every repo (tenant ones too), in version order.
fn run_chain(db: &Database, snap: &Snapshot) {
    for model in &snap.analysis.models {
        for rel in &model.migrations {
            assert_all_ran(&run_file(db, &snap.workspace, &snap.analysis, rel, Way::Up));
        }
    }
}

/// Every statement was rendered and ran without an error.
fn assert_rendered_and_ran(applied: &[Applied], what: &str, text: &str) {
    for a in applied {
        match (&a.statement.sql, &a.outcome) {
            (Err(why), _) => panic!("{what}: a statement is not rendered ({why}):\n{text}"),
            (Ok(sql), Some(Err(e))) => panic!("{what}: {sql:?} failed: {e}\n{text}"),
            _ => {}
        }
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

/// A copy of `project` whose migrations are only `keep`: what a database
/// that ran nothing else holds, as the model sees it.
fn alone(project: &Path, keep: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(project, dir.path());
    let snap = load(dir.path());
    for model in &snap.analysis.models {
        for rel in model.migrations.iter().filter(|r| *r != keep) {
            std::fs::remove_file(dir.path().join(rel)).expect("rm");
        }
    }
    dir
}

/// For every resource in dependency order: generate on the project as it
/// stands (with the migrations generated before), apply twice, and judge.
fn judge_generated_migrations(prepare: &dyn Fn(&Path)) -> usize {
    let Some(db) = database() else {
        return 0;
    };
    let mut project = Project::new(prepare);
    run_chain(&db, &project.snap);
    let mut judged = 0;
    for module in in_dependency_order(&project.snap) {
        let r = find_resource(&project.snap, &module).expect("the resource");
        let m = generate(&project.snap, r, &GenerateOptions::at(NOW)).expect("a migration");
        let (table, table_sql) = qualified(&project.snap, &module);
        let without_table = db.copy();
        let before = catalog(&db);
        let path = project.path().join(&m.path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
        std::fs::write(&path, &m.text).expect("write the migration");
        project.reload();
        let (ws, analysis) = (&project.snap.workspace, &project.snap.analysis);

        // (a) the database the chain built, twice.
        for run in ["first", "second"] {
            let applied = run_file(&db, ws, analysis, &m.path, Way::Up);
            assert_rendered_and_ran(&applied, &format!("{module} (a), {run} run"), &m.text);
        }
        assert_eq!(drift_of(&project.snap, &module), Vec::<String>::new(), "{module}:\n{}", m.text);
        let model_now = model(&schema_json(project.path()));
        let diff = differences(&catalog_in_model_terms(&db), &model_now, None);
        assert!(diff.is_empty(), "{module} (a):\n{}\n{}", diff.join("\n"), m.text);

        // down/0 undoes exactly what up/0 made; up/0 again to go on.
        let down = run_file(&db, ws, analysis, &m.path, Way::Down);
        assert_rendered_and_ran(&down, &format!("{module} down"), &m.text);
        assert_eq!(catalog(&db), before, "{module}: down/0 left\n{}", m.text);
        let again = run_file(&db, ws, analysis, &m.path, Way::Up);
        assert_rendered_and_ran(&again, &format!("{module} up after down"), &m.text);

        // (b) the same database without the resource's table, twice.
        without_table
            .run(&format!("DROP TABLE IF EXISTS {table_sql} CASCADE"))
            .expect("drop the table");
        for run in ["first", "second"] {
            let applied = run_file(&without_table, ws, analysis, &m.path, Way::Up);
            assert_rendered_and_ran(&applied, &format!("{module} (b), {run} run"), &m.text);
        }
        let only = alone(project.path(), &m.path);
        assert_eq!(
            drift_of(&load(only.path()), &module),
            Vec::<String>::new(),
            "{module} (b):\n{}",
            m.text
        );
        let diff = differences(
            &catalog_in_model_terms(&without_table),
            &model(&schema_json(only.path())),
            Some(&table),
        );
        assert!(diff.is_empty(), "{module} (b):\n{}\n{}", diff.join("\n"), m.text);
        let down = run_file(&without_table, ws, analysis, &m.path, Way::Down);
        assert_rendered_and_ran(&down, &format!("{module} (b) down"), &m.text);
        judged += 1;
    }
    judged
}

#[test]
fn every_demo_resource_migration_runs_twice_and_leaves_the_model() {
    let judged = judge_generated_migrations(&demo);
    assert!(judged == 0 || judged == 9, "{judged}");
}

#[test]
fn every_rich_project_resource_migration_runs_twice_and_leaves_the_model() {
    let judged = judge_generated_migrations(&rich);
    assert!(judged == 0 || judged == 5, "{judged}");
}
