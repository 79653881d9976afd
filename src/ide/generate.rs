//! New migrations: "generate idempotent migration" for a resource, and the
//! drift fixes that write one (add a column, create a table, a unique index,
//! a foreign key, change a column) or edit the resource instead.
//!
//! A generated migration brings the table in line with the resource whatever
//! state the database is in: `create_if_not_exists` with every column,
//! `add_if_not_exists` for each column an existing table may lack, guarded
//! unique indexes and foreign keys, and a `down/0` that undoes only what
//! `up/0` may have made.

mod drift;
pub mod plan;
pub mod writer;

pub use drift::{drift_fixes, drift_fixes_with};

use super::actions::{Action, ActionKind, NewFile};
use super::Snapshot;
use crate::model::analysis::LinkedResource;
use crate::model::fold::FoldedTable;
use crate::model::workspace::FileRole;
use plan::{Prefix, TablePlan, TypeChange};
use std::collections::BTreeSet;
use std::fmt;
use writer::{Expr, Function, Stmt};

/// What a generation depends on besides the project: the clock (injected
/// so tests are deterministic) and whether to change existing columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Seconds since the Unix epoch (UTC): the migration's version.
    pub now: u64,
    /// Also `modify` columns whose type or nullability differ.
    pub alter_columns: bool,
}

impl GenerateOptions {
    /// Options at a given time, without column changes.
    pub fn at(now: u64) -> GenerateOptions {
        GenerateOptions {
            now,
            alter_columns: false,
        }
    }

    /// Options at the system clock's time.
    pub fn now() -> GenerateOptions {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        GenerateOptions::at(now)
    }
}

/// A migration file to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedMigration {
    /// Workspace-relative path, `/`-separated.
    pub path: String,
    pub module: String,
    pub text: String,
}

impl GeneratedMigration {
    fn into_new_file(self) -> NewFile {
        NewFile {
            path: self.path,
            text: self.text,
        }
    }
}

/// Why no migration could be generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenerateError {
    /// No Postgres-backed resource or schema has that name.
    Unknown(String),
    /// Several resources end with that name.
    Ambiguous {
        query: String,
        candidates: Vec<String>,
    },
    /// The table (or schema) name is not a literal.
    NoTable(String),
    /// The repo (and so the migrations folder) is not known.
    NoRepo(String),
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerateError::Unknown(q) => write!(f, "no resource or schema named {q}"),
            GenerateError::Ambiguous { query, candidates } => write!(
                f,
                "{query} names several resources: {}",
                candidates.join(", ")
            ),
            GenerateError::NoTable(m) => {
                write!(
                    f,
                    "the table of {m} is not a literal, so no migration can be written for it"
                )
            }
            GenerateError::NoRepo(m) => {
                write!(
                    f,
                    "the repo of {m} is not known, so its migrations folder is not either"
                )
            }
        }
    }
}

impl std::error::Error for GenerateError {}

/// The resource `query` names: its full module name, or a unique suffix of
/// it at a `.` (`SecurityEvent`, `Platform.SecurityEvent`).
pub fn find_resource<'s>(
    snap: &'s Snapshot,
    query: &str,
) -> Result<&'s LinkedResource, GenerateError> {
    let query = query.trim().trim_start_matches("Elixir.");
    let resources = &snap.analysis.resources;
    if let Some(r) = resources.iter().find(|r| r.facts.module == query) {
        return Ok(r);
    }
    let suffix = format!(".{query}");
    let matching: Vec<&LinkedResource> = resources
        .iter()
        .filter(|r| !query.is_empty() && r.facts.module.ends_with(&suffix))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(GenerateError::Unknown(query.to_string())),
        many => {
            let mut candidates: Vec<String> = many.iter().map(|r| r.facts.module.clone()).collect();
            candidates.sort();
            candidates.dedup();
            Err(GenerateError::Ambiguous {
                query: query.to_string(),
                candidates,
            })
        }
    }
}

/// "Generate idempotent migration" when `offset` in `file` is anywhere in
/// a resource module.
pub fn generate_at(snap: &Snapshot, file: &str, offset: usize) -> Option<Action> {
    let r = resource_at(snap, file, offset)?;
    let generated = generate(snap, r, &GenerateOptions::now()).ok()?;
    Some(Action {
        title: format!("Generate idempotent migration for {}", r.facts.module),
        kind: ActionKind::GenerateMigration,
        preferred: false,
        fixes: Vec::new(),
        edits: Vec::new(),
        new_files: vec![generated.into_new_file()],
    })
}

/// The resource whose `defmodule … end` holds `offset`.
fn resource_at<'s>(snap: &'s Snapshot, file: &str, offset: usize) -> Option<&'s LinkedResource> {
    let source = snap.file(file)?;
    let in_file: Vec<&LinkedResource> = snap
        .analysis
        .resources
        .iter()
        .filter(|r| r.file == file)
        .collect();
    if in_file.is_empty() {
        return None;
    }
    let tree = crate::syntax::elixir::parse(&source.text)?;
    let modules = crate::syntax::elixir::modules(&tree, &source.text);
    // The innermost module holding the offset wins (nested modules).
    modules
        .iter()
        .filter(|m| m.node.start_byte() <= offset && offset <= m.node.end_byte())
        .min_by_key(|m| m.node.end_byte() - m.node.start_byte())
        .and_then(|m| in_file.iter().copied().find(|r| r.facts.module == m.name))
}

/// The migration that brings `r`'s table in line with it.
pub fn generate(
    snap: &Snapshot,
    r: &LinkedResource,
    options: &GenerateOptions,
) -> Result<GeneratedMigration, GenerateError> {
    let target = Target::of(snap, r)?;
    let plan = target.plan(snap, r);
    let model = snap.analysis.model_of(r);
    let existing = plan::existing_table(model, r);
    let mut up = notes(&plan);
    // An existing table keeps its body: re-declaring more than its key
    // would be skipped silently (and reported as hidden drift).
    let created: Vec<&plan::ColumnPlan> = plan
        .columns
        .iter()
        .filter(|c| existing.is_none() || c.primary_key)
        .collect();
    if !created.is_empty() {
        let body = created
            .iter()
            .map(|c| {
                let reference = plan.foreign_key(&c.name).map(plan::references);
                plan::add_column("add", c, reference)
            })
            .collect();
        up.push(Stmt::Block {
            verb: "create_if_not_exists".into(),
            call: plan.table_call(true),
            body,
        });
    }
    let mut alter: Vec<Stmt> = plan
        .columns
        .iter()
        .filter(|c| !c.primary_key)
        .map(|c| plan::add_column("add_if_not_exists", c, None))
        .collect();
    let changes = match (existing, options.alter_columns) {
        (Some(table), true) => column_changes(snap, r, &plan, table),
        _ => ColumnChanges::default(),
    };
    for note in changes.notes.into_iter().rev() {
        up.insert(0, Stmt::Comment(note));
    }
    alter.extend(changes.modify);
    if !alter.is_empty() {
        up.push(Stmt::Blank);
        up.push(Stmt::Block {
            verb: "alter".into(),
            call: plan.table_call(false),
            body: alter,
        });
    }
    for stmt in changes.retype {
        up.push(Stmt::Blank);
        up.push(stmt);
    }
    let mut down = Vec::new();
    if !plan.unique_indexes.is_empty() {
        up.push(Stmt::Blank);
    }
    for index in &plan.unique_indexes {
        // A unique index over the same columns under another name already
        // does the identity's work; a second one would only cost writes. It
        // is declared again by its own name (a no-op where it exists) for a
        // database whose table is missing, where `create_if_not_exists
        // table` makes the table without it.
        match existing.and_then(|t| plan::covering_index(t, index)) {
            Some(plan::Covering::PrimaryKey) => continue,
            Some(plan::Covering::Index(other)) => {
                up.push(plan::create_unique_index(&plan, &other));
                continue;
            }
            None => {}
        }
        up.push(plan::create_unique_index(&plan, index));
        if existing.is_some_and(|t| !t.indexes.iter().any(|i| i.name == index.name)) {
            down.push(plan::drop_index(&plan, index));
        }
    }
    for fk in &plan.foreign_keys {
        // The guard checks the name: a key under another name would be doubled.
        if existing.is_some_and(|t| {
            t.foreign_keys
                .iter()
                .any(|f| f.name != fk.name && f.columns.first() == Some(&fk.column))
        }) {
            continue;
        }
        // A new tenant table gets the key from `references` in its body;
        // the guard would need the tenant schema interpolated into SQL,
        // which no reader (ours included) can follow.
        if plan.prefix == Prefix::Tenant && existing.is_none() {
            continue;
        }
        up.push(Stmt::Blank);
        match plan::guarded_foreign_key(&plan, fk) {
            Some(stmt) => up.push(stmt),
            None => up.push(Stmt::Comment(format!(
                "foreign key {} is left out: a name in it would need quoting in SQL",
                fk.name
            ))),
        }
        let had = existing.is_some_and(|t| {
            t.foreign_keys
                .iter()
                .any(|f| f.name == fk.name || f.columns.first() == Some(&fk.column))
        });
        if let (Some(_), false, Some(stmt)) =
            (existing, had, plan::drop_constraint(&plan, &fk.name))
        {
            down.insert(0, stmt);
        }
    }
    match existing {
        None => down.push(Stmt::Call(Expr::call(
            "drop_if_exists",
            vec![plan.table_call(false)],
        ))),
        Some(table) => {
            down.extend(changes.retype_back);
            let mut removed: Vec<Stmt> = changes.modify_back;
            removed.extend(
                plan.columns
                    .iter()
                    .filter(|c| !c.primary_key && table.column(&c.name).is_none())
                    .map(|c| {
                        Stmt::Call(Expr::call(
                            "remove_if_exists",
                            vec![Expr::atom(&c.name), c.ty.clone()],
                        ))
                    }),
            );
            if !removed.is_empty() {
                down.push(Stmt::Block {
                    verb: "alter".into(),
                    call: plan.table_call(false),
                    body: removed,
                });
            }
        }
    }
    if down.is_empty() {
        down.push(Stmt::Comment(
            "Nothing to undo: the table already had everything up/0 makes.".into(),
        ));
    }
    let verb = if existing.is_some() {
        "update"
    } else {
        "create"
    };
    Ok(target.migration(
        snap,
        &format!("{verb}_{}", plan.table),
        &plan,
        up,
        down,
        options,
    ))
}

/// `--alter-columns`: what changes the type and nullability of the
/// existing columns that differ from their attributes, and back.
#[derive(Default)]
struct ColumnChanges {
    /// `modify` statements for the `alter table` block of `up/0`.
    modify: Vec<Stmt>,
    /// `ALTER COLUMN … USING` casts after it.
    retype: Vec<Stmt>,
    /// The casts back, first in `down/0`.
    retype_back: Vec<Stmt>,
    /// The `modify` statements back, in `down/0`'s `alter table` block.
    modify_back: Vec<Stmt>,
    /// Changes left out, for comments.
    notes: Vec<String>,
}

fn column_changes(
    snap: &Snapshot,
    r: &LinkedResource,
    plan: &TablePlan,
    table: &FoldedTable,
) -> ColumnChanges {
    let mut out = ColumnChanges::default();
    for attr in &r.facts.attributes {
        let (Some(column), Some(planned)) = (table.column(&attr.column), plan.column(&attr.column))
        else {
            continue;
        };
        let (type_ok, null_ok) = plan::column_matches(&snap.analysis, r, attr, column);
        if type_ok && null_ok {
            continue;
        }
        let Some(old_type) = plan::type_of_column(column) else {
            out.notes.push(format!(
                "column {} is not changed: its current type is not known",
                column.name
            ));
            continue;
        };
        let new_null = if null_ok {
            column.null
        } else {
            !planned.not_null
        };
        let retype = match (type_ok, column.pg_type.as_deref()) {
            (false, Some(old_pg)) => plan::sql_type(&planned.ty).and_then(|new_pg| {
                let from = (&old_type, old_pg);
                let to = (&planned.ty, new_pg.as_str());
                let up = plan::change_type(plan, &column.name, from, to)?;
                let down = plan::change_type(plan, &column.name, to, from)?;
                Some((up, down))
            }),
            _ => None,
        };
        if !type_ok && retype.is_none() {
            out.notes.push(format!(
                "the type of column {} is not changed: no cast to it is known",
                column.name
            ));
        }
        // A `USING` cast runs on its own after the `alter` block (and
        // first in `down/0`); the `modify` keeps the type it finds then.
        let using = matches!(retype, Some((TypeChange::Using(_), _)));
        let (new_type, type_after) = match &retype {
            Some(_) if !using => (planned.ty.clone(), planned.ty.clone()),
            Some(_) => (old_type.clone(), planned.ty.clone()),
            None => (old_type.clone(), old_type.clone()),
        };
        if !null_ok || (retype.is_some() && !using) {
            out.modify.push(modify(
                &column.name,
                &new_type,
                new_null,
                &old_type,
                column.null,
            ));
            out.modify_back.push(modify(
                &column.name,
                &old_type,
                column.null,
                &type_after,
                new_null,
            ));
        }
        if let Some((TypeChange::Using(up_stmt), down)) = retype {
            out.retype.push(up_stmt);
            match down {
                TypeChange::Using(stmt) => out.retype_back.push(stmt),
                TypeChange::Modify(stmt) if null_ok => out.modify_back.push(stmt),
                // The nullability `modify` above casts back by itself.
                TypeChange::Modify(_) => {}
            }
        }
    }
    out
}

/// `modify(:c, type, null: …, from: {old, null: …})`.
fn modify(column: &str, ty: &Expr, null: bool, from_type: &Expr, from_null: bool) -> Stmt {
    Stmt::Call(
        Expr::call("modify", vec![Expr::atom(column), ty.clone()])
            .kw("null", Expr::raw(null.to_string()))
            .kw(
                "from",
                Expr::Tuple(vec![
                    from_type.clone(),
                    Expr::raw(format!("null: {from_null}")),
                ]),
            ),
    )
}

/// What was left out of a plan, as comments at the top of `up/0`.
fn notes(plan: &TablePlan) -> Vec<Stmt> {
    let mut out: Vec<Stmt> = plan.notes.iter().cloned().map(Stmt::Comment).collect();
    if !out.is_empty() {
        out.push(Stmt::Blank);
    }
    out
}

/// Where a resource's migrations go and how its table is named in them.
struct Target {
    repo_module: String,
    /// `priv/repo` (workspace-relative).
    repo_dir: String,
    tenant: bool,
    table: String,
    prefix: Prefix,
}

impl Target {
    fn of(snap: &Snapshot, r: &LinkedResource) -> Result<Target, GenerateError> {
        let module = &r.facts.module;
        let table = r
            .facts
            .table
            .as_ref()
            .and_then(|t| t.value())
            .ok_or_else(|| GenerateError::NoTable(module.clone()))?
            .clone();
        let schema = match &r.facts.schema {
            Some(s) => Some(
                s.value()
                    .ok_or_else(|| GenerateError::NoTable(module.clone()))?
                    .clone(),
            ),
            None => None,
        };
        let model = snap.analysis.model_of(r);
        let repo_module = r
            .facts
            .repo
            .clone()
            .or_else(|| model.and_then(|m| m.repo_module.clone()))
            .ok_or_else(|| GenerateError::NoRepo(module.clone()))?;
        let repo_dir = match model {
            Some(m)
                if m.repo_module.as_deref() == Some(repo_module.as_str())
                    || m.repo_module.is_none() =>
            {
                m.key.repo_dir.clone()
            }
            _ => {
                let repos = &snap.analysis.repos;
                let same_root = repos
                    .iter()
                    .find(|i| i.module == repo_module && i.root == r.root);
                same_root
                    .or_else(|| repos.iter().find(|i| i.module == repo_module))
                    .map(|i| i.repo_dir.clone())
                    .ok_or_else(|| GenerateError::NoRepo(module.clone()))?
            }
        };
        let tenant = r.is_tenant();
        let prefix = if tenant {
            Prefix::Tenant
        } else {
            let default = model.map(|m| m.default_schema.as_str()).unwrap_or("public");
            match schema {
                Some(s) if s != default && s != "public" => Prefix::Literal {
                    attribute: prefix_attribute_style(snap, &repo_dir, tenant),
                    schema: s,
                },
                _ => Prefix::Default,
            }
        };
        Ok(Target {
            repo_module,
            repo_dir,
            tenant,
            table,
            prefix,
        })
    }

    fn plan(&self, snap: &Snapshot, r: &LinkedResource) -> TablePlan {
        plan::plan(&snap.analysis, r, &self.table, self.prefix.clone())
    }

    fn folder(&self) -> String {
        let leaf = if self.tenant {
            "tenant_migrations"
        } else {
            "migrations"
        };
        if self.repo_dir.is_empty() {
            leaf.to_string()
        } else {
            format!("{}/{leaf}", self.repo_dir)
        }
    }

    /// The migration file: a free version later than every migration of
    /// the repo, a module name no migration of the folder uses.
    fn migration(
        &self,
        snap: &Snapshot,
        snake: &str,
        plan: &TablePlan,
        up: Vec<Stmt>,
        down: Vec<Stmt>,
        options: &GenerateOptions,
    ) -> GeneratedMigration {
        let folder = self.folder();
        let mut versions = Vec::new();
        let mut modules = BTreeSet::new();
        for f in snap.workspace.files.values() {
            let FileRole::Migration {
                repo_dir,
                tenant,
                version,
                ..
            } = &f.role
            else {
                continue;
            };
            if *repo_dir != self.repo_dir {
                continue;
            }
            if let Some(v) = version.as_deref().and_then(version_seconds) {
                versions.push(v);
            }
            if *tenant == self.tenant {
                if let Some(m) = f.migration().and_then(|m| m.module.clone()) {
                    modules.insert(m);
                }
            }
        }
        let snake = file_safe(snake);
        let mut name = snake.clone();
        let mut n = 2;
        while modules.contains(&self.module_name(&name)) {
            name = format!("{snake}{n}");
            n += 1;
        }
        let mut seconds = versions
            .iter()
            .map(|v| v + 1)
            .max()
            .unwrap_or(0)
            .max(options.now);
        let path = loop {
            let path = format!("{folder}/{}_{name}.exs", format_version(seconds));
            if snap.file(&path).is_none() {
                break path;
            }
            seconds += 1;
        };
        let module = self.module_name(&name);
        let attributes = match &plan.prefix {
            Prefix::Literal {
                schema,
                attribute: true,
            } => vec![("prefix".to_string(), Expr::string(schema))],
            _ => Vec::new(),
        };
        let text = writer::module(
            &module,
            &attributes,
            &[
                Function {
                    name: "up",
                    body: up,
                },
                Function {
                    name: "down",
                    body: down,
                },
            ],
        );
        GeneratedMigration { path, module, text }
    }

    fn module_name(&self, snake: &str) -> String {
        format!("{}.Migrations.{}", self.repo_module, camelize(snake))
    }
}

/// Whether the repo's migrations write the schema as `@prefix "…"`.
fn prefix_attribute_style(snap: &Snapshot, repo_dir: &str, tenant: bool) -> bool {
    snap.workspace.files.values().any(|f| {
        matches!(&f.role, FileRole::Migration { repo_dir: d, tenant: t, .. } if d == repo_dir && *t == tenant)
            && f.text.contains("@prefix \"")
    })
}

/// A file-name-safe snake name: lowercase letters, digits and single `_`s.
fn file_safe(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    for c in snake.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if !(c == '_' && (out.is_empty() || out.ends_with('_'))) {
            out.push(c);
        }
    }
    let mut out = out.trim_end_matches('_').to_string();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "migrate_");
    }
    out
}

/// `create_security_events` → `CreateSecurityEvents`, like `Macro.camelize/1`.
pub fn camelize(snake: &str) -> String {
    snake
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// `20250128113000` → seconds since the epoch, when it is a date and time.
pub fn version_seconds(version: &str) -> Option<u64> {
    if version.len() != 14 || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let part =
        |range: std::ops::Range<usize>| version.get(range).and_then(|s| s.parse::<i64>().ok());
    let (y, mo, d) = (part(0..4)?, part(4..6)?, part(6..8)?);
    let (h, mi, s) = (part(8..10)?, part(10..12)?, part(12..14)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + s).ok()
}

/// Seconds since the epoch → `YYYYMMDDHHMMSS` (UTC).
pub fn format_version(seconds: u64) -> String {
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let rest = seconds % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

// Howard Hinnant's civil-calendar algorithms (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests;
