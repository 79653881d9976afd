//! Symbols: the outline of a migration (its functions and their statements)
//! and of a resource (its table, attributes, identities, relationships), and
//! the workspace's resources and tables for a search by name.

use super::{Snapshot, Target};
use crate::model::facts::{MigrationOp, OpKind, Span, TableName};

/// What a symbol is, in this tool's terms; `lsp/` maps it to the protocol's kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Module,
    Function,
    Table,
    Column,
    Index,
    Constraint,
    /// Any other migration statement (a drop, a rename, other raw DDL).
    Statement,
    /// A resource's `postgres` block or Ecto `schema` block.
    DataLayer,
    Attribute,
    Identity,
    Relationship,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// Everything the symbol covers; contains `selection` and the children's spans.
    pub span: Span,
    /// The part to highlight when the symbol is picked.
    pub selection: Span,
    pub children: Vec<Symbol>,
}

impl Symbol {
    fn new(name: String, kind: SymbolKind, span: Span, selection: Span) -> Symbol {
        let selection = if span.start <= selection.start && selection.end <= span.end {
            selection
        } else {
            span.clone()
        };
        Symbol {
            name,
            detail: None,
            kind,
            span,
            selection,
            children: Vec::new(),
        }
    }

    fn detail(mut self, detail: impl Into<String>) -> Symbol {
        self.detail = Some(detail.into());
        self
    }

    /// Adopt children, growing the span to cover them.
    fn with_children(mut self, children: Vec<Symbol>) -> Symbol {
        for c in &children {
            self.span.start = self.span.start.min(c.span.start);
            self.span.end = self.span.end.max(c.span.end);
        }
        self.children = children;
        self
    }
}

/// The outline of one workspace file.
pub fn document_symbols(snap: &Snapshot, file: &str) -> Vec<Symbol> {
    let Some(source) = snap.file(file) else {
        return Vec::new();
    };
    if let Some(m) = source.migration() {
        let mut ops: Vec<&MigrationOp> = m.ops.iter().collect();
        ops.sort_by_key(|op| op.span.start);
        let mut functions: Vec<Symbol> = m
            .functions
            .iter()
            .map(|f| {
                let head = first_line(&source.text, &f.span);
                let children = ops
                    .iter()
                    .filter(|op| f.span.start <= op.span.start && op.span.end <= f.span.end)
                    .map(|op| op_symbol(op))
                    .collect();
                Symbol::new(
                    format!("def {}", f.name),
                    SymbolKind::Function,
                    f.span.clone(),
                    head,
                )
                .with_children(children)
            })
            .collect();
        // Statements outside any function (module-level code Ecto never runs
        // directly) still get listed.
        functions.extend(
            ops.iter()
                .filter(|op| {
                    !m.functions
                        .iter()
                        .any(|f| f.span.start <= op.span.start && op.span.end <= f.span.end)
                })
                .map(|op| op_symbol(op)),
        );
        return match (&m.module, &m.module_span) {
            (Some(name), Some(span)) => {
                vec![
                    Symbol::new(name.clone(), SymbolKind::Module, span.clone(), span.clone())
                        .detail("migration")
                        .with_children(functions),
                ]
            }
            _ => functions,
        };
    }
    let Some(e) = source.elixir() else {
        return Vec::new();
    };
    e.resources
        .iter()
        .map(|r| {
            let mut children = Vec::new();
            if let Some(span) = &r.postgres_span {
                let table = r
                    .table
                    .as_ref()
                    .and_then(|t| t.value())
                    .cloned()
                    .unwrap_or_else(|| "?".into());
                children.push(
                    Symbol::new(
                        format!("table {table}"),
                        SymbolKind::DataLayer,
                        span.clone(),
                        r.table
                            .as_ref()
                            .map(|t| t.span().clone())
                            .unwrap_or(span.clone()),
                    )
                    .detail(r.repo.clone().unwrap_or_default()),
                );
            }
            use crate::model::facts::AttributeOrigin::{Base, BelongsTo};
            for a in r
                .attributes
                .iter()
                .filter(|a| !matches!(a.origin, Base | BelongsTo))
            {
                children.push(
                    Symbol::new(
                        a.name.clone(),
                        SymbolKind::Attribute,
                        a.span.clone(),
                        a.name_span.clone(),
                    )
                    .detail(a.written_type.clone()),
                );
            }
            for i in &r.identities {
                children.push(
                    Symbol::new(
                        i.name.clone(),
                        SymbolKind::Identity,
                        i.span.clone(),
                        i.span.clone(),
                    )
                    .detail(format!("identity [{}]", i.keys.join(", "))),
                );
            }
            for b in &r.belongs_to {
                children.push(
                    Symbol::new(
                        b.name.clone(),
                        SymbolKind::Relationship,
                        b.span.clone(),
                        b.span.clone(),
                    )
                    .detail(format!("belongs_to {}", b.destination)),
                );
            }
            children.sort_by_key(|c| c.span.start);
            let kind = match r.kind {
                crate::model::facts::ResourceKind::Ash => "Ash resource",
                crate::model::facts::ResourceKind::Ecto => "Ecto schema",
            };
            Symbol::new(
                r.module.clone(),
                SymbolKind::Module,
                r.module_span.clone(),
                r.module_span.clone(),
            )
            .detail(kind)
            .with_children(children)
        })
        .collect()
}

/// The span's first line (what a picked function highlights).
fn first_line(text: &str, span: &Span) -> Span {
    let end = text
        .get(span.clone())
        .and_then(|s| s.find('\n'))
        .map(|i| span.start + i)
        .unwrap_or(span.end);
    span.start..end
}

fn table_name(t: &TableName) -> String {
    match &t.schema {
        Some(s) => format!("{s}.{}", t.name),
        None => t.name.clone(),
    }
}

fn op_symbol(op: &MigrationOp) -> Symbol {
    let guard = |g: bool| if g { " if not exists" } else { "" };
    let (name, kind, selection) = match &op.kind {
        OpKind::CreateTable {
            table,
            if_not_exists,
            columns,
            ..
        } => {
            let children = columns
                .iter()
                .filter(|c| !c.implicit)
                .map(|c| {
                    Symbol::new(
                        c.name.clone(),
                        SymbolKind::Column,
                        c.span.clone(),
                        c.name_span.clone(),
                    )
                    .detail(c.written_type.clone())
                })
                .collect();
            return Symbol::new(
                format!(
                    "create table{} {}",
                    guard(*if_not_exists),
                    table_name(table)
                ),
                SymbolKind::Table,
                op.span.clone(),
                table.span.clone(),
            )
            .with_children(children);
        }
        OpKind::CreateView {
            table,
            materialized,
            ..
        } => (
            format!(
                "create {}view {}",
                if *materialized { "materialized " } else { "" },
                table_name(table)
            ),
            SymbolKind::Table,
            table.span.clone(),
        ),
        OpKind::DropTable { table, .. } => (
            format!("drop table {}", table_name(table)),
            SymbolKind::Statement,
            table.span.clone(),
        ),
        OpKind::DropView { table, .. } => (
            format!("drop view {}", table_name(table)),
            SymbolKind::Statement,
            table.span.clone(),
        ),
        OpKind::RenameTable { from, to } => (
            format!("rename table {} to {}", table_name(from), table_name(to)),
            SymbolKind::Statement,
            from.span.clone(),
        ),
        OpKind::AddColumn {
            table,
            column,
            if_not_exists,
        } => (
            format!(
                "add{} {}.{}",
                guard(*if_not_exists),
                table_name(table),
                column.name
            ),
            SymbolKind::Column,
            column.name_span.clone(),
        ),
        OpKind::RemoveColumn {
            table,
            column,
            column_span,
            ..
        } => (
            format!("remove {}.{column}", table_name(table)),
            SymbolKind::Statement,
            column_span.clone(),
        ),
        OpKind::ModifyColumn {
            table,
            column,
            column_span,
            ..
        } => (
            format!("modify {}.{column}", table_name(table)),
            SymbolKind::Column,
            column_span.clone(),
        ),
        OpKind::RenameColumn { table, from, to } => (
            format!("rename {}.{from} to {to}", table_name(table)),
            SymbolKind::Statement,
            table.span.clone(),
        ),
        OpKind::CreateIndex {
            index,
            if_not_exists,
        } => (
            format!(
                "create {}index{} {}",
                if index.unique { "unique " } else { "" },
                guard(*if_not_exists),
                index.name
            ),
            SymbolKind::Index,
            index.table.span.clone(),
        ),
        OpKind::DropIndex { name, .. } => (
            format!("drop index {name}"),
            SymbolKind::Statement,
            op.verb_span.clone(),
        ),
        OpKind::CreateConstraint { table, name, .. } => (
            format!(
                "create constraint {} on {}",
                name.as_deref().unwrap_or("?"),
                table_name(table)
            ),
            SymbolKind::Constraint,
            table.span.clone(),
        ),
        OpKind::DropConstraint { table, name, .. } => (
            format!("drop constraint {name} on {}", table_name(table)),
            SymbolKind::Statement,
            table.span.clone(),
        ),
        OpKind::RenameIndex { from, to, .. } => (
            format!("rename index {from} to {to}"),
            SymbolKind::Statement,
            op.verb_span.clone(),
        ),
        OpKind::RenameConstraint { table, from, to } => (
            format!("rename constraint {from} to {to} on {}", table_name(table)),
            SymbolKind::Statement,
            table.span.clone(),
        ),
        OpKind::OtherDdl { what, .. } => (what.clone(), SymbolKind::Statement, op.span.clone()),
    };
    Symbol::new(name, kind, op.span.clone(), selection)
}

/// A resource or table found by a workspace-wide search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceSymbol {
    pub name: String,
    pub kind: SymbolKind,
    /// The table of a resource, the repo of a table.
    pub container: Option<String>,
    pub target: Target,
}

/// Resources and tables whose name contains the query's characters in
/// order (case-insensitive), resources first, at most `limit`.
pub fn workspace_symbols(snap: &Snapshot, query: &str, limit: usize) -> Vec<WorkspaceSymbol> {
    let mut out = Vec::new();
    for r in &snap.analysis.resources {
        if matches_query(&r.facts.module, query) {
            out.push(WorkspaceSymbol {
                name: r.facts.module.clone(),
                kind: SymbolKind::Module,
                container: r.table.clone(),
                target: Target::new(&r.file, r.facts.module_span.clone()),
            });
        }
    }
    for m in &snap.analysis.models {
        for (q, t) in &m.tables {
            if !matches_query(q, query) {
                continue;
            }
            let Some(origin) = t.created.as_ref().or(t.touched.first()) else {
                continue;
            };
            out.push(WorkspaceSymbol {
                name: q.clone(),
                kind: SymbolKind::Table,
                container: m
                    .repo_module
                    .clone()
                    .or_else(|| Some(m.key.repo_dir.clone())),
                target: Target::new(&origin.file, origin.span.clone()),
            });
        }
    }
    out.truncate(limit);
    out
}

fn matches_query(name: &str, query: &str) -> bool {
    let mut chars = name.chars().flat_map(char::to_lowercase);
    query
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace())
        .all(|q| chars.any(|c| c == q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::{load, ACCOUNTS};

    fn outline(symbols: &[Symbol], depth: usize, out: &mut Vec<String>) {
        for s in symbols {
            out.push(format!(
                "{}{:?} {}{}",
                "  ".repeat(depth),
                s.kind,
                s.name,
                s.detail
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ));
            assert!(s.span.start <= s.selection.start && s.selection.end <= s.span.end);
            for c in &s.children {
                assert!(s.span.start <= c.span.start && c.span.end <= s.span.end);
            }
            outline(&s.children, depth + 1, out);
        }
    }

    fn outline_of(file: &str) -> Vec<String> {
        let (snap, _) = load(ACCOUNTS);
        let mut out = Vec::new();
        outline(&document_symbols(&snap, file), 0, &mut out);
        out
    }

    #[test]
    fn migration_outline() {
        assert_eq!(
            outline_of("priv/repo/migrations/20240101000000_create_users.exs"),
            [
                "Module Shop.Repo.Migrations.CreateUsers (migration)",
                "  Function def change",
                "    Table create table users",
                "      Column id (:uuid)",
                "      Column email (:string)",
                "      Column team_id (:uuid)",
                "    Index create unique index users_email_index",
            ]
        );
        assert_eq!(
            outline_of("priv/repo/migrations/20240202000000_add_nickname.exs"),
            [
                "Module Shop.Repo.Migrations.AddNickname (migration)",
                "  Function def change",
                "    Column add users.nickname",
                "    Column add users.legacy_code",
            ]
        );
    }

    #[test]
    fn resource_outline() {
        assert_eq!(
            outline_of("lib/shop/accounts/user.ex"),
            [
                "Module Shop.Accounts.User (Ash resource)",
                "  DataLayer table users (Shop.Repo)",
                "  Attribute id (:uuid)",
                "  Attribute email (:string)",
                "  Attribute nickname (:string)",
                "  Identity unique_email (identity [email])",
                "  Relationship team (belongs_to Shop.Accounts.Team)",
            ]
        );
        assert!(outline_of("lib/missing.ex").is_empty());
    }

    #[test]
    fn workspace_search() {
        let (snap, _) = load(ACCOUNTS);
        let names: Vec<String> = workspace_symbols(&snap, "user", 10)
            .into_iter()
            .map(|s| format!("{:?} {} in {:?}", s.kind, s.name, s.container))
            .collect();
        assert_eq!(
            names,
            [
                "Module Shop.Accounts.User in Some(\"public.users\")",
                "Table public.users in Some(\"Shop.Repo\")",
            ]
        );
        assert_eq!(workspace_symbols(&snap, "", 1).len(), 1);
        assert!(workspace_symbols(&snap, "zzz", 10).is_empty());
    }
}
