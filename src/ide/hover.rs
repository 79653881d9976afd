//! Hover: what a resource, its table or an attribute stands for in the
//! database the migrations build, and how a table named in a migration looks
//! after that migration and after all of them. Markdown.

use super::subject::{self, Subject};
use super::Snapshot;
use crate::checks::Finding;
use crate::model::analysis::LinkedResource;
use crate::model::ecto_sql::{self, RenderSettings};
use crate::model::facts::{AttributeFacts, Span};
use crate::model::fold::{fold_model_through, FoldedColumn, FoldedTable, RelationKind};
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    /// What the hover is about, in the hovered file.
    pub span: Span,
    pub markdown: String,
}

/// The hover at byte `offset` of `file`; on a migration statement it ends
/// with the SQL the statement sends.
pub fn hover(snap: &Snapshot, file: &str, offset: usize) -> Option<Hover> {
    let sql = statement_sql(snap, file, offset);
    let Some(subject) = subject::at(snap, file, offset) else {
        let (span, markdown) = sql?;
        return Some(Hover { span, markdown });
    };
    let mut hover = subject_hover(snap, file, &subject)?;
    if let Some((_, markdown)) = sql {
        hover.markdown.push('\n');
        hover.markdown.push_str(&markdown);
    }
    Some(hover)
}

/// The statement of a migration at `offset` and its SQL as markdown.
fn statement_sql(snap: &Snapshot, file: &str, offset: usize) -> Option<(Span, String)> {
    let source = snap.file(file)?;
    let facts = source.migration()?;
    let settings = RenderSettings::of_file(&snap.workspace, &snap.analysis, file);
    let statement = ecto_sql::statement_at(&source.text, facts, offset, &settings)?;
    let in_down = facts
        .functions
        .iter()
        .any(|f| f.name == "down" && f.span.contains(&offset));
    let title = if in_down { "SQL on rollback" } else { "SQL" };
    let markdown = format!("**{title}**\n\n```sql\n{}```\n", statement.text());
    Some((statement.span, markdown))
}

fn subject_hover(snap: &Snapshot, file: &str, subject: &Subject) -> Option<Hover> {
    let span = subject.span();
    let markdown = match subject {
        Subject::Resource { resource, .. } | Subject::ResourceTable { resource, .. } => {
            resource_hover(snap, resource)
        }
        Subject::Attribute {
            resource,
            attribute,
        } => attribute_hover(snap, resource, attribute),
        Subject::MigrationTable { model, table, .. } => {
            migration_table_hover(snap, file, *model, table)
        }
        Subject::SnapshotEntry {
            table,
            schema,
            column,
            ..
        } => snapshot_hover(snap, file, table, schema.as_deref(), column.as_deref())?,
    };
    Some(Hover { span, markdown })
}

fn kind_name(r: &LinkedResource) -> &'static str {
    match r.facts.kind {
        crate::model::facts::ResourceKind::Ash => "Ash resource",
        crate::model::facts::ResourceKind::Ecto => "Ecto schema",
    }
}

fn resource_hover(snap: &Snapshot, r: &LinkedResource) -> String {
    let mut out = format!("**{}** ({})", r.facts.module, kind_name(r));
    match (&r.table, linked_table(snap, r)) {
        (Some(q), Some(table)) => {
            let _ = write!(out, " → table `{q}`\n\n");
            table_markdown(snap, table, &mut out);
        }
        (Some(q), None) => {
            let _ = writeln!(out, " → table `{q}`, which no migration creates");
        }
        (None, _) => out.push_str(": its table is not known statically\n"),
    }
    let findings: Vec<&Finding> = snap
        .findings
        .iter()
        .filter(|f| {
            f.resource.as_deref() == Some(r.facts.module.as_str())
                || (f.table.is_some() && f.table == r.table)
        })
        .collect();
    findings_markdown(snap, &findings, &mut out);
    out
}

fn attribute_hover(snap: &Snapshot, r: &LinkedResource, a: &AttributeFacts) -> String {
    let allow_nil = match a.allow_nil {
        Some(true) => "allow_nil? true",
        Some(false) => "allow_nil? false",
        None => "nullability not said",
    };
    let mut out = format!(
        "**{}** `{}` `{}` ({allow_nil}) of **{}**\n\n",
        attribute_word(a),
        a.name,
        a.written_type,
        r.facts.module
    );
    let table = linked_table(snap, r);
    match (table, &r.table) {
        (Some(table), Some(q)) => match table.column(&a.column) {
            Some(column) => {
                let _ = writeln!(out, "Column `{}` of `{q}`:\n", a.column);
                columns_header(&mut out);
                column_row(snap, column, &mut out);
            }
            None => {
                let _ = writeln!(out, "Table `{q}` has no column `{}`.", a.column);
            }
        },
        (None, Some(q)) => {
            let _ = writeln!(out, "No migration creates `{q}`.");
        }
        _ => {}
    }
    let findings: Vec<&Finding> = snap
        .findings
        .iter()
        .filter(|f| {
            (f.file == r.file
                && f.span.start < a.span.end
                && a.span.start < f.span.end.max(f.span.start + 1))
                || (f.resource.as_deref() == Some(r.facts.module.as_str())
                    && f.column.as_deref() == Some(a.column.as_str()))
        })
        .collect();
    findings_markdown(snap, &findings, &mut out);
    out
}

fn attribute_word(a: &AttributeFacts) -> &'static str {
    use crate::model::facts::AttributeOrigin::*;
    match a.origin {
        Attribute | Base => "attribute",
        PrimaryKey => "primary key",
        Timestamp => "timestamp",
        BelongsTo => "belongs_to key",
        Cloak => "encrypted attribute",
    }
}

fn migration_table_hover(snap: &Snapshot, file: &str, model: usize, q: &str) -> String {
    let Some(m) = snap.analysis.models.get(model) else {
        return format!("**`{q}`**\n");
    };
    let mut out = format!("**`{q}`**");
    if let Some(repo) = &m.repo_module {
        let _ = write!(out, " in {repo}");
    }
    out.push_str("\n\n");
    let resources: Vec<&LinkedResource> = snap.analysis.resources_on(model, q).collect();
    if resources.is_empty() {
        out.push_str("No resource or schema maps to it.\n\n");
    } else {
        out.push_str("Mapped by ");
        let names: Vec<String> = resources
            .iter()
            .map(|r| {
                format!(
                    "**{}** (`{}`)",
                    r.facts.module,
                    snap.place(&r.file, &r.facts.module_span)
                )
            })
            .collect();
        out.push_str(&names.join(", "));
        out.push_str("\n\n");
    }
    let repo = snap
        .analysis
        .repos
        .iter()
        .find(|r| Some(&r.module) == m.repo_module.as_ref());
    let config = repo.map(|r| r.config.clone()).unwrap_or_default();
    let here = fold_model_through(
        &snap.workspace,
        &m.key,
        &m.root,
        m.repo_module.clone(),
        &config,
        Some(file),
    );
    let name = file.rsplit('/').next().unwrap_or(file);
    match here.tables.get(q) {
        Some(t) => {
            let _ = writeln!(out, "After this migration (`{name}`):\n");
            table_markdown(snap, t, &mut out);
        }
        None => {
            let _ = writeln!(out, "After this migration (`{name}`) it does not exist.\n");
        }
    }
    match (here.tables.get(q), m.tables.get(q)) {
        (Some(a), Some(b)) if same_shape(a, b) => {
            out.push_str("\nLater migrations leave it as it is.\n");
        }
        (_, Some(b)) => {
            out.push_str("\nAfter all migrations:\n\n");
            table_markdown(snap, b, &mut out);
        }
        (Some(_), None) => {
            out.push_str("\nAfter all migrations it no longer exists (dropped or renamed).\n");
        }
        (None, None) => {}
    }
    out
}

fn same_shape(a: &FoldedTable, b: &FoldedTable) -> bool {
    a.columns.len() == b.columns.len()
        && a.columns.iter().zip(&b.columns).all(|(x, y)| {
            x.name == y.name && x.pg_type == y.pg_type && x.null == y.null && x.default == y.default
        })
        && a.indexes.len() == b.indexes.len()
}

fn snapshot_hover(
    snap: &Snapshot,
    file: &str,
    table: &str,
    schema: Option<&str>,
    column: Option<&str>,
) -> Option<String> {
    let root = snap.file(file)?.role.root().to_string();
    let resources: Vec<&LinkedResource> = snap
        .analysis
        .resources
        .iter()
        .filter(|r| {
            r.root == root
                && r.facts
                    .table
                    .as_ref()
                    .and_then(|t| t.value())
                    .map(String::as_str)
                    == Some(table)
                && match (schema, r.table.as_deref()) {
                    (Some(s), Some(q)) => q.starts_with(&format!("{s}.")),
                    _ => true,
                }
        })
        .collect();
    let mut out = format!("Resource snapshot of table `{table}`");
    if let Some(s) = schema {
        let _ = write!(out, " in schema `{s}`");
    }
    out.push_str("\n\n");
    if resources.is_empty() {
        out.push_str("No resource in this project maps to it.\n");
        return Some(out);
    }
    for r in resources {
        let _ = writeln!(
            out,
            "**{}** (`{}`)",
            r.facts.module,
            snap.place(&r.file, &r.facts.module_span)
        );
        if let Some(column) = column {
            match r.facts.attributes.iter().find(|a| a.column == column) {
                Some(a) => {
                    let _ = writeln!(
                        out,
                        "\n{} `{}` `{}` (`{}`)",
                        attribute_word(a),
                        a.name,
                        a.written_type,
                        snap.place(&r.file, &a.span)
                    );
                }
                None => {
                    let _ = writeln!(out, "\nhas no attribute stored in `{column}`");
                }
            }
        }
    }
    Some(out)
}

fn linked_table<'s>(snap: &'s Snapshot, r: &LinkedResource) -> Option<&'s FoldedTable> {
    snap.analysis.model_of(r)?.table(r.table.as_deref()?)
}

fn table_markdown(snap: &Snapshot, t: &FoldedTable, out: &mut String) {
    let kind = match t.kind {
        RelationKind::Table => "table",
        RelationKind::View => "view",
        RelationKind::MaterializedView => "materialized view",
    };
    match &t.created {
        Some(o) => {
            let _ = writeln!(
                out,
                "`{}` ({kind}) created at `{}`{}\n",
                t.qualified(),
                snap.place(&o.file, &o.span),
                if t.created_guarded { " (guarded)" } else { "" }
            );
        }
        None => {
            let _ = writeln!(
                out,
                "`{}` ({kind}): its creation could not be read; columns may be missing\n",
                t.qualified()
            );
        }
    }
    if t.columns.is_empty() {
        out.push_str("No known columns.\n");
    } else {
        columns_header(out);
        for c in &t.columns {
            column_row(snap, c, out);
        }
    }
    if !t.indexes.is_empty() {
        out.push_str("\nIndexes: ");
        let names: Vec<String> = t
            .indexes
            .iter()
            .map(|i| {
                format!(
                    "`{}`{} ({})",
                    i.name,
                    if i.unique { " unique" } else { "" },
                    i.columns.join(", ")
                )
            })
            .collect();
        out.push_str(&names.join(", "));
        out.push('\n');
    }
}

fn columns_header(out: &mut String) {
    out.push_str("| column | type | null | default | migration |\n|---|---|---|---|---|\n");
}

fn column_row(snap: &Snapshot, c: &FoldedColumn, out: &mut String) {
    let (word, origin) = match &c.changed {
        Some(o) => ("changed", o),
        None => ("made", &c.created),
    };
    let file = origin.file.rsplit('/').next().unwrap_or(&origin.file);
    let _ = writeln!(
        out,
        "| `{}`{} | `{}` | {} | {} | {word} `{file}:{}` |",
        c.name,
        if c.primary_key { " (pk)" } else { "" },
        c.pg_type.as_deref().unwrap_or("?"),
        if c.null { "null" } else { "not null" },
        c.default
            .as_deref()
            .map(|d| format!("`{}`", d.replace('|', "\\|")))
            .unwrap_or_default(),
        snap.line_of(&origin.file, origin.span.start)
    );
}

fn findings_markdown(snap: &Snapshot, findings: &[&Finding], out: &mut String) {
    if findings.is_empty() {
        return;
    }
    out.push_str("\n**Findings**\n\n");
    for f in findings {
        let _ = writeln!(
            out,
            "- {} `{}` at `{}`: {}",
            f.severity.as_str(),
            f.code(),
            snap.place(&f.file, &f.span),
            f.message
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::{accounts_at, load, ACCOUNTS};

    fn hover_at(file: &str, needle: &str) -> String {
        let (snap, file, offset) = accounts_at(file, needle);
        hover(&snap, &file, offset)
            .map(|h| h.markdown)
            .unwrap_or_default()
    }

    #[test]
    fn resource_hover_shows_the_table_and_its_findings() {
        let md = hover_at("lib/shop/accounts/user.ex", "Accounts.User do");
        assert!(
            md.starts_with("**Shop.Accounts.User** (Ash resource) → table `public.users`"),
            "{md}"
        );
        assert!(
            md.contains("created at `priv/repo/migrations/20240101000000_create_users.exs:5`"),
            "{md}"
        );
        assert!(md.contains("| `email` | `varchar(255)` | not null |  | made `20240101000000_create_users.exs:7` |"), "{md}");
        assert!(
            md.contains(
                "| `nickname` | `text` | null |  | made `20240202000000_add_nickname.exs:6` |"
            ),
            "{md}"
        );
        assert!(md.contains("`users_email_index` unique (email)"), "{md}");
        assert!(
            md.contains(
                "hint `extra-column` at `priv/repo/migrations/20240202000000_add_nickname.exs:7`"
            ),
            "{md}"
        );
    }

    #[test]
    fn attribute_hover_shows_its_column() {
        let md = hover_at("lib/shop/accounts/user.ex", "nickname, :string");
        assert!(
            md.starts_with(
                "**attribute** `nickname` `:string` (allow_nil? true) of **Shop.Accounts.User**"
            ),
            "{md}"
        );
        assert!(md.contains("Column `nickname` of `public.users`"), "{md}");
        assert!(md.contains("| `nickname` | `text` |"), "{md}");
    }

    #[test]
    fn migration_table_hover_compares_this_migration_with_all() {
        let md = hover_at(
            "priv/repo/migrations/20240101000000_create_users.exs",
            "users, primary_key",
        );
        assert!(md.starts_with("**`public.users`** in Shop.Repo"), "{md}");
        assert!(
            md.contains("Mapped by **Shop.Accounts.User** (`lib/shop/accounts/user.ex:1`)"),
            "{md}"
        );
        let (this, all) = md.split_once("After all migrations").unwrap_or((&md, ""));
        assert!(!this.contains("nickname"), "{md}");
        assert!(all.contains("nickname"), "{md}");
        let md = hover_at(
            "priv/repo/migrations/20240202000000_add_nickname.exs",
            "users)",
        );
        assert!(md.contains("Later migrations leave it as it is."), "{md}");
    }

    #[test]
    fn snapshot_entry_hover_names_the_resource_and_attribute() {
        let fixture = format!(
            "{ACCOUNTS}//- /priv/resource_snapshots/repo/users/20240101000000.json\n{}",
            r#"{
  "attributes": [
    {"allow_nil?": false, "default": "fragment(\"gen_random_uuid()\")", "primary_key?": true, "source": "id", "type": "uuid"},
    {"allow_nil?": false, "default": "nil", "primary_key?": false, "source": "$0email", "type": "text"}
  ],
  "base_filter": null,
  "repo": "Elixir.Shop.Repo",
  "schema": null,
  "table": "users"
}
"#
        );
        let (snap, cursor) = load(&fixture);
        let (file, offset) = cursor.unwrap_or_default();
        let md = hover(&snap, &file, offset)
            .map(|h| h.markdown)
            .unwrap_or_default();
        assert!(md.starts_with("Resource snapshot of table `users`"), "{md}");
        assert!(
            md.contains("**Shop.Accounts.User** (`lib/shop/accounts/user.ex:1`)"),
            "{md}"
        );
        assert!(
            md.contains("attribute `email` `:string` (`lib/shop/accounts/user.ex:11`)"),
            "{md}"
        );
    }

    #[test]
    fn a_migration_statement_shows_the_sql_it_sends() {
        let md = hover_at(
            "priv/repo/migrations/20240202000000_add_nickname.exs",
            "add :nickname",
        );
        assert!(
            md.ends_with(
                "**SQL**\n\n```sql\nALTER TABLE \"users\" ADD COLUMN \"nickname\" text;\n```\n"
            ),
            "{md}"
        );
        let md = hover_at(
            "priv/repo/migrations/20240101000000_create_users.exs",
            "create unique_index",
        );
        assert!(
            md.contains(
                "```sql\nCREATE UNIQUE INDEX \"users_email_index\" ON \"users\" (\"email\");\n```"
            ),
            "{md}"
        );
        // A statement naming no table still shows its SQL, and a rollback
        // shows the rollback's SQL.
        let (snap, cursor) = load(
            r#"
//- /mix.exs
defmodule Shop.MixProject do
end
//- /priv/repo/migrations/20240101000000_ext.exs
defmodule Shop.Repo.Migrations.Ext do
  use Ecto.Migration
  @ext "citext"
  def up, do: execute("CREATE EXTENSION IF NOT EXISTS #{@ext}")
  def down do
    $0execute "DROP EXTENSION IF EXISTS #{@ext}"
  end
end
"#,
        );
        let (file, offset) = cursor.unwrap_or_default();
        let h = hover(&snap, &file, offset).map(|h| h.markdown);
        assert_eq!(
            h.as_deref(),
            Some("**SQL on rollback**\n\n```sql\nDROP EXTENSION IF EXISTS citext;\n```\n")
        );
    }

    #[test]
    fn nothing_to_say_off_any_subject_and_on_bad_input() {
        assert_eq!(
            hover_at("lib/shop/accounts/user.ex", "\n  attributes do"),
            ""
        );
        let (snap, _) = load("//- /lib/a.ex\n\u{0}\u{1}defmodule ((( \n");
        for offset in 0..20 {
            assert_eq!(hover(&snap, "lib/a.ex", offset), None);
        }
        assert_eq!(hover(&snap, "lib/missing.ex", 0), None);
    }
}
