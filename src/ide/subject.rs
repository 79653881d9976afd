//! What the cursor is on: a resource, its table, one of its attributes, a
//! table named in a migration, or an entry of a resource snapshot. Every
//! editor feature starts here.

use super::{covers, Snapshot};
use crate::model::analysis::LinkedResource;
use crate::model::facts::{AttributeFacts, AttributeOrigin, MigrationOp, OpKind, Span, TableName};
use crate::model::workspace::FileRole;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject<'s> {
    /// The module name or `postgres` block of a resource (or Ecto schema).
    Resource {
        resource: &'s LinkedResource,
        span: Span,
    },
    /// The `table "…"` (or `schema "…"`) literal of a resource.
    ResourceTable {
        resource: &'s LinkedResource,
        span: Span,
    },
    Attribute {
        resource: &'s LinkedResource,
        attribute: &'s AttributeFacts,
    },
    /// A table named by a migration statement, in the model of that migration.
    MigrationTable {
        model: usize,
        /// Schema-qualified.
        table: String,
        span: Span,
    },
    /// A resource snapshot file (`priv/resource_snapshots/…/*.json`), or one
    /// attribute entry of it.
    SnapshotEntry {
        /// The table the snapshot is of, as written (`users`).
        table: String,
        schema: Option<String>,
        /// The `source` column of the attribute entry under the cursor.
        column: Option<String>,
        span: Span,
    },
}

impl Subject<'_> {
    /// The range the subject covers in its file (what a hover highlights).
    pub fn span(&self) -> Span {
        match self {
            Subject::Resource { span, .. }
            | Subject::ResourceTable { span, .. }
            | Subject::MigrationTable { span, .. }
            | Subject::SnapshotEntry { span, .. } => span.clone(),
            Subject::Attribute { attribute, .. } => attribute.span.clone(),
        }
    }
}

/// What is at byte `offset` of workspace file `file`.
pub fn at<'s>(snap: &'s Snapshot, file: &str, offset: usize) -> Option<Subject<'s>> {
    let source = snap.file(file)?;
    match &source.role {
        FileRole::Migration { .. } => migration_table_at(snap, file, offset),
        FileRole::Snapshot { .. } => snapshot_entry_at(&source.text, offset),
        FileRole::Elixir { .. } => resource_subject_at(snap, file, offset),
        FileRole::GitIgnore { .. } => None,
    }
}

fn resource_subject_at<'s>(snap: &'s Snapshot, file: &str, offset: usize) -> Option<Subject<'s>> {
    let in_file = snap.analysis.resources.iter().filter(|r| r.file == file);
    let mut best: Option<(usize, Subject<'s>)> = None;
    let mut consider = |size: usize, subject: Subject<'s>| {
        if best.as_ref().is_none_or(|(b, _)| size < *b) {
            best = Some((size, subject));
        }
    };
    for resource in in_file {
        let facts = &resource.facts;
        for attribute in &facts.attributes {
            // Inherited declarations all point at the `use` line: that line
            // is about the resource, not one attribute.
            if attribute.origin == AttributeOrigin::Base || !covers(&attribute.span, offset) {
                continue;
            }
            consider(
                attribute.span.len(),
                Subject::Attribute {
                    resource,
                    attribute,
                },
            );
        }
        for span in [&facts.table, &facts.schema]
            .into_iter()
            .flatten()
            .map(|v| v.span())
        {
            if covers(span, offset) {
                consider(
                    span.len(),
                    Subject::ResourceTable {
                        resource,
                        span: span.clone(),
                    },
                );
            }
        }
        for span in std::iter::once(&facts.module_span).chain(facts.postgres_span.as_ref()) {
            if covers(span, offset) {
                consider(
                    span.len(),
                    Subject::Resource {
                        resource,
                        span: span.clone(),
                    },
                );
            }
        }
    }
    best.map(|(_, subject)| subject)
}

/// Every table name a statement writes, with the first one its main table.
pub fn op_tables(op: &MigrationOp) -> Vec<&TableName> {
    match &op.kind {
        OpKind::CreateTable {
            table,
            columns,
            constraints,
            ..
        } => {
            let mut out = vec![table];
            out.extend(
                columns
                    .iter()
                    .filter_map(|c| c.references.as_ref().map(|r| &r.table)),
            );
            out.extend(constraints.iter().filter_map(|(_, k)| match k {
                crate::model::facts::ConstraintKind::ForeignKey { references, .. } => {
                    Some(&references.table)
                }
                _ => None,
            }));
            out
        }
        OpKind::CreateView { table, .. }
        | OpKind::DropTable { table, .. }
        | OpKind::DropView { table, .. }
        | OpKind::RemoveColumn { table, .. }
        | OpKind::RenameColumn { table, .. }
        | OpKind::DropConstraint { table, .. }
        | OpKind::RenameConstraint { table, .. } => vec![table],
        OpKind::RenameTable { from, to } => vec![from, to],
        OpKind::AddColumn { table, column, .. } => {
            let mut out = vec![table];
            out.extend(column.references.as_ref().map(|r| &r.table));
            out
        }
        OpKind::ModifyColumn {
            table, references, ..
        } => {
            let mut out = vec![table];
            out.extend(references.as_ref().map(|r| &r.table));
            out
        }
        OpKind::CreateIndex { index, .. } => vec![&index.table],
        OpKind::DropIndex { table, .. } => table.iter().collect(),
        OpKind::CreateConstraint { table, kind, .. } => {
            let mut out = vec![table];
            if let crate::model::facts::ConstraintKind::ForeignKey { references, .. } = kind {
                out.push(&references.table);
            }
            out
        }
        OpKind::OtherDdl { .. } | OpKind::RenameIndex { .. } => Vec::new(),
    }
}

/// The index of the model a migration file is folded into.
pub fn model_of_migration(snap: &Snapshot, file: &str) -> Option<usize> {
    snap.analysis
        .models
        .iter()
        .position(|m| m.migrations.iter().any(|f| f == file))
}

/// `schema.name` of a table name written in a migration of `model`.
pub fn qualify(snap: &Snapshot, model: usize, table: &TableName) -> String {
    let default = snap
        .analysis
        .models
        .get(model)
        .map(|m| m.default_schema.as_str())
        .unwrap_or("public");
    format!(
        "{}.{}",
        table.schema.as_deref().unwrap_or(default),
        table.name
    )
}

fn migration_table_at<'s>(snap: &'s Snapshot, file: &str, offset: usize) -> Option<Subject<'s>> {
    let facts = snap.file(file)?.migration()?;
    let model = model_of_migration(snap, file)?;
    // A table name under the cursor wins; otherwise the innermost statement
    // around it stands for its main table.
    let named = facts
        .ops
        .iter()
        .flat_map(op_tables)
        .filter(|t| covers(&t.span, offset) && !t.span.is_empty())
        .min_by_key(|t| t.span.len());
    if let Some(t) = named {
        return Some(Subject::MigrationTable {
            model,
            table: qualify(snap, model, t),
            span: t.span.clone(),
        });
    }
    let op = facts
        .ops
        .iter()
        .filter(|op| covers(&op.span, offset))
        .min_by_key(|op| op.span.len())?;
    let main = op_tables(op).into_iter().next()?;
    Some(Subject::MigrationTable {
        model,
        table: qualify(snap, model, main),
        span: main.span.clone(),
    })
}

/// The snapshot's table, and the attribute entry (`{… "source": "email" …}`)
/// around `offset` when there is one. A file that is not a JSON object
/// with a `table` gives nothing.
fn snapshot_entry_at(text: &str, offset: usize) -> Option<Subject<'static>> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let table = value.get("table")?.as_str()?.to_string();
    let schema = value
        .get("schema")
        .and_then(|s| s.as_str())
        .map(str::to_string);
    let (column, span) = match innermost_object(text, offset) {
        Some(object) if object.start > 0 => {
            let column = text
                .get(object.clone())
                .and_then(|o| serde_json::from_str::<serde_json::Value>(o).ok())
                .and_then(|o| o.get("source").and_then(|s| s.as_str()).map(str::to_string));
            match column {
                Some(c) => (Some(c), object),
                None => (None, 0..text.len()),
            }
        }
        _ => (None, 0..text.len()),
    };
    Some(Subject::SnapshotEntry {
        table,
        schema,
        column,
        span,
    })
}

/// Byte range of the innermost JSON object (`{…}`) around `offset`, read
/// with strings and escapes skipped.
fn innermost_object(text: &str, offset: usize) -> Option<Span> {
    let mut open: Vec<usize> = Vec::new();
    let mut best: Option<Span> = None;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' => open.push(i),
            b'}' => {
                if let Some(start) = open.pop() {
                    let span = start..i + 1;
                    let inner = best.as_ref().is_none_or(|b| span.len() < b.len());
                    if start <= offset && offset < i + 1 && inner {
                        best = Some(span);
                    }
                }
            }
            _ => {}
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::accounts_at;

    #[test]
    fn finds_what_the_cursor_is_on() {
        let (snap, file, offset) = accounts_at("lib/shop/accounts/user.ex", "email, :string");
        match at(&snap, &file, offset) {
            Some(Subject::Attribute { attribute, .. }) => assert_eq!(attribute.name, "email"),
            other => panic!("expected the email attribute, got {other:?}"),
        }
        let (snap, file, offset) = accounts_at("lib/shop/accounts/user.ex", "users\"");
        assert!(matches!(
            at(&snap, &file, offset),
            Some(Subject::ResourceTable { .. })
        ));
        let (snap, file, offset) = accounts_at("lib/shop/accounts/user.ex", "Accounts.User do");
        assert!(matches!(
            at(&snap, &file, offset),
            Some(Subject::Resource { .. })
        ));
        let (snap, file, offset) = accounts_at(
            "priv/repo/migrations/20240202000000_add_nickname.exs",
            "users)",
        );
        match at(&snap, &file, offset) {
            Some(Subject::MigrationTable { table, .. }) => assert_eq!(table, "public.users"),
            other => panic!("expected the users table, got {other:?}"),
        }
        // Inside a statement but off the name: the statement's table.
        let (snap, file, offset) = accounts_at(
            "priv/repo/migrations/20240202000000_add_nickname.exs",
            "legacy_code",
        );
        assert!(matches!(
            at(&snap, &file, offset),
            Some(Subject::MigrationTable { .. })
        ));
        // Between declarations: nothing.
        let (snap, file, offset) = accounts_at("lib/shop/accounts/user.ex", "\n  attributes do");
        assert_eq!(at(&snap, &file, offset), None);
    }

    #[test]
    fn snapshot_entries() {
        let text = r#"{
  "attributes": [
    {"allow_nil?": false, "source": "id", "type": "uuid", "default": "fragment(\"{}\")"},
    {"allow_nil?": true, "source": "email", "type": "text"}
  ],
  "table": "users",
  "schema": null
}"#;
        let at_email = text.find("\"text\"").unwrap_or_default();
        match snapshot_entry_at(text, at_email) {
            Some(Subject::SnapshotEntry { table, column, .. }) => {
                assert_eq!(table, "users");
                assert_eq!(column.as_deref(), Some("email"));
            }
            other => panic!("{other:?}"),
        }
        let at_table = text.find("\"users\"").unwrap_or_default();
        assert!(matches!(
            snapshot_entry_at(text, at_table),
            Some(Subject::SnapshotEntry { column: None, .. })
        ));
        assert_eq!(snapshot_entry_at("{not json", 3), None);
        assert_eq!(snapshot_entry_at("[1, 2]", 1), None);
        assert_eq!(innermost_object("\"{\" {\"a\": \"}\"}", 6), Some(4..14));
    }
}
