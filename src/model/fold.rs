//! The fold: every migration of one repo (or its tenant migrations), applied
//! in version order to an in-memory database, so each table, column, index,
//! foreign key and check constraint knows the statement that made it.

use crate::model::facts::{
    ColumnDef, ConstraintKind, Direction, ForeignKeyDef, MigrationOp, OpKind, OpSource, Span,
    TableName,
};
use crate::model::workspace::{FileRole, Workspace};
use std::collections::BTreeMap;

/// Schema name used for tables of tenant migrations (one copy per tenant).
pub const TENANT_SCHEMA: &str = "<tenant>";

/// Where something was made: a file and a byte range in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub file: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedColumn {
    pub name: String,
    /// Postgres type as the migration makes it; `None` = not resolvable (`"?"`).
    pub pg_type: Option<String>,
    pub null: bool,
    pub default: Option<String>,
    pub primary_key: bool,
    pub created: Origin,
    /// The last statement that changed it (modify, rename), if any.
    pub changed: Option<Origin>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedIndex {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
    pub where_clause: Option<String>,
    pub origin: Origin,
    /// A `UNIQUE`/`PRIMARY KEY` constraint rather than a `CREATE INDEX`.
    pub constraint: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    /// Schema-qualified referenced table.
    pub references: String,
    pub referenced_columns: Vec<String>,
    pub on_delete: Option<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedCheck {
    pub name: String,
    pub expression: Option<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    Table,
    View,
    MaterializedView,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedTable {
    pub schema: String,
    pub name: String,
    pub kind: RelationKind,
    /// The statement that created it; `None` when we only saw later changes
    /// (its creation was in SQL we could not read): then it is `partial`.
    pub created: Option<Origin>,
    /// Created by a guarded statement (`create_if_not_exists`, `IF NOT EXISTS`).
    pub created_guarded: bool,
    /// Columns may be missing from the model (creation not seen, view
    /// without a column list, `CREATE TABLE … AS`).
    pub partial: bool,
    pub columns: Vec<FoldedColumn>,
    pub indexes: Vec<FoldedIndex>,
    pub foreign_keys: Vec<FoldedForeignKey>,
    pub checks: Vec<FoldedCheck>,
    /// Every statement that touched it, in fold order (for references).
    pub touched: Vec<Origin>,
}

impl FoldedTable {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
    pub fn column(&self, name: &str) -> Option<&FoldedColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
    pub fn primary_key(&self) -> Vec<&FoldedColumn> {
        self.columns.iter().filter(|c| c.primary_key).collect()
    }
}

/// Which migrations a model folds: one repo folder, plain or tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelKey {
    /// `priv/repo`, `apps/core/priv/repo`.
    pub repo_dir: String,
    pub tenant: bool,
}

/// Something the fold noticed that a check reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FoldEvent {
    /// An unguarded create of a table that already exists.
    CreatedTwice {
        table: String,
        first: Origin,
        second: Origin,
    },
    /// A guarded re-declaration whose body differs from the table as it
    /// already is: the differences silently never land.
    HiddenDrift {
        table: String,
        at: Origin,
        earlier: Origin,
        /// Columns of the new body the existing table lacks.
        skipped_columns: Vec<String>,
        /// Columns present in both whose type or nullability differ.
        differing_columns: Vec<String>,
    },
}

/// Default primary key of `create table` as configured for the repo.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepoMigrationConfig {
    /// `migration_primary_key: false`.
    pub no_primary_key: bool,
    /// (name, pg type) from `migration_primary_key`.
    pub primary_key: Option<(String, String)>,
    pub default_prefix: Option<String>,
}

/// The database one repo's migrations build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoModel {
    pub key: ModelKey,
    pub root: String,
    /// The repo module, when known (`MyApp.Repo`).
    pub repo_module: Option<String>,
    pub default_schema: String,
    /// Qualified name → table.
    pub tables: BTreeMap<String, FoldedTable>,
    /// Migration files in fold order.
    pub migrations: Vec<String>,
    pub events: Vec<FoldEvent>,
    /// Source text of statements we could not read, lowercased, so checks can
    /// tell "maybe made there" from "made nowhere".
    pub unresolved_text: Vec<String>,
}

impl RepoModel {
    pub fn table(&self, qualified: &str) -> Option<&FoldedTable> {
        self.tables.get(qualified)
    }

    /// Whether an unreadable statement of this repo mentions `word`.
    pub fn maybe_in_unresolved(&self, word: &str) -> bool {
        let word = word.to_ascii_lowercase();
        self.unresolved_text.iter().any(|t| contains_word(t, &word))
    }
}

fn contains_word(hay: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    hay.match_indices(word).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// Fold one model from the workspace's migration files.
pub fn fold_model(
    ws: &Workspace,
    key: &ModelKey,
    root: &str,
    repo_module: Option<String>,
    config: &RepoMigrationConfig,
) -> RepoModel {
    let default_schema = if key.tenant {
        TENANT_SCHEMA.to_string()
    } else {
        config
            .default_prefix
            .clone()
            .unwrap_or_else(|| "public".to_string())
    };
    let mut files: Vec<(u128, &str)> = ws
        .files
        .values()
        .filter_map(|f| match &f.role {
            FileRole::Migration {
                repo_dir,
                tenant,
                version,
                ..
            } if *repo_dir == key.repo_dir && *tenant == key.tenant => {
                let v = version
                    .as_deref()
                    .and_then(|v| v.parse::<u128>().ok())
                    .unwrap_or(0);
                Some((v, f.rel.as_str()))
            }
            _ => None,
        })
        .collect();
    files.sort();
    let mut folder = Folder {
        model: RepoModel {
            key: key.clone(),
            root: root.to_string(),
            repo_module,
            default_schema,
            tables: BTreeMap::new(),
            migrations: files.iter().map(|(_, f)| f.to_string()).collect(),
            events: Vec::new(),
            unresolved_text: Vec::new(),
        },
        config: config.clone(),
    };
    for (_, rel) in files {
        let Some(file) = ws.files.get(rel) else {
            continue;
        };
        let Some(facts) = file.migration() else {
            continue;
        };
        for u in &facts.unresolved {
            if let Some(text) = file.text.get(u.span.clone()) {
                folder.model.unresolved_text.push(text.to_ascii_lowercase());
            }
        }
        for op in &facts.ops {
            if matches!(op.direction, Direction::Change | Direction::Up) {
                folder.apply(rel, op);
            }
        }
    }
    folder.model
}

struct Folder {
    model: RepoModel,
    config: RepoMigrationConfig,
}

impl Folder {
    fn qualify(&self, t: &TableName) -> String {
        let schema = t.schema.as_deref().unwrap_or(&self.model.default_schema);
        format!("{schema}.{}", t.name)
    }

    fn origin(file: &str, op: &MigrationOp) -> Origin {
        Origin {
            file: file.to_string(),
            span: op.span.clone(),
        }
    }

    /// The table, created as a partial entry when we never saw its creation.
    fn table_mut(&mut self, t: &TableName, origin: &Origin) -> &mut FoldedTable {
        let q = self.qualify(t);
        let schema = t
            .schema
            .clone()
            .unwrap_or_else(|| self.model.default_schema.clone());
        let table = self.model.tables.entry(q).or_insert_with(|| FoldedTable {
            schema,
            name: t.name.clone(),
            kind: RelationKind::Table,
            created: None,
            created_guarded: false,
            partial: true,
            columns: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            touched: Vec::new(),
        });
        table.touched.push(origin.clone());
        table
    }

    fn fk(
        &self,
        table: &str,
        columns: &[String],
        fk: &ForeignKeyDef,
        origin: &Origin,
    ) -> FoldedForeignKey {
        let name = fk
            .name
            .clone()
            .unwrap_or_else(|| format!("{table}_{}_fkey", columns.join("_")));
        FoldedForeignKey {
            name,
            columns: columns.to_vec(),
            references: self.qualify(&fk.table),
            referenced_columns: fk.columns.clone(),
            on_delete: fk.on_delete.clone(),
            origin: origin.clone(),
        }
    }

    fn column(&self, def: &ColumnDef, origin: &Origin) -> FoldedColumn {
        FoldedColumn {
            name: def.name.clone(),
            pg_type: def.pg_type.clone(),
            null: !def.primary_key && def.null != Some(false),
            default: def.default.clone(),
            primary_key: def.primary_key,
            created: Origin {
                file: origin.file.clone(),
                span: def.span.clone(),
            },
            changed: None,
        }
    }

    /// Apply the repo's `migration_primary_key` config to Ecto's implicit key.
    fn implicit_columns<'c>(
        &self,
        columns: &'c [ColumnDef],
    ) -> Vec<std::borrow::Cow<'c, ColumnDef>> {
        columns
            .iter()
            .filter_map(|c| {
                if !c.implicit {
                    return Some(std::borrow::Cow::Borrowed(c));
                }
                if self.config.no_primary_key {
                    return None;
                }
                match &self.config.primary_key {
                    Some((name, ty)) if c.name == "id" && c.written_type == ":bigserial" => {
                        let mut c = c.clone();
                        c.name = name.clone();
                        c.pg_type = Some(ty.clone());
                        Some(std::borrow::Cow::Owned(c))
                    }
                    _ => Some(std::borrow::Cow::Borrowed(c)),
                }
            })
            .collect()
    }

    fn apply(&mut self, file: &str, op: &MigrationOp) {
        let origin = Self::origin(file, op);
        let guarded_sql = matches!(op.source, OpSource::RawSql { guarded: true, .. });
        match &op.kind {
            OpKind::CreateTable {
                table,
                if_not_exists,
                columns,
                constraints,
            } => {
                let q = self.qualify(table);
                let guarded = *if_not_exists || guarded_sql;
                let columns: Vec<ColumnDef> = self
                    .implicit_columns(columns)
                    .into_iter()
                    .map(|c| c.into_owned())
                    .collect();
                if let Some(existing) = self.model.tables.get(&q).filter(|t| t.created.is_some()) {
                    let earlier = existing.created.clone().unwrap_or_else(|| origin.clone());
                    if guarded {
                        let skipped: Vec<String> = columns
                            .iter()
                            .filter(|c| existing.column(&c.name).is_none())
                            .map(|c| c.name.clone())
                            .collect();
                        let differing: Vec<String> = columns
                            .iter()
                            .filter(|c| {
                                existing.column(&c.name).is_some_and(|e| {
                                    let null = !c.primary_key && c.null != Some(false);
                                    let type_differs = match (&e.pg_type, &c.pg_type) {
                                        (Some(a), Some(b)) => {
                                            crate::model::types::normalize_pg_type(a)
                                                != crate::model::types::normalize_pg_type(b)
                                        }
                                        _ => false,
                                    };
                                    type_differs || e.null != null
                                })
                            })
                            .map(|c| c.name.clone())
                            .collect();
                        if !op.conditional && (!skipped.is_empty() || !differing.is_empty()) {
                            self.model.events.push(FoldEvent::HiddenDrift {
                                table: q.clone(),
                                at: origin.clone(),
                                earlier,
                                skipped_columns: skipped,
                                differing_columns: differing,
                            });
                        }
                    } else if !op.conditional {
                        self.model.events.push(FoldEvent::CreatedTwice {
                            table: q.clone(),
                            first: earlier,
                            second: origin.clone(),
                        });
                    }
                    if let Some(t) = self.model.tables.get_mut(&q) {
                        t.touched.push(origin);
                    }
                    return;
                }
                let mut folded: Vec<FoldedColumn> = Vec::new();
                let mut fks = Vec::new();
                for c in &columns {
                    let col = self.column(c, &origin);
                    if let Some(fk) = &c.references {
                        fks.push(self.fk(&table.name, std::slice::from_ref(&c.name), fk, &origin));
                    }
                    folded.retain(|f| f.name != col.name);
                    folded.push(col);
                }
                let mut indexes = Vec::new();
                let mut checks = Vec::new();
                for (name, kind) in constraints {
                    match kind {
                        ConstraintKind::PrimaryKey(cols) => {
                            for f in folded.iter_mut().filter(|f| cols.contains(&f.name)) {
                                f.primary_key = true;
                                f.null = false;
                            }
                        }
                        ConstraintKind::Unique(cols) => indexes.push(FoldedIndex {
                            name: name.clone().unwrap_or_else(|| {
                                format!("{}_{}_key", table.name, cols.join("_"))
                            }),
                            columns: cols.clone(),
                            unique: true,
                            where_clause: None,
                            origin: origin.clone(),
                            constraint: true,
                        }),
                        ConstraintKind::ForeignKey {
                            columns,
                            references,
                        } => {
                            let mut fk = self.fk(&table.name, columns, references, &origin);
                            if let Some(n) = name {
                                fk.name = n.clone();
                            }
                            fks.push(fk);
                        }
                        ConstraintKind::Check(expr) => checks.push(FoldedCheck {
                            name: name
                                .clone()
                                .unwrap_or_else(|| format!("{}_check", table.name)),
                            expression: Some(expr.clone()),
                            origin: origin.clone(),
                        }),
                        ConstraintKind::Exclude(_) => {}
                    }
                }
                let schema = table
                    .schema
                    .clone()
                    .unwrap_or_else(|| self.model.default_schema.clone());
                let previous = self.model.tables.remove(&q);
                let mut t = FoldedTable {
                    schema,
                    name: table.name.clone(),
                    kind: RelationKind::Table,
                    created: Some(origin.clone()),
                    created_guarded: guarded,
                    partial: false,
                    columns: folded,
                    indexes,
                    foreign_keys: fks,
                    checks,
                    touched: vec![origin],
                };
                // Changes seen before the creation (a partial entry from SQL we
                // could not order) are kept.
                if let Some(prev) = previous {
                    for c in prev.columns {
                        if t.column(&c.name).is_none() {
                            t.columns.push(c);
                        }
                    }
                    t.indexes.extend(prev.indexes);
                    t.foreign_keys.extend(prev.foreign_keys);
                    t.checks.extend(prev.checks);
                }
                self.model.tables.insert(q, t);
            }
            OpKind::CreateView {
                table,
                materialized,
                columns,
                ..
            } => {
                let q = self.qualify(table);
                let schema = table
                    .schema
                    .clone()
                    .unwrap_or_else(|| self.model.default_schema.clone());
                let cols = columns
                    .iter()
                    .map(|c| FoldedColumn {
                        name: c.clone(),
                        pg_type: None,
                        null: true,
                        default: None,
                        primary_key: false,
                        created: origin.clone(),
                        changed: None,
                    })
                    .collect::<Vec<_>>();
                self.model.tables.insert(
                    q,
                    FoldedTable {
                        schema,
                        name: table.name.clone(),
                        kind: if *materialized {
                            RelationKind::MaterializedView
                        } else {
                            RelationKind::View
                        },
                        created: Some(origin.clone()),
                        created_guarded: true,
                        partial: cols.is_empty(),
                        columns: cols,
                        indexes: Vec::new(),
                        foreign_keys: Vec::new(),
                        checks: Vec::new(),
                        touched: vec![origin],
                    },
                );
            }
            OpKind::DropTable { table, .. } | OpKind::DropView { table, .. } => {
                let q = self.qualify(table);
                self.model.tables.remove(&q);
            }
            OpKind::RenameTable { from, to } => {
                let q = self.qualify(from);
                if let Some(mut t) = self.model.tables.remove(&q) {
                    if let Some(s) = &to.schema {
                        t.schema = s.clone();
                    }
                    t.name = to.name.clone();
                    t.touched.push(origin);
                    self.model.tables.insert(t.qualified(), t);
                }
            }
            OpKind::AddColumn { table, column, .. } => {
                let col = self.column(column, &origin);
                let fk = column.references.as_ref().map(|fk| {
                    self.fk(&table.name, std::slice::from_ref(&column.name), fk, &origin)
                });
                let t = self.table_mut(table, &origin);
                if t.column(&column.name).is_none() {
                    t.columns.push(col);
                }
                if let Some(fk) = fk {
                    t.foreign_keys.retain(|f| f.name != fk.name);
                    t.foreign_keys.push(fk);
                }
            }
            OpKind::RemoveColumn { table, column, .. } => {
                let t = self.table_mut(table, &origin);
                t.columns.retain(|c| &c.name != column);
                t.foreign_keys.retain(|f| !f.columns.contains(column));
                t.indexes.retain(|i| !i.columns.contains(column));
            }
            OpKind::ModifyColumn {
                table,
                column,
                pg_type,
                null,
                default,
                references,
                ..
            } => {
                let fk = references
                    .as_ref()
                    .map(|fk| self.fk(&table.name, std::slice::from_ref(column), fk, &origin));
                let t = self.table_mut(table, &origin);
                if let Some(c) = t.columns.iter_mut().find(|c| &c.name == column) {
                    if let Some(ty) = pg_type {
                        c.pg_type = ty.clone();
                    }
                    if let Some(n) = null {
                        c.null = *n;
                    }
                    if let Some(d) = default {
                        c.default = d.clone();
                    }
                    c.changed = Some(origin.clone());
                }
                if let Some(fk) = fk {
                    t.foreign_keys.retain(|f| f.name != fk.name);
                    t.foreign_keys.push(fk);
                }
            }
            OpKind::RenameColumn { table, from, to } => {
                let t = self.table_mut(table, &origin);
                if let Some(c) = t.columns.iter_mut().find(|c| &c.name == from) {
                    c.name = to.clone();
                    c.changed = Some(origin.clone());
                }
                for i in &mut t.indexes {
                    for c in &mut i.columns {
                        if c == from {
                            *c = to.clone();
                        }
                    }
                }
                for f in &mut t.foreign_keys {
                    for c in &mut f.columns {
                        if c == from {
                            *c = to.clone();
                        }
                    }
                }
            }
            OpKind::CreateIndex { index, .. } => {
                let folded = FoldedIndex {
                    name: index.name.clone(),
                    columns: index.columns.clone(),
                    unique: index.unique,
                    where_clause: index.where_clause.clone(),
                    origin: origin.clone(),
                    constraint: false,
                };
                let t = self.table_mut(&index.table, &origin);
                // `IF NOT EXISTS` matches by name: an existing one is kept.
                if !t.indexes.iter().any(|i| i.name == folded.name) {
                    t.indexes.push(folded);
                }
            }
            OpKind::DropIndex {
                table,
                schema,
                name,
                ..
            } => {
                let schema = schema
                    .clone()
                    .or_else(|| table.as_ref().and_then(|t| t.schema.clone()))
                    .unwrap_or_else(|| self.model.default_schema.clone());
                for t in self
                    .model
                    .tables
                    .values_mut()
                    .filter(|t| t.schema == schema)
                {
                    t.indexes.retain(|i| &i.name != name);
                }
            }
            OpKind::CreateConstraint {
                table, name, kind, ..
            } => {
                let tname = table.name.clone();
                let fk = match kind {
                    ConstraintKind::ForeignKey {
                        columns,
                        references,
                    } => {
                        let mut fk = self.fk(&tname, columns, references, &origin);
                        if let Some(n) = name {
                            fk.name = n.clone();
                        }
                        Some(fk)
                    }
                    _ => None,
                };
                let t = self.table_mut(table, &origin);
                match kind {
                    ConstraintKind::Check(expr) => t.checks.push(FoldedCheck {
                        name: name.clone().unwrap_or_else(|| format!("{tname}_check")),
                        expression: Some(expr.clone()),
                        origin: origin.clone(),
                    }),
                    ConstraintKind::Unique(cols) => t.indexes.push(FoldedIndex {
                        name: name
                            .clone()
                            .unwrap_or_else(|| format!("{tname}_{}_key", cols.join("_"))),
                        columns: cols.clone(),
                        unique: true,
                        where_clause: None,
                        origin: origin.clone(),
                        constraint: true,
                    }),
                    ConstraintKind::PrimaryKey(cols) => {
                        for c in t.columns.iter_mut().filter(|c| cols.contains(&c.name)) {
                            c.primary_key = true;
                            c.null = false;
                        }
                    }
                    ConstraintKind::ForeignKey { .. } => {
                        if let Some(fk) = fk {
                            if !t.foreign_keys.iter().any(|f| f.name == fk.name) {
                                t.foreign_keys.push(fk);
                            }
                        }
                    }
                    ConstraintKind::Exclude(_) => {}
                }
            }
            OpKind::DropConstraint { table, name, .. } => {
                let t = self.table_mut(table, &origin);
                t.checks.retain(|c| &c.name != name);
                t.foreign_keys.retain(|f| &f.name != name);
                t.indexes.retain(|i| !(i.constraint && &i.name == name));
                // `<table>_pkey` is the name Postgres gives the primary key;
                // codegen drops it before moving the key to other columns.
                if *name == format!("{}_pkey", t.name) {
                    for c in &mut t.columns {
                        c.primary_key = false;
                    }
                }
            }
            OpKind::OtherDdl { .. } => {}
        }
    }
}

/// `MyApp.ReadOnlyRepo` → `read_only_repo`, like `Macro.underscore/1` on the last part.
pub fn underscore(module_part: &str) -> String {
    let chars: Vec<char> = module_part.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).and_then(|p| chars.get(p));
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                _ => false,
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn underscore_like_macro() {
        assert_eq!(underscore("Repo"), "repo");
        assert_eq!(underscore("ReadOnlyRepo"), "read_only_repo");
        assert_eq!(underscore("HTTPRepo"), "http_repo");
        assert_eq!(underscore("Repo2"), "repo2");
    }

    #[test]
    fn word_match() {
        assert!(contains_word("create table(:users)", "users"));
        assert!(!contains_word("create table(:users_x)", "users"));
    }
}
