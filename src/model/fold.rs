//! The fold: every migration of one repo (or its tenant migrations), applied
//! in version order to an in-memory database, so each table, column, index,
//! foreign key and check constraint knows the statement that made it. It
//! applies the repo's migration config (implicit key, `references` type) and
//! does what Postgres does on renames and drops (names kept, foreign keys
//! following their table).

use crate::model::facts::{
    ColumnDef, ConstraintKind, Direction, ForeignKeyDef, MigrationOp, OpKind, OpSource, Span,
    TableName,
};
use crate::model::types::normalize_pg_type;
use crate::model::workspace::{FileRole, Workspace};
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Schema name used for tables of tenant migrations (one copy per tenant).
pub const TENANT_SCHEMA: &str = "<tenant>";

/// Where something was made: a file and a byte range in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub file: Arc<str>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedColumn {
    pub name: String,
    /// Postgres type as the migration makes it, in [`canonical_pg_type`]'s
    /// spelling; `None` = not resolvable (`"?"`).
    pub pg_type: Option<String>,
    pub null: bool,
    /// False for a column known only from a later `modify`/rename that did
    /// not say its nullability (its creation was never seen): `null` is then
    /// Postgres's default, a guess that checks should not report on.
    pub null_known: bool,
    pub default: Option<String>,
    pub primary_key: bool,
    /// Where it was made; for a column whose creation was never seen, the
    /// first statement that proved it exists.
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
    /// Access method when one was given (`gin`, `brin`), lowercased as
    /// Postgres folds the unquoted name.
    pub using: Option<String>,
    pub origin: Origin,
    /// A `UNIQUE`/`PRIMARY KEY` constraint rather than a `CREATE INDEX`.
    pub constraint: bool,
    /// Made by a statement under `if`/`case`/`for`: it may not exist.
    pub conditional: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    /// Schema-qualified referenced table; follows renames of that table, as
    /// Postgres keeps a foreign key on the table itself, not its name.
    pub references: String,
    pub referenced_columns: Vec<String>,
    /// Postgres's words (`cascade`, `set null`, `restrict`, `set null (a)`);
    /// `None` is `NO ACTION`, the default.
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
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
    /// Exclusion constraints (`EXCLUDE USING gist (…)`): the expression is
    /// what follows `EXCLUDE`.
    pub exclusions: Vec<FoldedCheck>,
    /// Every statement that touched it, in fold order (for references).
    pub touched: Vec<Origin>,
}

impl FoldedTable {
    /// A table only known from later changes: its creation was not seen.
    fn partial(schema: String, name: String) -> FoldedTable {
        FoldedTable {
            schema,
            name,
            kind: RelationKind::Table,
            created: None,
            created_guarded: false,
            partial: true,
            columns: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            exclusions: Vec::new(),
            touched: Vec::new(),
        }
    }

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

/// What the repo's config changes in its migrations: the default primary
/// key of `create table`, the defaults of `references/2`, the default schema.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepoMigrationConfig {
    /// `migration_primary_key: false`.
    pub no_primary_key: bool,
    /// (name, pg type) from `migration_primary_key`.
    pub primary_key: Option<(String, String)>,
    pub default_prefix: Option<String>,
    /// `migration_foreign_key: [column: …]`: the default referenced column.
    pub foreign_key_column: Option<String>,
    /// `migration_foreign_key: [type: …]` as a pg type (`uuid`, `bigserial`).
    pub foreign_key_type: Option<String>,
}

impl RepoMigrationConfig {
    /// The column type of a `references(...)` without `type:`. ecto_sql's
    /// `foreign_key_repo_opts/0` takes `migration_primary_key`'s `type:` and
    /// lets `migration_foreign_key` override it; `None` keeps `:bigserial`.
    pub fn reference_type(&self) -> Option<String> {
        let pk_type = match &self.primary_key {
            Some((_, ty)) if !self.no_primary_key => Some(ty),
            _ => None,
        };
        let ty = self.foreign_key_type.as_ref().or(pk_type)?;
        // `reference_column_type/2`: a serial key is referenced by its integer.
        Some(match ty.as_str() {
            "bigserial" => "bigint".to_string(),
            "serial" => "integer".to_string(),
            "smallserial" => "smallint".to_string(),
            other => other.to_string(),
        })
    }
}

/// The spelling of a column type in the folded model: Ecto's DDL text (or
/// the raw SQL, lowercased) with Ecto's two aliases whose Postgres name
/// differs replaced by that name, so the model reads like the catalog:
/// `float` → `float8` (Postgres's `float` is `double precision`; `float(p)`
/// is `float4` up to 24 bits), `decimal[(p,s)]` → `numeric[(p,s)]`, also
/// inside arrays. Everything else stays as written: `varchar(255)`,
/// `timestamp(0)`, `bigserial` (a bigint with a sequence), `timestamptz`.
pub fn canonical_pg_type(pg: &str) -> String {
    let trimmed = pg.trim();
    let mut base = trimmed;
    let mut dims = 0;
    while let Some(inner) = base.strip_suffix("[]") {
        base = inner.trim_end();
        dims += 1;
    }
    let lower = base.to_ascii_lowercase();
    let canonical = if lower == "float" || lower == "double precision" {
        Some("float8".to_string())
    } else if let Some(bits) = lower
        .strip_prefix("float")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('('))
        .and_then(|r| r.strip_suffix(')'))
        .and_then(|b| b.trim().parse::<u32>().ok())
    {
        match bits {
            1..=24 => Some("float4".to_string()),
            25..=53 => Some("float8".to_string()),
            _ => None,
        }
    } else if lower == "decimal" {
        Some("numeric".to_string())
    } else {
        lower
            .strip_prefix("decimal")
            .filter(|r| r.trim_start().starts_with('('))
            .map(|r| format!("numeric{}", r.trim_start()))
    };
    match canonical {
        Some(c) => format!("{c}{}", "[]".repeat(dims)),
        None => trimmed.to_string(),
    }
}

/// An Ecto referential action (`delete_all`, `nilify(a, b)`) or SQL's words,
/// in Postgres's words; `None` for `NO ACTION` (`:nothing`), the default.
fn referential_action(action: Option<&str>) -> Option<String> {
    let action = action?.trim();
    let lower = action.to_ascii_lowercase();
    match lower.as_str() {
        "nothing" | "no action" => None,
        "delete_all" | "update_all" => Some("cascade".to_string()),
        "nilify_all" => Some("set null".to_string()),
        "default_all" => Some("set default".to_string()),
        _ => match lower.strip_prefix("nilify(") {
            Some(cols) => Some(format!("set null ({cols}")),
            None => Some(lower),
        },
    }
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
    fold_model_through(ws, key, root, repo_module, config, None)
}

/// Where a migration file sits in the fold order of its model: by version,
/// then path (a version that is not a number folds first).
pub type FoldPosition = (u128, String);

/// The fold position of a migration file, with the model it belongs to.
pub fn fold_position(rel: &str, role: &FileRole) -> Option<(ModelKey, FoldPosition)> {
    match role {
        FileRole::Migration {
            repo_dir,
            tenant,
            version,
            ..
        } => Some((
            ModelKey {
                repo_dir: repo_dir.clone(),
                tenant: *tenant,
            },
            (version_number(version.as_deref()), rel.to_string()),
        )),
        _ => None,
    }
}

fn version_number(version: Option<&str>) -> u128 {
    version.and_then(|v| v.parse::<u128>().ok()).unwrap_or(0)
}

/// A model folded up to, not including, one migration file: while only
/// that file and later ones change (an editor buffer being typed in), the
/// fold starts again from here instead of from the first migration.
#[derive(Debug)]
pub struct Checkpoint {
    /// The first file not folded in.
    pub before: FoldPosition,
    /// The configuration it was folded under.
    config: RepoMigrationConfig,
    tables: BTreeMap<String, FoldedTable>,
    events: Vec<FoldEvent>,
    unresolved_text: Vec<String>,
}

/// [`fold_model`], starting from `resume` when given (its files before
/// `resume.before` must be unchanged, which the caller knows), and keeping
/// the state before the file at `keep` for the next fold. The model is the
/// same as [`fold_model`]'s.
pub fn fold_model_resuming(
    ws: &Workspace,
    key: &ModelKey,
    root: &str,
    repo_module: Option<String>,
    config: &RepoMigrationConfig,
    resume: Option<&Checkpoint>,
    keep: Option<&FoldPosition>,
) -> (RepoModel, Option<Checkpoint>) {
    let resume = resume.filter(|c| c.config == *config);
    let mut kept = None;
    let model = fold_files(
        ws,
        key,
        root,
        repo_module,
        config,
        None,
        resume,
        |at, folder| {
            if kept.is_none() && keep.is_some_and(|k| at >= k) {
                kept = Some(Checkpoint {
                    before: at.clone(),
                    config: folder.config.clone(),
                    tables: folder.model.tables.clone(),
                    events: folder.model.events.clone(),
                    unresolved_text: folder.model.unresolved_text.clone(),
                });
            }
        },
    );
    (model, kept)
}

/// [`fold_model`], stopping after the migration file `last` when given: the
/// database as that migration leaves it.
pub fn fold_model_through(
    ws: &Workspace,
    key: &ModelKey,
    root: &str,
    repo_module: Option<String>,
    config: &RepoMigrationConfig,
    last: Option<&str>,
) -> RepoModel {
    fold_files(ws, key, root, repo_module, config, last, None, |_, _| {})
}

/// The fold itself: from the first file, or from `resume`; `before_file`
/// sees the state before each file folded.
#[allow(clippy::too_many_arguments)]
fn fold_files(
    ws: &Workspace,
    key: &ModelKey,
    root: &str,
    repo_module: Option<String>,
    config: &RepoMigrationConfig,
    last: Option<&str>,
    resume: Option<&Checkpoint>,
    mut before_file: impl FnMut(&FoldPosition, &Folder),
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
                Some((version_number(version.as_deref()), f.rel.as_str()))
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
    let mut skip_before = None;
    if let Some(c) = resume {
        folder.model.tables = c.tables.clone();
        folder.model.events = c.events.clone();
        folder.model.unresolved_text = c.unresolved_text.clone();
        skip_before = Some(&c.before);
    }
    let mut at: FoldPosition = (0, String::new());
    for (version, rel) in files {
        at.0 = version;
        at.1.clear();
        at.1.push_str(rel);
        if skip_before.is_some_and(|b| at < *b) {
            continue;
        }
        before_file(&at, &folder);
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
        // One path shared by every origin the file's statements leave.
        let shared: Arc<str> = Arc::from(rel);
        for op in &facts.ops {
            if matches!(op.direction, Direction::Change | Direction::Up) {
                folder.apply(&shared, op);
            }
        }
        if last == Some(rel) {
            break;
        }
    }
    folder.model
}

struct Folder {
    model: RepoModel,
    config: RepoMigrationConfig,
}

impl Folder {
    /// Constraint names taken in `schema`: Postgres picks an unused one
    /// across the schema when it names a constraint.
    fn constraint_names_in(&self, schema: &str) -> Vec<String> {
        let mut names = Vec::new();
        for t in self.model.tables.values().filter(|t| t.schema == schema) {
            names.extend(t.checks.iter().map(|c| c.name.clone()));
            names.extend(t.exclusions.iter().map(|c| c.name.clone()));
            names.extend(t.foreign_keys.iter().map(|f| f.name.clone()));
            names.extend(
                t.indexes
                    .iter()
                    .filter(|i| i.constraint)
                    .map(|i| i.name.clone()),
            );
        }
        names
    }

    fn qualify(&self, t: &TableName) -> String {
        let schema = t.schema.as_deref().unwrap_or(&self.model.default_schema);
        format!("{schema}.{}", t.name)
    }

    fn origin(file: &Arc<str>, op: &MigrationOp) -> Origin {
        Origin {
            file: file.clone(),
            span: op.span.clone(),
        }
    }

    /// The table, created as a partial entry when we never saw its creation.
    fn table_mut(&mut self, t: &TableName, origin: &Origin) -> &mut FoldedTable {
        let q = self.qualify(t);
        let table = match self.model.tables.entry(q) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let schema = t
                    .schema
                    .clone()
                    .unwrap_or_else(|| self.model.default_schema.clone());
                e.insert(FoldedTable::partial(schema, t.name.clone()))
            }
        };
        table.touched.push(origin.clone());
        table
    }

    /// The foreign key a `references`/`REFERENCES`/`FOREIGN KEY` makes on
    /// `columns` of `table`. `self_table` is the table being created, for a
    /// `REFERENCES` to itself before it is in the model.
    fn fk(
        &self,
        table: &str,
        columns: &[String],
        fk: &ForeignKeyDef,
        origin: &Origin,
        self_table: Option<(&str, &[FoldedColumn])>,
    ) -> FoldedForeignKey {
        // ecto_sql names it after the first column (`<table>_<column>_fkey`);
        // Postgres joins every column of a table constraint.
        let name = fk
            .name
            .clone()
            .unwrap_or_else(|| format!("{table}_{}_fkey", columns.join("_")));
        let references = self.qualify(&fk.table);
        // `with:` pairs extend both sides of a composite key (ecto_sql's
        // `reference_expr`), after the name is chosen from the first column.
        let mut local_columns = columns.to_vec();
        local_columns.extend(fk.with.iter().map(|(local, _)| local.clone()));
        let mut referenced_columns = fk.columns.clone();
        if !fk.explicit_column {
            if let (Some(first), Some(column)) = (
                referenced_columns.first_mut(),
                &self.config.foreign_key_column,
            ) {
                *first = column.clone();
            }
        }
        if referenced_columns.is_empty() {
            // `REFERENCES t` without a column list: t's primary key.
            referenced_columns = match self_table {
                Some((q, cols)) if q == references => cols
                    .iter()
                    .filter(|c| c.primary_key)
                    .map(|c| c.name.clone())
                    .collect(),
                _ => self
                    .model
                    .tables
                    .get(&references)
                    .map(|t| t.primary_key().iter().map(|c| c.name.clone()).collect())
                    .unwrap_or_default(),
            };
        }
        referenced_columns.extend(fk.with.iter().map(|(_, remote)| remote.clone()));
        FoldedForeignKey {
            name,
            columns: local_columns,
            references,
            referenced_columns,
            on_delete: referential_action(fk.on_delete.as_deref()),
            on_update: referential_action(fk.on_update.as_deref()),
            origin: origin.clone(),
        }
    }

    fn column(&self, def: &ColumnDef, origin: &Origin) -> FoldedColumn {
        FoldedColumn {
            name: def.name.clone(),
            pg_type: def.pg_type.as_deref().map(canonical_pg_type),
            null: !def.primary_key && def.null != Some(false),
            null_known: true,
            default: def.default.clone(),
            primary_key: def.primary_key,
            created: Origin {
                file: origin.file.clone(),
                span: def.span.clone(),
            },
            changed: None,
        }
    }

    /// Apply the repo's config to a `create table` body: `migration_primary_key`
    /// to Ecto's implicit key, the default `references` type to key columns.
    fn with_repo_defaults(&self, columns: &[ColumnDef]) -> Vec<ColumnDef> {
        columns
            .iter()
            .filter_map(|c| {
                if !c.implicit {
                    return Some(self.with_reference_type(c));
                }
                if self.config.no_primary_key {
                    return None;
                }
                match &self.config.primary_key {
                    Some((name, ty)) if c.name == "id" && c.written_type == ":bigserial" => {
                        let mut c = c.clone();
                        c.name = name.clone();
                        c.pg_type = Some(ty.clone());
                        Some(c)
                    }
                    _ => Some(c.clone()),
                }
            })
            .collect()
    }

    /// A `references(...)` column without `type:` takes the repo's default
    /// reference type.
    fn with_reference_type(&self, c: &ColumnDef) -> ColumnDef {
        let mut c = c.clone();
        if let Some(ty) = self.defaulted_reference_type(c.references.as_ref()) {
            c.pg_type = Some(ty);
        }
        c
    }

    fn defaulted_reference_type(&self, fk: Option<&ForeignKeyDef>) -> Option<String> {
        fk.filter(|fk| !fk.explicit_type)
            .and(self.config.reference_type())
    }

    fn apply(&mut self, file: &Arc<str>, op: &MigrationOp) {
        let origin = Self::origin(file, op);
        let guarded_sql = matches!(op.source, OpSource::RawSql { guarded: true, .. });
        match &op.kind {
            OpKind::CreateTable {
                table,
                if_not_exists,
                columns,
                constraints,
            } => {
                let guarded = *if_not_exists || guarded_sql;
                self.create_table(table, guarded, columns, constraints, op, origin);
            }
            OpKind::CreateView {
                table,
                materialized,
                columns,
                if_not_exists,
                or_replace,
            } => {
                let q = self.qualify(table);
                let cols = columns
                    .iter()
                    .map(|c| FoldedColumn {
                        name: c.clone(),
                        pg_type: None,
                        null: true,
                        null_known: true,
                        default: None,
                        primary_key: false,
                        created: origin.clone(),
                        changed: None,
                    })
                    .collect::<Vec<_>>();
                let mut view = self.empty_table(table, origin.clone());
                view.kind = if *materialized {
                    RelationKind::MaterializedView
                } else {
                    RelationKind::View
                };
                view.created = Some(origin);
                view.created_guarded = *if_not_exists || *or_replace || guarded_sql;
                view.partial = cols.is_empty();
                view.columns = cols;
                self.model.tables.insert(q, view);
            }
            OpKind::DropTable { table, .. } | OpKind::DropView { table, .. } => {
                let q = self.qualify(table);
                self.model.tables.remove(&q);
                // Postgres refuses the drop while foreign keys point at the
                // table, unless CASCADE drops them: either way they are gone.
                for t in self.model.tables.values_mut() {
                    t.foreign_keys.retain(|f| f.references != q);
                }
            }
            OpKind::RenameTable { from, to } => {
                let q = self.qualify(from);
                if let Some(mut t) = self.model.tables.remove(&q) {
                    // Ecto and `RENAME TO` keep the schema; `SET SCHEMA` names it.
                    if let Some(s) = &to.schema {
                        t.schema = s.clone();
                    }
                    t.name = to.name.clone();
                    t.touched.push(origin);
                    let renamed = t.qualified();
                    self.model.tables.insert(renamed.clone(), t);
                    // Foreign keys hold the table, not its name (`\d` shows the new one).
                    for t in self.model.tables.values_mut() {
                        for f in t.foreign_keys.iter_mut().filter(|f| f.references == q) {
                            f.references = renamed.clone();
                        }
                    }
                }
            }
            OpKind::AddColumn { table, column, .. } => {
                let column = self.with_reference_type(column);
                let col = self.column(&column, &origin);
                let fk = column.references.as_ref().map(|fk| {
                    self.fk(
                        &table.name,
                        std::slice::from_ref(&column.name),
                        fk,
                        &origin,
                        None,
                    )
                });
                let t = self.table_mut(table, &origin);
                // `add_if_not_exists` on an existing column keeps it as it is.
                if t.column(&column.name).is_none() {
                    t.columns.push(col);
                }
                // … but its `references` constraint is added regardless.
                if let Some(fk) = fk {
                    t.foreign_keys.retain(|f| f.name != fk.name);
                    t.foreign_keys.push(fk);
                }
            }
            OpKind::RemoveColumn { table, column, .. } => {
                let q = self.qualify(table);
                let t = self.table_mut(table, &origin);
                t.columns.retain(|c| &c.name != column);
                // Postgres drops the indexes and constraints that use the column.
                t.foreign_keys.retain(|f| !f.columns.contains(column));
                t.indexes.retain(|i| !i.columns.contains(column));
                // Foreign keys onto it block the drop unless CASCADE drops them.
                for t in self.model.tables.values_mut() {
                    t.foreign_keys
                        .retain(|f| !(f.references == q && f.referenced_columns.contains(column)));
                }
            }
            OpKind::ModifyColumn {
                table,
                column,
                pg_type,
                null,
                default,
                references,
                drop_foreign_key,
                ..
            } => {
                let fk = references.as_ref().map(|fk| {
                    self.fk(&table.name, std::slice::from_ref(column), fk, &origin, None)
                });
                let pg_type = match self.defaulted_reference_type(references.as_ref()) {
                    Some(ty) => Some(Some(ty)),
                    None => pg_type.clone(),
                };
                let conditional = op.conditional;
                let t = self.table_mut(table, &origin);
                match t.columns.iter_mut().find(|c| &c.name == column) {
                    Some(c) => {
                        if let Some(ty) = pg_type {
                            c.pg_type = ty.as_deref().map(canonical_pg_type);
                        }
                        if let Some(n) = null {
                            c.null = *n;
                            c.null_known = true;
                        }
                        if let Some(d) = default {
                            c.default = d.clone();
                        }
                        c.changed = Some(origin.clone());
                    }
                    // Its creation was never seen, yet after this statement
                    // the column exists: keep what the statement says.
                    None if !conditional => {
                        t.partial = true;
                        t.columns.push(FoldedColumn {
                            name: column.clone(),
                            pg_type: pg_type.flatten().as_deref().map(canonical_pg_type),
                            null: null.unwrap_or(true),
                            null_known: null.is_some(),
                            default: default.clone().flatten(),
                            primary_key: false,
                            created: origin.clone(),
                            changed: Some(origin.clone()),
                        });
                    }
                    None => {}
                }
                // ecto_sql drops the `from:` reference's constraint first,
                // then adds the new one under its own name.
                if let Some(dropped) = drop_foreign_key {
                    t.foreign_keys.retain(|f| &f.name != dropped);
                }
                if let Some(fk) = fk {
                    t.foreign_keys.retain(|f| f.name != fk.name);
                    t.foreign_keys.push(fk);
                }
            }
            OpKind::RenameColumn { table, from, to } => {
                let q = self.qualify(table);
                let conditional = op.conditional;
                let t = self.table_mut(table, &origin);
                let known_target = t.column(to).is_some();
                match t.columns.iter_mut().find(|c| &c.name == from) {
                    Some(c) => {
                        c.name = to.clone();
                        c.changed = Some(origin.clone());
                    }
                    // A column we never saw made: after the rename it exists
                    // under its new name, of a type we do not know.
                    None if !conditional && !known_target => {
                        t.partial = true;
                        t.columns.push(FoldedColumn {
                            name: to.clone(),
                            pg_type: None,
                            null: true,
                            null_known: false,
                            default: None,
                            primary_key: false,
                            created: origin.clone(),
                            changed: Some(origin.clone()),
                        });
                    }
                    None => {}
                }
                // Index and constraint names stay; their columns follow.
                for i in &mut t.indexes {
                    rename_in(&mut i.columns, from, to);
                }
                for f in &mut t.foreign_keys {
                    rename_in(&mut f.columns, from, to);
                }
                // Postgres keeps check expressions as parsed trees: they
                // name the column by its new name after the rename.
                for c in &mut t.checks {
                    if let Some(e) = &mut c.expression {
                        *e = rename_identifier(e, from, to);
                    }
                }
                for t in self.model.tables.values_mut() {
                    for f in t.foreign_keys.iter_mut().filter(|f| f.references == q) {
                        rename_in(&mut f.referenced_columns, from, to);
                    }
                }
            }
            OpKind::CreateIndex { index, .. } => {
                let folded = FoldedIndex {
                    name: index.name.clone(),
                    columns: index.columns.clone(),
                    unique: index.unique,
                    where_clause: index.where_clause.clone(),
                    using: index.using.as_deref().map(str::to_ascii_lowercase),
                    origin: origin.clone(),
                    constraint: false,
                    conditional: op.conditional,
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
                // Index names are unique per schema: `DROP INDEX name` finds it
                // there whatever its table.
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
            OpKind::RenameIndex {
                schema, from, to, ..
            } => {
                // Index names are unique per schema; a unique or primary key
                // constraint's index carries the constraint's name with it.
                let schema = schema
                    .clone()
                    .unwrap_or_else(|| self.model.default_schema.clone());
                for t in self
                    .model
                    .tables
                    .values_mut()
                    .filter(|t| t.schema == schema)
                {
                    let mut renamed = false;
                    for i in t.indexes.iter_mut().filter(|i| &i.name == from) {
                        i.name = to.clone();
                        renamed = true;
                    }
                    if renamed {
                        t.touched.push(origin.clone());
                    }
                }
            }
            OpKind::CreateConstraint {
                table, name, kind, ..
            } => {
                let tname = table.name.clone();
                let schema = table
                    .schema
                    .clone()
                    .unwrap_or_else(|| self.model.default_schema.clone());
                let taken = match (kind, name) {
                    (ConstraintKind::Check(_), None) => self.constraint_names_in(&schema),
                    _ => Vec::new(),
                };
                let fk = match kind {
                    ConstraintKind::ForeignKey {
                        columns,
                        references,
                    } => {
                        let mut fk = self.fk(&tname, columns, references, &origin, None);
                        if let Some(n) = name {
                            fk.name = n.clone();
                        }
                        Some(fk)
                    }
                    _ => None,
                };
                let conditional = op.conditional;
                let t = self.table_mut(table, &origin);
                match kind {
                    ConstraintKind::Check(expr) => t.checks.push(FoldedCheck {
                        name: name
                            .clone()
                            .unwrap_or_else(|| unnamed_check_name(&tname, expr, t, &taken)),
                        expression: Some(expr.clone()),
                        origin: origin.clone(),
                    }),
                    ConstraintKind::Exclude(expr) => t.exclusions.push(FoldedCheck {
                        name: name.clone().unwrap_or_else(|| format!("{tname}_excl")),
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
                        using: None,
                        origin: origin.clone(),
                        constraint: true,
                        conditional,
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
                }
            }
            OpKind::DropConstraint { table, name, .. } => {
                let t = self.table_mut(table, &origin);
                t.checks.retain(|c| &c.name != name);
                t.exclusions.retain(|c| &c.name != name);
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
            OpKind::RenameConstraint { table, from, to } => {
                let t = self.table_mut(table, &origin);
                let rename = |name: &mut String| {
                    if name == from {
                        *name = to.clone();
                    }
                };
                t.checks.iter_mut().for_each(|c| rename(&mut c.name));
                t.exclusions.iter_mut().for_each(|c| rename(&mut c.name));
                t.foreign_keys.iter_mut().for_each(|f| rename(&mut f.name));
                // Postgres renames a unique/primary key constraint's index too.
                t.indexes
                    .iter_mut()
                    .filter(|i| i.constraint)
                    .for_each(|i| rename(&mut i.name));
            }
            OpKind::OtherDdl { .. } => {}
        }
    }

    /// A table with nothing in it yet, in `table`'s schema.
    fn empty_table(&self, table: &TableName, origin: Origin) -> FoldedTable {
        let schema = table
            .schema
            .clone()
            .unwrap_or_else(|| self.model.default_schema.clone());
        let mut t = FoldedTable::partial(schema, table.name.clone());
        t.touched.push(origin);
        t
    }

    /// `create table` / raw `CREATE TABLE`: a new table, or, when it already
    /// exists, a `CreatedTwice`/`HiddenDrift` event and no change.
    fn create_table(
        &mut self,
        table: &TableName,
        guarded: bool,
        columns: &[ColumnDef],
        constraints: &[(Option<String>, ConstraintKind)],
        op: &MigrationOp,
        origin: Origin,
    ) {
        let q = self.qualify(table);
        let columns = self.with_repo_defaults(columns);
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
                                    normalize_pg_type(&canonical_pg_type(a))
                                        != normalize_pg_type(&canonical_pg_type(b))
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
        let mut t = self.empty_table(table, origin.clone());
        let taken = self.constraint_names_in(&t.schema);
        t.created = Some(origin.clone());
        t.created_guarded = guarded;
        t.partial = false;
        // A name written twice keeps its last definition, placed last; by
        // index, not by search, so a table of 60,000 columns stays linear.
        let mut defined: Vec<Option<FoldedColumn>> = Vec::with_capacity(columns.len());
        let mut slot: std::collections::HashMap<String, usize> =
            std::collections::HashMap::with_capacity(columns.len());
        for c in &columns {
            let col = self.column(c, &origin);
            if let Some(earlier) = slot.insert(col.name.clone(), defined.len()) {
                if let Some(d) = defined.get_mut(earlier) {
                    *d = None;
                }
            }
            defined.push(Some(col));
        }
        t.columns.retain(|f| !slot.contains_key(&f.name));
        t.columns.extend(defined.into_iter().flatten());
        // The key first: a `REFERENCES` to this table without a column list
        // means its primary key.
        for (_, kind) in constraints {
            if let ConstraintKind::PrimaryKey(cols) = kind {
                for f in t.columns.iter_mut().filter(|f| cols.contains(&f.name)) {
                    f.primary_key = true;
                    f.null = false;
                }
            }
        }
        for c in &columns {
            if let Some(fk) = &c.references {
                let folded = self.fk(
                    &table.name,
                    std::slice::from_ref(&c.name),
                    fk,
                    &origin,
                    Some((&q, &t.columns)),
                );
                t.foreign_keys.push(folded);
            }
        }
        for (name, kind) in constraints {
            match kind {
                ConstraintKind::PrimaryKey(_) => {}
                ConstraintKind::Unique(cols) => t.indexes.push(FoldedIndex {
                    name: name
                        .clone()
                        .unwrap_or_else(|| format!("{}_{}_key", table.name, cols.join("_"))),
                    columns: cols.clone(),
                    unique: true,
                    where_clause: None,
                    using: None,
                    origin: origin.clone(),
                    constraint: true,
                    conditional: op.conditional,
                }),
                ConstraintKind::ForeignKey {
                    columns,
                    references,
                } => {
                    let mut fk = self.fk(
                        &table.name,
                        columns,
                        references,
                        &origin,
                        Some((&q, &t.columns)),
                    );
                    if let Some(n) = name {
                        fk.name = n.clone();
                    }
                    t.foreign_keys.push(fk);
                }
                ConstraintKind::Check(expr) => t.checks.push(FoldedCheck {
                    name: name
                        .clone()
                        .unwrap_or_else(|| unnamed_check_name(&table.name, expr, &t, &taken)),
                    expression: Some(expr.clone()),
                    origin: origin.clone(),
                }),
                ConstraintKind::Exclude(expr) => t.exclusions.push(FoldedCheck {
                    name: name
                        .clone()
                        .unwrap_or_else(|| format!("{}_excl", table.name)),
                    expression: Some(expr.clone()),
                    origin: origin.clone(),
                }),
            }
        }
        // Changes seen before the creation (a partial entry from SQL we
        // could not order) are kept.
        if let Some(prev) = self.model.tables.remove(&q) {
            for c in prev.columns {
                if t.column(&c.name).is_none() {
                    t.columns.push(c);
                }
            }
            t.indexes.extend(prev.indexes);
            t.foreign_keys.extend(prev.foreign_keys);
            t.checks.extend(prev.checks);
            t.exclusions.extend(prev.exclusions);
        }
        self.model.tables.insert(q, t);
    }
}

/// The name Postgres gives an unnamed check constraint on `t`:
/// `<table>_<column>_check` when the expression names exactly one column,
/// else `<table>_check`, with `1`, `2`, … after `check` when taken on `t`
/// or in `taken` (the other constraint names of its schema).
fn unnamed_check_name(table: &str, expr: &str, t: &FoldedTable, taken: &[String]) -> String {
    let mut named: Vec<&str> = identifiers(expr)
        .into_iter()
        .filter(|w| t.columns.iter().any(|c| c.name == *w))
        .collect();
    named.sort_unstable();
    named.dedup();
    let column = match named.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let taken = |n: &str| {
        taken.iter().any(|c| c == n)
            || t.checks.iter().any(|c| c.name == n)
            || t.exclusions.iter().any(|c| c.name == n)
            || t.foreign_keys.iter().any(|f| f.name == n)
            || t.indexes.iter().any(|i| i.constraint && i.name == n)
    };
    let mut name = object_name(table, column, "check");
    let mut pass = 0;
    while taken(&name) && pass < 1000 {
        pass += 1;
        name = object_name(table, column, &format!("check{pass}"));
    }
    name
}

/// Postgres's `makeObjectName`: `name1_name2_label` within 63 bytes, the
/// longer of the two names shortened first (at a character boundary).
fn object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    const MAX: usize = 63;
    let overhead = label.len() + 1 + usize::from(name2.is_some());
    let avail = MAX.saturating_sub(overhead);
    let (mut n1, mut n2) = (name1.len(), name2.map_or(0, str::len));
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let clip = |s: &str, mut n: usize| {
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s.get(..n).unwrap_or("").to_string()
    };
    let mut out = clip(name1, n1);
    if let Some(n) = name2 {
        out.push('_');
        out.push_str(&clip(n, n2));
    }
    out.push('_');
    out.push_str(label);
    out
}

/// The words of `expr` that may be column names: whole identifiers outside
/// string literals, not function names (`lower(`).
fn identifiers(expr: &str) -> Vec<&str> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut chars = expr.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            for (_, q) in chars.by_ref() {
                if q == '\'' {
                    break;
                }
            }
            continue;
        }
        if !is_word(c) {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some((j, w)) = chars.peek().copied() {
            if !is_word(w) {
                break;
            }
            end = j + w.len_utf8();
            chars.next();
        }
        let called = expr
            .get(end..)
            .is_some_and(|r| r.trim_start().starts_with('('));
        if let (Some(word), false) = (expr.get(i..end), called) {
            out.push(word);
        }
    }
    out
}

/// Rename `from` to `to` in a column list.
/// `expr` with the column `from` named `to`: whole identifiers outside
/// string literals, not function names (`lower(`).
fn rename_identifier(expr: &str, from: &str, to: &str) -> String {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(expr.len());
    let mut chars = expr.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            out.push(c);
            for (_, q) in chars.by_ref() {
                out.push(q);
                if q == '\'' {
                    break;
                }
            }
            continue;
        }
        if !is_word(c) {
            out.push(c);
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some((j, w)) = chars.peek().copied() {
            if !is_word(w) {
                break;
            }
            end = j + w.len_utf8();
            chars.next();
        }
        let word = expr.get(i..end).unwrap_or("");
        let called = expr
            .get(end..)
            .is_some_and(|r| r.trim_start().starts_with('('));
        if word == from && !called {
            out.push_str(to);
        } else {
            out.push_str(word);
        }
    }
    out
}

fn rename_in(columns: &mut [String], from: &str, to: &str) {
    for c in columns.iter_mut().filter(|c| *c == from) {
        *c = to.to_string();
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
    #[test]
    fn a_column_rename_follows_into_check_expressions() {
        assert_eq!(
            rename_identifier(
                "total >= 0 AND total_max > total AND label <> 'total'",
                "total",
                "amount"
            ),
            "amount >= 0 AND total_max > amount AND label <> 'total'"
        );
        assert_eq!(
            rename_identifier("lower(name) <> ''", "lower", "x"),
            "lower(name) <> ''"
        );
        assert_eq!(
            rename_identifier("'unclosed total", "total", "x"),
            "'unclosed total"
        );
        assert_eq!(rename_identifier("é total", "total", "x"), "é x");
    }

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

    /// Fold `priv/repo/migrations`, given as (file name, `change/0` body or a
    /// whole module when it starts with `defmodule`), in the order given.
    fn fold_with(config: &RepoMigrationConfig, migrations: &[&str]) -> RepoModel {
        let mut files = vec![(
            "mix.exs".to_string(),
            "defmodule App.MixProject do\nend\n".to_string(),
        )];
        for (i, body) in migrations.iter().enumerate() {
            let text = if body.trim_start().starts_with("defmodule") {
                body.to_string()
            } else {
                format!(
                    "defmodule App.Repo.Migrations.M{i} do\n  use Ecto.Migration\n\n  def change do\n{body}\n  end\nend\n"
                )
            };
            files.push((
                format!("priv/repo/migrations/2024010100{i:04}_m{i}.exs"),
                text,
            ));
        }
        let ws = Workspace::from_memory(std::path::Path::new("/app"), files).unwrap_or_default();
        let key = ModelKey {
            repo_dir: "priv/repo".into(),
            tenant: false,
        };
        fold_model(&ws, &key, "", Some("App.Repo".into()), config)
    }

    fn fold(migrations: &[&str]) -> RepoModel {
        fold_with(&RepoMigrationConfig::default(), migrations)
    }

    /// Names as PostgreSQL 15 gives them (checked against a server): one
    /// column named, however often → `<table>_<column>_check`; none or
    /// several → `<table>_check`; a name taken in the schema gets `1`, `2`,
    /// …; 63 bytes.
    #[test]
    fn unnamed_checks_are_named_as_postgres_names_them() {
        let long = "averyveryveryverylongtablenamethatgoesonandonandonforeverandeve";
        let m = fold(&[&format!(
            r#"
    execute """
    CREATE TABLE t (a int CHECK (a > 0 AND a < 10), b int CHECK (b > 0), c int,
      CHECK (c > b), CHECK (c > 1), CHECK (1 > 0), d int CHECK (d > 0),
      note text CHECK (note <> 'a and b'), CHECK (lower(note) <> ''));
    ALTER TABLE t ADD CHECK (d < 5);
    ALTER TABLE t ADD CHECK (a < 100);
    CREATE TABLE {long} (col_with_long_name int CHECK (col_with_long_name > 0));
    CREATE TABLE x (a int, CONSTRAINT y_a_check CHECK (a > 0));
    CREATE TABLE y (a int CHECK (a > 0));
    """, "SELECT 1""#
        )]);
        let names: Vec<&str> = table(&m, "public.t")
            .checks
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "t_a_check",
                "t_b_check",
                "t_check",
                "t_c_check",
                "t_check1",
                "t_d_check",
                "t_note_check",
                "t_note_check1",
                "t_d_check1",
                "t_a_check1"
            ]
        );
        assert_eq!(
            table(&m, &format!("public.{long}")).checks[0].name,
            "averyveryveryverylongtablenamethatgoes_col_with_long_name_check"
        );
        // Taken by another table of the schema.
        assert_eq!(table(&m, "public.y").checks[0].name, "y_a_check1");
        assert_eq!(object_name("é", Some(&"x".repeat(70)), "check").len(), 63);
    }

    fn table<'m>(m: &'m RepoModel, q: &str) -> &'m FoldedTable {
        match m.table(q) {
            Some(t) => t,
            None => panic!("no table {q} in {:?}", m.tables.keys().collect::<Vec<_>>()),
        }
    }

    fn column_type(t: &FoldedTable, name: &str) -> Option<String> {
        t.column(name).and_then(|c| c.pg_type.clone())
    }

    fn fk<'t>(t: &'t FoldedTable, name: &str) -> &'t FoldedForeignKey {
        match t.foreign_keys.iter().find(|f| f.name == name) {
            Some(f) => f,
            None => panic!(
                "no foreign key {name} on {}: {:?}",
                t.qualified(),
                t.foreign_keys
            ),
        }
    }

    fn index_names(t: &FoldedTable) -> Vec<&str> {
        t.indexes.iter().map(|i| i.name.as_str()).collect()
    }

    const ORGS_AND_MEMBERS: &str = r#"
    create table(:orgs) do
      add :name, :string
    end

    create table(:members) do
      add :org_id, references(:orgs, on_delete: :delete_all), null: false
      add :inviter_id, references(:members, type: :bigint)
      add :account_id, references(:accounts, column: :uid, type: :uuid)
    end
    alter table(:members) do
      add :team_id, references(:teams)
      modify :inviter_id, references(:members), from: references(:members, type: :bigint)
    end"#;

    #[test]
    fn references_without_type_take_the_repo_key_type() {
        let uuid_keys = RepoMigrationConfig {
            primary_key: Some(("id".into(), "uuid".into())),
            ..Default::default()
        };
        let m = fold_with(&uuid_keys, &[ORGS_AND_MEMBERS]);
        let members = table(&m, "public.members");
        assert_eq!(column_type(members, "id").as_deref(), Some("uuid"));
        assert_eq!(column_type(members, "org_id").as_deref(), Some("uuid"));
        assert_eq!(column_type(members, "account_id").as_deref(), Some("uuid"));
        // `add` in `alter` and `modify` without `type:` follow the config too.
        assert_eq!(column_type(members, "team_id").as_deref(), Some("uuid"));
        assert_eq!(column_type(members, "inviter_id").as_deref(), Some("uuid"));
        assert_eq!(
            fk(members, "members_org_id_fkey").referenced_columns,
            ["id"]
        );

        // Without config: Ecto's `:bigserial` key, referenced as bigint.
        let m = fold(&[ORGS_AND_MEMBERS]);
        let members = table(&m, "public.members");
        assert_eq!(column_type(members, "id").as_deref(), Some("bigserial"));
        assert_eq!(column_type(members, "org_id").as_deref(), Some("bigint"));
        assert_eq!(
            column_type(members, "inviter_id").as_deref(),
            Some("bigint")
        );
        assert_eq!(column_type(members, "account_id").as_deref(), Some("uuid"));
    }

    #[test]
    fn migration_foreign_key_overrides_the_key_type_and_column() {
        let config = RepoMigrationConfig {
            primary_key: Some(("id".into(), "uuid".into())),
            foreign_key_type: Some("bigserial".into()),
            foreign_key_column: Some("uid".into()),
            ..Default::default()
        };
        assert_eq!(config.reference_type().as_deref(), Some("bigint"));
        let m = fold_with(&config, &[ORGS_AND_MEMBERS]);
        let members = table(&m, "public.members");
        assert_eq!(column_type(members, "org_id").as_deref(), Some("bigint"));
        assert_eq!(
            fk(members, "members_org_id_fkey").referenced_columns,
            ["uid"]
        );
        // A written `column:` wins over the config.
        assert_eq!(
            fk(members, "members_account_id_fkey").referenced_columns,
            ["uid"]
        );
        assert_eq!(column_type(members, "account_id").as_deref(), Some("uuid"));

        // `migration_primary_key: false` gives `references` nothing to take.
        let no_key = RepoMigrationConfig {
            no_primary_key: true,
            primary_key: Some(("id".into(), "uuid".into())),
            ..Default::default()
        };
        assert_eq!(no_key.reference_type(), None);
        let serial = RepoMigrationConfig {
            primary_key: Some(("id".into(), "serial".into())),
            ..Default::default()
        };
        assert_eq!(serial.reference_type().as_deref(), Some("integer"));
    }

    #[test]
    fn canonical_types_use_postgres_names_for_ecto_aliases() {
        for (written, shown) in [
            ("float", "float8"),
            ("float[]", "float8[]"),
            ("FLOAT(10)", "float4"),
            ("float(53)", "float8"),
            ("float(99)", "float(99)"),
            ("double precision", "float8"),
            ("decimal", "numeric"),
            ("decimal(10,2)", "numeric(10,2)"),
            ("decimal(10,2)[][]", "numeric(10,2)[][]"),
            ("decimals", "decimals"),
            ("varchar(255)", "varchar(255)"),
            ("timestamp(0)", "timestamp(0)"),
            ("bigserial", "bigserial"),
            ("timestamptz", "timestamptz"),
            ("", ""),
            ("[]", "[]"),
            ("é(", "é("),
        ] {
            assert_eq!(canonical_pg_type(written), shown, "{written}");
        }
        let m = fold(&[r#"
    create table(:prices) do
      add :amount, :decimal, precision: 10, scale: 2
      add :ratio, :float
      add :history, {:array, :decimal}
    end
    alter table(:prices) do
      modify :ratio, :decimal
    end"#]);
        let prices = table(&m, "public.prices");
        assert_eq!(
            column_type(prices, "amount").as_deref(),
            Some("numeric(10,2)")
        );
        assert_eq!(column_type(prices, "ratio").as_deref(), Some("numeric"));
        assert_eq!(column_type(prices, "history").as_deref(), Some("numeric[]"));
    }

    #[test]
    fn raw_drop_index_finds_the_index_by_name_in_its_schema() {
        let m = fold(&[
            r#"
    create table(:posts) do
      add :title, :string
    end
    create table(:posts, prefix: "archive") do
      add :title, :string
    end
    create index(:posts, [:title])
    create index(:posts, [:title], prefix: "archive")
    create index(:posts, [:inserted_at], name: :posts_recent_index)"#,
            r#"
    execute "DROP INDEX IF EXISTS posts_title_index", "SELECT 1"
    execute "DROP INDEX archive.posts_recent_index", "SELECT 1""#,
        ]);
        assert_eq!(
            index_names(table(&m, "public.posts")),
            ["posts_recent_index"]
        );
        assert_eq!(
            index_names(table(&m, "archive.posts")),
            ["posts_title_index"]
        );
    }

    #[test]
    fn statements_in_private_helpers_land() {
        let m = fold(&[r#"defmodule App.Repo.Migrations.Helpers do
  use Ecto.Migration

  def change do
    create_orders()
    index_orders()
  end

  defp create_orders do
    create table(:orders) do
      add :total, :integer
    end
  end

  defp index_orders do
    create index(:orders, [:total])
  end
end
"#]);
        let orders = table(&m, "public.orders");
        assert_eq!(column_type(orders, "total").as_deref(), Some("integer"));
        assert_eq!(index_names(orders), ["orders_total_index"]);
    }

    #[test]
    fn renames_keep_names_and_references_follow_the_table() {
        let m = fold(&[
            ORGS_AND_MEMBERS,
            r#"
    create index(:orgs, [:name])
    create constraint(:orgs, :name_present, check: "name <> ''")
    rename table(:orgs), :id, to: :org_id
    rename table(:orgs), to: table(:companies)
    rename table(:members), :org_id, to: :company_id"#,
        ]);
        assert!(m.table("public.orgs").is_none());
        let companies = table(&m, "public.companies");
        assert_eq!(index_names(companies), ["orgs_name_index"]);
        assert_eq!(companies.checks[0].name, "name_present");
        let members = table(&m, "public.members");
        let org = fk(members, "members_org_id_fkey");
        assert_eq!(org.references, "public.companies");
        assert_eq!(org.columns, ["company_id"]);
        assert_eq!(org.referenced_columns, ["org_id"]);
        // A self-reference follows its own table's rename too.
        let m = fold(&[
            ORGS_AND_MEMBERS,
            r#"    execute "ALTER TABLE members RENAME TO people", "SELECT 1"
    execute "ALTER TABLE people SET SCHEMA directory", "SELECT 1""#,
        ]);
        let people = table(&m, "directory.people");
        assert_eq!(
            fk(people, "members_inviter_id_fkey").references,
            "directory.people"
        );
    }

    #[test]
    fn dropping_a_table_or_column_drops_the_keys_onto_it() {
        let m = fold(&[
            ORGS_AND_MEMBERS,
            r#"    execute "DROP TABLE teams CASCADE", "SELECT 1"
    alter table(:members) do
      remove :account_id
    end
    alter table(:orgs) do
      remove :id
    end"#,
        ]);
        let members = table(&m, "public.members");
        let names: Vec<&str> = members
            .foreign_keys
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, ["members_inviter_id_fkey"]);
    }

    #[test]
    fn foreign_keys_in_postgres_words_and_raw_references_to_the_key() {
        let m = fold(&[
            ORGS_AND_MEMBERS,
            r#"    execute """
    CREATE TABLE invites (
      code text PRIMARY KEY,
      org_id bigint REFERENCES orgs ON DELETE SET NULL ON UPDATE CASCADE,
      parent text REFERENCES invites,
      member_id bigint,
      FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE NO ACTION
    )
    """, "SELECT 1"
    alter table(:members) do
      add :sponsor_id, references(:members, on_delete: {:nilify, [:sponsor_id]}, on_update: :update_all)
    end"#,
        ]);
        let members = table(&m, "public.members");
        let org = fk(members, "members_org_id_fkey");
        assert_eq!(org.on_delete.as_deref(), Some("cascade"));
        assert_eq!(org.on_update, None);
        let sponsor = fk(members, "members_sponsor_id_fkey");
        assert_eq!(sponsor.on_delete.as_deref(), Some("set null (sponsor_id)"));
        assert_eq!(sponsor.on_update.as_deref(), Some("cascade"));
        let invites = table(&m, "public.invites");
        let org = fk(invites, "invites_org_id_fkey");
        assert_eq!(org.referenced_columns, ["id"]);
        assert_eq!(org.on_delete.as_deref(), Some("set null"));
        assert_eq!(org.on_update.as_deref(), Some("cascade"));
        assert_eq!(
            fk(invites, "invites_parent_fkey").referenced_columns,
            ["code"]
        );
        assert_eq!(fk(invites, "invites_member_id_fkey").on_delete, None);
    }

    #[test]
    fn exclusions_conditional_indexes_and_access_methods() {
        let m = fold(&[r#"
    create table(:bookings) do
      add :room, :integer
      add :during, :tstzrange
    end
    create constraint(:bookings, :no_double_booking, exclude: ~s|gist (room WITH =, during WITH &&)|)
    create constraint(:bookings, :room_positive, check: "room > 0")
    create index(:bookings, [:during], using: "GIST")
    if System.get_env("SEARCH") do
      create index(:bookings, [:room], name: :bookings_search_index)
    end"#]);
        let b = table(&m, "public.bookings");
        assert_eq!(b.exclusions.len(), 1);
        assert_eq!(b.exclusions[0].name, "no_double_booking");
        assert_eq!(
            b.exclusions[0].expression.as_deref(),
            Some("gist (room WITH =, during WITH &&)")
        );
        assert_eq!(b.checks.len(), 1);
        let gist = &b.indexes[0];
        assert_eq!(
            (gist.using.as_deref(), gist.conditional),
            (Some("gist"), false)
        );
        let search = &b.indexes[1];
        assert_eq!(
            (search.name.as_str(), search.conditional),
            ("bookings_search_index", true)
        );

        let m = fold(&[
            r#"
    create table(:bookings) do
      add :room, :integer
    end
    create constraint(:bookings, :no_double_booking, exclude: ~s|gist (room WITH =)|)"#,
            r#"    drop constraint(:bookings, :no_double_booking)"#,
        ]);
        assert!(table(&m, "public.bookings").exclusions.is_empty());
    }

    #[test]
    fn views_are_guarded_only_when_the_sql_says_so() {
        let m = fold(&[r#"
    execute "CREATE VIEW a AS SELECT 1 AS one", "SELECT 1"
    execute "CREATE OR REPLACE VIEW b AS SELECT 1 AS one", "SELECT 1"
    execute "CREATE MATERIALIZED VIEW IF NOT EXISTS c AS SELECT 1 AS one", "SELECT 1"
    execute "CREATE MATERIALIZED VIEW d AS SELECT 1 AS one", "SELECT 1""#]);
        let guarded: Vec<(&str, RelationKind, bool)> = m
            .tables
            .values()
            .map(|t| (t.name.as_str(), t.kind, t.created_guarded))
            .collect();
        assert_eq!(
            guarded,
            [
                ("a", RelationKind::View, false),
                ("b", RelationKind::View, true),
                ("c", RelationKind::MaterializedView, true),
                ("d", RelationKind::MaterializedView, false),
            ]
        );
    }

    #[test]
    fn hidden_drift_skips_the_new_body() {
        let m = fold(&[
            r#"
    create table(:events) do
      add :name, :string
    end"#,
            r#"
    create_if_not_exists table(:events) do
      add :name, :string, null: false
      add :payload, :map
    end"#,
        ]);
        let events = table(&m, "public.events");
        assert!(events.column("payload").is_none());
        assert_eq!(
            m.events,
            [FoldEvent::HiddenDrift {
                table: "public.events".into(),
                at: events.touched[1].clone(),
                earlier: events.touched[0].clone(),
                skipped_columns: vec!["payload".into()],
                differing_columns: vec!["name".into()],
            }]
        );
    }

    #[test]
    fn columns_whose_creation_was_never_seen_exist_after_modify_or_rename() {
        let m = fold(&[
            r#"
    create table(:parcels) do
      add :weight, :integer
    end
    execute "ALTER TABLE parcels ADD COLUMN #{@legacy_columns}", "SELECT 1""#,
            r#"
    alter table(:parcels) do
      modify :legacy_code, :text, null: false
      modify :legacy_note, :string
      remove :legacy_flag
    end
    rename table(:parcels), :old_label, to: :label
    rename table(:parcels), :weight, to: :weight_grams
    execute "ALTER TABLE parcels ALTER COLUMN legacy_rank SET DEFAULT 0", "SELECT 1"
    if System.get_env("HUBS") do
      alter table(:parcels) do
        modify :hub_id, :bigint
      end
    end"#,
        ]);
        let parcels = table(&m, "public.parcels");
        assert!(parcels.partial && parcels.created.is_some());
        let shape = |name: &str| {
            parcels.column(name).map(|c| {
                (
                    c.pg_type.as_deref(),
                    c.null,
                    c.null_known,
                    c.default.as_deref(),
                )
            })
        };
        assert_eq!(
            shape("legacy_code"),
            Some((Some("text"), false, true, None))
        );
        // Not said: nullability unknown, not a fact to report on.
        assert_eq!(
            shape("legacy_note"),
            Some((Some("varchar(255)"), true, false, None))
        );
        assert_eq!(shape("label"), Some((None, true, false, None)));
        assert_eq!(shape("legacy_rank"), Some((None, true, false, Some("0"))));
        assert_eq!(
            shape("weight_grams"),
            Some((Some("integer"), true, true, None))
        );
        for absent in ["legacy_flag", "old_label", "weight", "hub_id"] {
            assert!(parcels.column(absent).is_none(), "{absent}");
        }
        let code = parcels.column("legacy_code").map(|c| &c.created);
        assert!(code.is_some_and(|o| o.file.ends_with("_m1.exs")));

        // A fully seen table stays complete when every column is known.
        let m = fold(&[r#"
    create table(:hubs) do
      add :name, :string
    end
    alter table(:hubs) do
      modify :name, :text
    end
    rename table(:hubs), :name, to: :title"#]);
        let hubs = table(&m, "public.hubs");
        assert!(!hubs.partial);
        assert_eq!(column_type(hubs, "title").as_deref(), Some("text"));
    }

    #[test]
    fn renamed_indexes_and_constraints_keep_their_new_names() {
        let m = fold(&[
            r#"
    create table(:tickets) do
      add :code, :string
      add :seat, :integer
    end
    create table(:tickets, prefix: "archive") do
      add :code, :string
    end
    create index(:tickets, [:seat])
    create index(:tickets, [:code], prefix: "archive")
    create constraint(:tickets, :seat_positive, check: "seat > 0")
    execute "ALTER TABLE tickets ADD CONSTRAINT tickets_code_key UNIQUE (code)", "SELECT 1"
    execute "ALTER TABLE tickets ADD CONSTRAINT tickets_seat_excl EXCLUDE USING gist (seat WITH =)", "SELECT 1""#,
            r#"
    rename index(:tickets, [:seat], name: :tickets_seat_index), to: :tickets_by_seat
    execute "ALTER INDEX IF EXISTS archive.tickets_code_index RENAME TO tickets_by_code", "SELECT 1"
    execute "ALTER INDEX tickets_code_key RENAME TO tickets_unique_code", "SELECT 1"
    execute "ALTER TABLE tickets RENAME CONSTRAINT seat_positive TO tickets_seat_check", "SELECT 1"
    execute "ALTER TABLE tickets RENAME CONSTRAINT tickets_seat_excl TO tickets_no_double_seat", "SELECT 1"
    execute "ALTER INDEX missing_index RENAME TO still_missing", "SELECT 1""#,
        ]);
        let tickets = table(&m, "public.tickets");
        assert_eq!(
            index_names(tickets),
            ["tickets_by_seat", "tickets_unique_code"]
        );
        assert_eq!(tickets.checks[0].name, "tickets_seat_check");
        assert_eq!(tickets.exclusions[0].name, "tickets_no_double_seat");
        assert_eq!(
            index_names(table(&m, "archive.tickets")),
            ["tickets_by_code"]
        );

        // A unique constraint renamed by name is gone under its new name.
        let m = fold(&[
            r#"
    create table(:tickets) do
      add :code, :string
    end
    execute "ALTER TABLE tickets ADD CONSTRAINT tickets_code_key UNIQUE (code)", "SELECT 1""#,
            r#"    execute "ALTER TABLE tickets RENAME CONSTRAINT tickets_code_key TO tickets_code_unique", "SELECT 1"
    drop constraint(:tickets, :tickets_code_unique)"#,
        ]);
        assert!(table(&m, "public.tickets").indexes.is_empty());
    }

    #[test]
    fn modify_to_references_replaces_or_drops_the_old_key() {
        let base = r#"
    create table(:authors) do
      add :name, :string
    end
    create table(:books) do
      add :author_id, references(:authors, name: :books_writer_fk)
      add :editor_id, references(:authors)
      add :series_id, references(:authors)
    end"#;
        let m = fold(&[
            base,
            r#"
    alter table(:books) do
      modify :author_id, references(:authors, on_delete: :delete_all), from: references(:authors, name: :books_writer_fk)
      modify :editor_id, :bigint, from: references(:authors)
      modify :series_id, references(:authors, on_delete: :nilify_all)
    end"#,
        ]);
        let books = table(&m, "public.books");
        let keys: Vec<(&str, &[String], Option<&str>)> = books
            .foreign_keys
            .iter()
            .map(|f| {
                (
                    f.name.as_str(),
                    f.columns.as_slice(),
                    f.on_delete.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                (
                    "books_author_id_fkey",
                    &["author_id".to_string()][..],
                    Some("cascade")
                ),
                (
                    "books_series_id_fkey",
                    &["series_id".to_string()][..],
                    Some("set null")
                ),
            ]
        );
    }

    #[test]
    fn composite_references_cover_the_with_columns() {
        let schools = r#"
    create table(:staff, primary_key: false) do
      add :id, :bigserial, primary_key: true
      add :school_id, :bigint, primary_key: true
    end
    create table(:classes) do
      add :school_id, :bigint, null: false
      add :teacher_id, references(:staff, with: [school_id: :school_id], match: :full)
    end
    alter table(:classes) do
      add :assistant_id, references(:staff, with: [school_id: :school_id], name: :classes_assistant_fkey)
    end"#;
        let m = fold(&[schools]);
        let classes = table(&m, "public.classes");
        let teacher = fk(classes, "classes_teacher_id_fkey");
        assert_eq!(teacher.columns, ["teacher_id", "school_id"]);
        assert_eq!(teacher.referenced_columns, ["id", "school_id"]);
        assert_eq!(teacher.references, "public.staff");
        let assistant = fk(classes, "classes_assistant_fkey");
        assert_eq!(assistant.columns, ["assistant_id", "school_id"]);
        // Dropping a `with:` column drops the composite key with it.
        let m = fold(&[
            schools,
            r#"
    alter table(:classes) do
      remove :school_id
    end"#,
        ]);
        assert!(table(&m, "public.classes").foreign_keys.is_empty());
        // The repo's default referenced column replaces only the first.
        let uid = RepoMigrationConfig {
            foreign_key_column: Some("uid".into()),
            ..Default::default()
        };
        let m = fold_with(&uid, &[schools]);
        let classes = table(&m, "public.classes");
        assert_eq!(
            fk(classes, "classes_teacher_id_fkey").referenced_columns,
            ["uid", "school_id"]
        );
    }

    #[test]
    fn bad_input_folds_to_what_can_be_read() {
        let m = fold(&[
            "",
            "\u{0}\u{1}\u{fffd}\u{7f} create table(",
            "    create table(:ok) do\n      add :a, :text\n",
            r#"    alter table(:nowhere) do
      modify :x, :decimal
      remove :y
    end
    rename table(:missing), to: table(:still_missing)
    execute "DROP INDEX", "SELECT 1"
    drop table(:never)"#,
        ]);
        let nowhere = table(&m, "public.nowhere");
        assert!(nowhere.partial && nowhere.created.is_none());
        assert!(m.table("public.still_missing").is_none());
    }
}
