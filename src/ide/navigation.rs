//! Go to definition and find references between resources and migrations:
//! a resource (or its `table`) leads to the migration that creates its table,
//! an attribute to the statement that adds its column, a table named in a
//! migration to the resources mapped to it; the references of a table are
//! every migration statement that touched it.

use super::subject::{self, Subject};
use super::{Snapshot, Target};
use crate::model::analysis::LinkedResource;
use crate::model::fold::{FoldedTable, RepoModel};

/// Where what is at `offset` of `file` is defined.
pub fn definition(snap: &Snapshot, file: &str, offset: usize) -> Vec<Target> {
    let Some(subject) = subject::at(snap, file, offset) else {
        return Vec::new();
    };
    match subject {
        Subject::Resource { resource, .. } | Subject::ResourceTable { resource, .. } => {
            linked_table(snap, resource)
                .and_then(creation)
                .into_iter()
                .collect()
        }
        Subject::Attribute {
            resource,
            attribute,
        } => linked_table(snap, resource)
            .and_then(|t| t.column(&attribute.column))
            .map(|c| Target::new(&c.created.file, c.created.span.clone()))
            .into_iter()
            .collect(),
        Subject::MigrationTable { model, table, .. } => snap
            .analysis
            .resources_on(model, &table)
            .map(resource_target)
            .collect(),
        Subject::SnapshotEntry { table, .. } => {
            let root = snap
                .file(file)
                .map(|f| f.role.root().to_string())
                .unwrap_or_default();
            snap.analysis
                .resources
                .iter()
                .filter(|r| {
                    r.root == root && r.facts.table.as_ref().and_then(|t| t.value()) == Some(&table)
                })
                .map(resource_target)
                .collect()
        }
    }
}

/// Every statement that touches the table at `offset` of `file`, in fold
/// order; with `include_declaration`, the `table` declarations of the
/// resources mapped to it first.
pub fn references(
    snap: &Snapshot,
    file: &str,
    offset: usize,
    include_declaration: bool,
) -> Vec<Target> {
    let Some((model, table)) = table_of_subject(snap, file, offset) else {
        return Vec::new();
    };
    let mut out: Vec<Target> = Vec::new();
    if include_declaration {
        out.extend(
            snap.analysis
                .resources_on(model, &table)
                .map(|r| match &r.facts.table {
                    Some(t) => Target::new(&r.file, t.span().clone()),
                    None => resource_target(r),
                }),
        );
    }
    if let Some(t) = snap
        .analysis
        .models
        .get(model)
        .and_then(|m| m.table(&table))
    {
        for origin in &t.touched {
            let target = Target::new(&origin.file, origin.span.clone());
            if !out.contains(&target) {
                out.push(target);
            }
        }
    }
    out
}

/// The model and qualified table a subject is about.
fn table_of_subject(snap: &Snapshot, file: &str, offset: usize) -> Option<(usize, String)> {
    match subject::at(snap, file, offset)? {
        Subject::Resource { resource, .. }
        | Subject::ResourceTable { resource, .. }
        | Subject::Attribute { resource, .. } => Some((resource.model?, resource.table.clone()?)),
        Subject::MigrationTable { model, table, .. } => Some((model, table)),
        Subject::SnapshotEntry { .. } => None,
    }
}

fn resource_target(r: &LinkedResource) -> Target {
    Target::new(&r.file, r.facts.module_span.clone())
}

fn linked_table<'s>(snap: &'s Snapshot, r: &LinkedResource) -> Option<&'s FoldedTable> {
    let model: &RepoModel = snap.analysis.model_of(r)?;
    model.table(r.table.as_deref()?)
}

/// The statement that created a table, or the first one seen touching it
/// when its creation could not be read.
fn creation(t: &FoldedTable) -> Option<Target> {
    t.created
        .as_ref()
        .or(t.touched.first())
        .map(|o| Target::new(&o.file, o.span.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::accounts_at;

    const CREATE: &str = "priv/repo/migrations/20240101000000_create_users.exs";
    const ALTER: &str = "priv/repo/migrations/20240202000000_add_nickname.exs";
    const USER: &str = "lib/shop/accounts/user.ex";

    fn shown(snap: &Snapshot, targets: &[Target]) -> Vec<String> {
        targets
            .iter()
            .map(|t| {
                let text = snap
                    .file(&t.file)
                    .and_then(|f| f.text.get(t.span.clone()))
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                format!("{}: {text}", snap.place(&t.file, &t.span))
            })
            .collect()
    }

    #[test]
    fn resource_and_table_lead_to_the_creating_migration() {
        for needle in ["Accounts.User do", "users\""] {
            let (snap, file, offset) = accounts_at(USER, needle);
            assert_eq!(
                shown(&snap, &definition(&snap, &file, offset)),
                [format!(
                    "{CREATE}:5: create table(:users, primary_key: false) do"
                )]
            );
        }
    }

    #[test]
    fn attribute_leads_to_the_statement_adding_its_column() {
        let (snap, file, offset) = accounts_at(USER, "nickname, :string");
        assert_eq!(
            shown(&snap, &definition(&snap, &file, offset)),
            [format!("{ALTER}:6: add :nickname, :text")]
        );
    }

    #[test]
    fn migration_table_leads_to_its_resources() {
        let (snap, file, offset) = accounts_at(ALTER, "users)");
        assert_eq!(
            shown(&snap, &definition(&snap, &file, offset)),
            [format!("{USER}:1: Shop.Accounts.User")]
        );
    }

    #[test]
    fn references_are_every_statement_touching_the_table() {
        let (snap, file, offset) = accounts_at(ALTER, "users)");
        assert_eq!(
            shown(&snap, &references(&snap, &file, offset, true)),
            [
                format!("{USER}:5: \"users\""),
                format!("{CREATE}:5: create table(:users, primary_key: false) do"),
                format!("{CREATE}:11: create unique_index(:users, [:email])"),
                format!("{ALTER}:6: add :nickname, :text"),
                format!("{ALTER}:7: add :legacy_code, :string"),
            ]
        );
        let (snap, file, offset) = accounts_at(USER, "\n  attributes do");
        assert!(references(&snap, &file, offset, true).is_empty());
    }
}
