//! `schema --format json` on `tests/fixtures/forms`, the Mix project whose
//! migrations use every Ecto migration and raw-SQL form across two repos and
//! tenant migrations. The snapshots are reviewed against the fixture's
//! `EXPECTED.md`; the assertions pin the cases that are easy to get wrong.

mod support;

use ecto_ash_lsp::cli::{json, Report};
use ecto_ash_lsp::model::fold::{FoldedTable, RelationKind, RepoModel};
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::OnceLock;

fn report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        Report::build(&support::repo_path("tests/fixtures/forms"))
            .unwrap_or_else(|e| panic!("the forms fixture loads: {e}"))
    })
}

fn schema_json(report: &Report) -> String {
    let mut out = Vec::new();
    json::write_schema(&mut out, report).unwrap_or_else(|e| panic!("schema JSON: {e}"));
    String::from_utf8(out).unwrap_or_else(|e| panic!("schema JSON is UTF-8: {e}"))
}

fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::from_str(&schema_json(report()))
            .unwrap_or_else(|e| panic!("schema JSON parses: {e}"))
    })
}

/// The table named `qualified` in the schema JSON.
fn table<'v>(schema: &'v Value, qualified: &str) -> &'v Value {
    tables(schema)
        .iter()
        .find(|t| t["name"] == qualified)
        .unwrap_or_else(|| panic!("no table {qualified}"))
}

fn tables(schema: &Value) -> &[Value] {
    schema["tables"].as_array().map_or(&[], Vec::as_slice)
}

fn entries<'v>(table: &'v Value, list: &str) -> &'v [Value] {
    table[list].as_array().map_or(&[], Vec::as_slice)
}

/// `name type null|not null [pk] [default]` of one column.
fn column(table: &Value, name: &str) -> String {
    let c = entries(table, "columns")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no column {name} in {}", table["name"]));
    let mut out = format!(
        "{name} {} {}",
        c["type"].as_str().unwrap_or("?"),
        if c["null"] == true {
            "null"
        } else {
            "not null"
        }
    );
    if c["primary_key"] == true {
        out.push_str(" pk");
    }
    if let Some(d) = c["default"].as_str() {
        write!(out, " default {d}").unwrap_or_default();
    }
    out
}

fn names(table: &Value, list: &str) -> Vec<String> {
    entries(table, list)
        .iter()
        .filter_map(|e| e["name"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn schema_json_snapshot() {
    insta::assert_snapshot!("forms_schema_json", schema_json(report()));
}

/// What the schema JSON leaves out, one line per fact: referential actions,
/// exclusion constraints, access methods, conditional indexes, guarded
/// creations, partial relations. Reviewed against EXPECTED.md too.
#[test]
fn model_details_snapshot() {
    let mut out = String::new();
    let mut models: Vec<&RepoModel> = report().analysis.models.iter().map(|m| &**m).collect();
    models.sort_by(|a, b| a.key.cmp(&b.key));
    for m in models {
        let repo = m.repo_module.as_deref().unwrap_or("?");
        let tenant = if m.key.tenant { " (tenant)" } else { "" };
        writeln!(out, "# {repo} {}{tenant}", m.key.repo_dir).unwrap_or_default();
        for t in m.tables.values() {
            details(&mut out, t);
        }
    }
    insta::assert_snapshot!("forms_model_details", out);
}

fn details(out: &mut String, t: &FoldedTable) {
    let kind = match t.kind {
        RelationKind::Table => "table",
        RelationKind::View => "view",
        RelationKind::MaterializedView => "materialized view",
    };
    let mut flags = Vec::new();
    if t.created_guarded {
        flags.push("guarded");
    }
    if t.partial {
        flags.push("partial");
    }
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!(" [{}]", flags.join(", "))
    };
    writeln!(out, "{kind} {}{flags}", t.qualified()).unwrap_or_default();
    for f in &t.foreign_keys {
        writeln!(
            out,
            "  fk {} ({}) -> {}({}) on delete {} on update {}",
            f.name,
            f.columns.join(", "),
            f.references,
            f.referenced_columns.join(", "),
            f.on_delete.as_deref().unwrap_or("no action"),
            f.on_update.as_deref().unwrap_or("no action"),
        )
        .unwrap_or_default();
    }
    for i in &t.indexes {
        let mut extra = Vec::new();
        if let Some(u) = &i.using {
            extra.push(format!("using {u}"));
        }
        if i.constraint {
            extra.push("constraint".into());
        }
        if i.conditional {
            extra.push("conditional".into());
        }
        if !extra.is_empty() {
            writeln!(out, "  index {} {}", i.name, extra.join(", ")).unwrap_or_default();
        }
    }
    for x in &t.exclusions {
        writeln!(
            out,
            "  exclude {} {}",
            x.name,
            x.expression.as_deref().unwrap_or("?")
        )
        .unwrap_or_default();
    }
}

#[test]
fn foreign_key_names_follow_ecto_and_postgres() {
    let s = schema();
    // `references` inside `alter … add_if_not_exists`: `<table>_<column>_fkey`.
    assert!(names(table(s, "public.users"), "foreign_keys")
        .contains(&"users_invited_by_id_fkey".to_string()));
    // `name:` wins; the names made under `tasks` survive the table rename.
    assert_eq!(
        names(table(s, "public.todo_items"), "foreign_keys"),
        ["tasks_project_uid_fkey", "tasks_assignee_fk"]
    );
    // Postgres names an inline `REFERENCES` after the table as it was then.
    let attempts = table(s, "public.webhook_attempts");
    assert_eq!(
        names(attempts, "foreign_keys"),
        ["webhook_deliveries_endpoint_id_fkey"]
    );
    assert_eq!(
        entries(attempts, "foreign_keys")[0]["referenced_columns"],
        serde_json::json!(["id"])
    );
    // The FK of a `table(…, prefix: p)` points into `p` unless it says `prefix:`.
    let fk_target = |t: &str| entries(table(s, t), "foreign_keys")[0]["references"].clone();
    assert_eq!(fk_target("billing.invoice_lines"), "billing.invoices");
    assert_eq!(fk_target("billing.invoices"), "public.accounts");
}

#[test]
fn default_index_names() {
    let s = schema();
    assert_eq!(
        names(table(s, "public.users"), "indexes"),
        ["users_account_id_email_index", "users_last_seen_at_index"]
    );
    assert_eq!(
        names(table(s, "public.webhook_endpoints"), "indexes"),
        [
            "webhook_endpoints_account_id_url_key",
            "webhook_endpoints_account_id_index",
            "webhook_endpoints_signing_secret_index"
        ]
    );
    // `create_if_not_exists` matches by name: the earlier definition stays.
    let projects = table(s, "public.projects");
    assert_eq!(names(projects, "indexes"), ["projects_account_id_index"]);
    assert_eq!(
        entries(projects, "indexes")[0]["columns"],
        serde_json::json!(["account_id"])
    );
    // Dropped by an unqualified raw `DROP INDEX`: looked up in `public`.
    assert!(!names(table(s, "public.todo_items"), "indexes")
        .contains(&"tasks_labels_index".to_string()));
}

#[test]
fn types_are_shown_in_postgres_names() {
    let s = schema();
    assert_eq!(
        column(table(s, "public.feature_flags"), "rollout"),
        "rollout float8 null"
    );
    assert_eq!(
        column(table(s, "public.users"), "balance"),
        "balance numeric(14,4) null default 0"
    );
    assert_eq!(
        column(table(s, "public.projects"), "budget"),
        "budget numeric null"
    );
    assert_eq!(
        column(table(s, "public.accounts"), "plan"),
        "plan varchar(32) not null default 'free'"
    );
    assert_eq!(
        column(table(s, "public.accounts"), "id"),
        "id bigserial not null pk"
    );
}

#[test]
fn statements_in_private_helpers_land() {
    let payments = table(schema(), "billing.payments");
    assert_eq!(
        column(payments, "id"),
        "id uuid not null pk default gen_random_uuid()"
    );
    assert_eq!(
        names(payments, "indexes"),
        [
            "payments_invoice_id_index",
            "payments_automatic_paid_at_index"
        ]
    );
}

#[test]
fn tenant_tables_live_in_the_tenant_schema() {
    let s = schema();
    let tenant_tables: Vec<&str> = tables(s)
        .iter()
        .filter(|t| t["tenant"] == true)
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        tenant_tables,
        ["<tenant>.document_versions", "<tenant>.documents"]
    );
    let versions = table(s, "<tenant>.document_versions");
    assert_eq!(
        entries(versions, "foreign_keys")[0]["references"],
        "<tenant>.documents"
    );
    let documents = table(s, "<tenant>.documents");
    let targets: Vec<&Value> = entries(documents, "foreign_keys")
        .iter()
        .map(|f| &f["references"])
        .collect();
    assert_eq!(targets, ["public.users", "public.projects"]);
    // `#{prefix()}` in raw SQL is not guessed: that index is left out.
    assert_eq!(names(documents, "indexes"), ["documents_author_id_index"]);
    assert!(tables(s)
        .iter()
        .all(|t| t["tenant"] == true || !t["name"].as_str().unwrap_or("").starts_with('<')));
}

#[test]
fn analytics_tables_are_keyed_by_uuid() {
    let s = schema();
    for t in ["public.sources", "public.dashboards"] {
        let t = table(s, t);
        assert_eq!(t["repo"], "Forms.AnalyticsRepo");
        assert_eq!(column(t, "id"), "id uuid not null pk");
    }
    // `references` without `type:` take `migration_primary_key`'s type.
    assert_eq!(
        column(table(s, "public.events"), "source_id"),
        "source_id uuid not null"
    );
    assert_eq!(
        column(table(s, "public.dashboards"), "source_id"),
        "source_id uuid null"
    );
    // The main repo has no such config.
    assert_eq!(
        column(table(s, "public.projects"), "account_id"),
        "account_id bigint not null"
    );
}

#[test]
fn hidden_drift_leaves_the_skipped_columns_out() {
    let indexed = support::index(
        r#"
        //- /mix.exs
        defmodule Shop.MixProject do
          use Mix.Project
        end
        //- /priv/repo/migrations/20240101000000_create_orders.exs
        defmodule Shop.Repo.Migrations.CreateOrders do
          use Ecto.Migration

          def change do
            create_if_not_exists table(:orders) do
              add :number, :string, null: false
            end
          end
        end
        //- /priv/repo/migrations/20240301000000_orders_with_totals.exs
        defmodule Shop.Repo.Migrations.OrdersWithTotals do
          use Ecto.Migration

          def change do
            create_if_not_exists table(:orders) do
              add :number, :string, null: false
              add :total_cents, :bigint, null: false, default: 0
            end
          end
        end
        "#,
    );
    let report = Report {
        workspace: indexed.ws,
        analysis: indexed.analysis,
        findings: indexed.findings,
        elapsed: std::time::Duration::ZERO,
    };
    let s: Value = serde_json::from_str(&schema_json(&report))
        .unwrap_or_else(|e| panic!("schema JSON parses: {e}"));
    let orders = table(&s, "public.orders");
    assert_eq!(names(orders, "columns"), ["id", "number"]);
    let drift: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.code() == "hidden-drift")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(drift[0].contains("total_cents"), "{drift:?}");
}
