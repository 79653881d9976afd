//! Idempotency of hand-written migrations: which statements fail when a
//! migration is run again against a database that already has its effect,
//! which idempotent forms sit where Ecto cannot roll them back, and which
//! guarded re-declarations silently skip a new table shape.

use crate::checks::rebase::Edits;
use crate::checks::rules::{
    HIDDEN_DRIFT, IRREVERSIBLE_IDEMPOTENT_CHANGE, NON_IDEMPOTENT_STATEMENT,
};
use crate::checks::{FileKey, Finding, Reuse};
use crate::model::analysis::Analysis;
use crate::model::convention;
use crate::model::facts::{
    ConstraintKind, Direction, MigrationFacts, MigrationOp, OpKind, OpSource, TableName,
};
use crate::model::fold::FoldEvent;
use crate::model::workspace::{FileRole, SourceFile, Workspace};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub fn check(ws: &Workspace, analysis: &Analysis, out: &mut Vec<Finding>) {
    check_with(ws, analysis, &mut Memo::default(), out);
}

/// Each migration's findings kept between runs on one workspace, with the
/// file (path, role, text) and stance they were computed for.
#[derive(Debug, Default)]
pub struct Memo {
    files: HashMap<String, (FileKey, bool, Vec<Finding>)>,
    pub(crate) reuse: Reuse,
}

impl Memo {
    /// Forget the migrations whose text changed (their key is that text);
    /// move the others' findings, which may point into an edited file.
    pub(crate) fn rebase(&mut self, edits: &Edits) {
        self.files
            .retain(|_, (key, _, findings)| !edits.outdates(key) && edits.findings(findings));
    }
}

/// [`check`] reusing the findings of migrations whose text and stance are
/// unchanged: the result is the same.
pub fn check_with(ws: &Workspace, analysis: &Analysis, memo: &mut Memo, out: &mut Vec<Finding>) {
    // The stance reads the whole workspace: once per root, not per migration.
    let mut hand_written_roots: BTreeMap<&str, bool> = BTreeMap::new();
    memo.files.retain(|rel, _| ws.files.contains_key(rel));
    memo.reuse = Reuse::default();
    for file in ws.files.values() {
        let Some(facts) = file.migration() else {
            continue;
        };
        if let FileRole::Migration { repo_dir, .. } = &file.role {
            if analysis.is_foreign_repo_dir(repo_dir) {
                continue;
            }
        }
        // Re-runs matter only where migrations are written to survive them;
        // a rollback of `change/0` fails in every project.
        let judge_reruns = *hand_written_roots
            .entry(file.role.root())
            .or_insert_with(|| hand_written(ws, analysis, file.role.root()));
        if let Some((kept, judged, findings)) = memo.files.get(&file.rel) {
            if kept.is(file) && *judged == judge_reruns {
                out.extend(findings.iter().cloned());
                memo.reuse.count(true);
                continue;
            }
        }
        memo.reuse.count(false);
        let mut findings = Vec::new();
        migration_findings(file, facts, judge_reruns, &mut findings);
        out.extend(findings.iter().cloned());
        memo.files.insert(
            file.rel.clone(),
            (FileKey::of(file), judge_reruns, findings),
        );
    }
    hidden_drift(analysis, out);
}

/// The findings of one migration's own statements.
fn migration_findings(
    file: &SourceFile,
    facts: &MigrationFacts,
    judge_reruns: bool,
    out: &mut Vec<Finding>,
) {
    let mut dropped = Dropped::default();
    let mut reported_executes = BTreeSet::new();
    for op in &facts.ops {
        if !matches!(op.direction, Direction::Change | Direction::Up) {
            continue;
        }
        // A `drop … if exists` earlier in the same migration makes a later
        // create of the same object re-runnable.
        let guarded_by_drop = dropped.covers(&op.kind);
        dropped.record(&op.kind);
        if op.conditional {
            continue;
        }
        if judge_reruns && !guarded_by_drop {
            if let Some(f) = non_idempotent(file, op) {
                out.push(f);
            }
        }
        if op.direction == Direction::Change {
            if let Some(f) = irreversible(file, op) {
                // One finding per `execute`, however many statements it holds.
                let raw = matches!(op.source, OpSource::RawSql { .. });
                if !raw || reported_executes.insert(op.verb_span.start) {
                    out.push(f);
                }
            }
        }
    }
}

/// `hidden-drift` from the fold's events.
fn hidden_drift(analysis: &Analysis, out: &mut Vec<Finding>) {
    for model in &analysis.models {
        for event in &model.events {
            if let FoldEvent::HiddenDrift {
                table,
                at,
                earlier,
                skipped_columns,
                differing_columns,
            } = event
            {
                let mut parts = Vec::new();
                if !skipped_columns.is_empty() {
                    parts.push(format!(
                        "its new column(s) {} never land",
                        skipped_columns.join(", ")
                    ));
                }
                if !differing_columns.is_empty() {
                    parts.push(format!(
                        "column(s) {} keep their earlier type or nullability",
                        differing_columns.join(", ")
                    ));
                }
                let mut f = Finding::new(
                    &HIDDEN_DRIFT,
                    &at.file,
                    at.span.clone(),
                    format!(
                        "create_if_not_exists re-declares {table}, which an earlier migration already created, so this body is skipped: {}",
                        parts.join("; ")
                    ),
                )
                .table(table)
                .related(&earlier.file, earlier.span.clone(), "table first created here")
                .fix("alter-table-migration");
                f.unnecessary = true;
                out.push(f);
            }
        }
    }
}

/// Whether the project at `root` writes migrations by hand (Option B, or the
/// undecided seed state), where every statement should survive a re-run.
/// Projects that generate migrations from tracked snapshots run each one
/// exactly once, and so do plain Ecto projects.
fn hand_written(ws: &Workspace, analysis: &Analysis, root: &str) -> bool {
    convention::stance(ws, analysis, root).idempotency()
}

fn show(t: &TableName) -> String {
    match &t.schema {
        Some(s) => format!("{s}.{}", t.name),
        None => t.name.clone(),
    }
}

/// Objects a migration dropped with `if exists` so far, by name.
#[derive(Default)]
struct Dropped {
    tables: BTreeSet<String>,
    columns: BTreeSet<(String, String)>,
    indexes: BTreeSet<String>,
    constraints: BTreeSet<(String, String)>,
}

impl Dropped {
    fn record(&mut self, kind: &OpKind) {
        match kind {
            OpKind::DropTable {
                table,
                if_exists: true,
            }
            | OpKind::DropView {
                table,
                if_exists: true,
                ..
            } => {
                self.tables.insert(show(table));
            }
            OpKind::RemoveColumn {
                table,
                column,
                if_exists: true,
                ..
            } => {
                self.columns.insert((show(table), column.clone()));
            }
            OpKind::DropIndex {
                name,
                if_exists: true,
                ..
            } => {
                self.indexes.insert(name.clone());
            }
            OpKind::DropConstraint {
                table,
                name,
                if_exists: true,
            } => {
                self.constraints.insert((show(table), name.clone()));
            }
            _ => {}
        }
    }

    fn covers(&self, kind: &OpKind) -> bool {
        match kind {
            OpKind::CreateTable { table, .. } | OpKind::CreateView { table, .. } => {
                self.tables.contains(&show(table))
            }
            OpKind::AddColumn { table, column, .. } => {
                self.columns.contains(&(show(table), column.name.clone()))
            }
            OpKind::CreateIndex { index, .. } => self.indexes.contains(&index.name),
            OpKind::CreateConstraint {
                table,
                name: Some(name),
                ..
            } => self.constraints.contains(&(show(table), name.clone())),
            _ => false,
        }
    }
}

fn non_idempotent(file: &SourceFile, op: &MigrationOp) -> Option<Finding> {
    let raw = match op.source {
        OpSource::RawSql { guarded: true, .. } => return None,
        OpSource::RawSql { guarded: false, .. } => true,
        OpSource::Dsl => false,
    };
    let (kind, table, message) = match &op.kind {
        OpKind::CreateTable {
            table,
            if_not_exists: false,
            ..
        } => (
            "create-table",
            Some(table),
            if raw {
                format!("CREATE TABLE {} without IF NOT EXISTS fails when re-run (42P07 duplicate_table)", qualify(file, table))
            } else {
                format!(
                    "create table {} fails when re-run (42P07 duplicate_table); use create_if_not_exists",
                    qualify(file, table)
                )
            },
        ),
        OpKind::AddColumn {
            table,
            column,
            if_not_exists,
        } => {
            if *if_not_exists {
                // The column is guarded; a `references` in it still adds its
                // foreign key unconditionally.
                let fk = column.references.as_ref()?;
                let name = fk
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("{}_{}_fkey", table.name, column.name));
                (
                    "create-constraint",
                    Some(table),
                    format!(
                        "add_if_not_exists guards column {} but still adds foreign key {name}, which fails when re-run (42710 duplicate_object)",
                        column.name
                    ),
                )
            } else if raw {
                (
                    "add-column",
                    Some(table),
                    format!(
                        "ADD COLUMN {} without IF NOT EXISTS fails when re-run (42701 duplicate_column)",
                        column.name
                    ),
                )
            } else {
                (
                    "add-column",
                    Some(table),
                    format!(
                        "add :{} to {} fails when re-run (42701 duplicate_column); use add_if_not_exists",
                        column.name,
                        qualify(file, table)
                    ),
                )
            }
        }
        OpKind::CreateIndex {
            index,
            if_not_exists: false,
        } => (
            if index.unique { "create-unique-index" } else { "create-index" },
            Some(&index.table),
            if raw {
                format!(
                    "CREATE {}INDEX {} without IF NOT EXISTS fails when re-run (42P07 duplicate_table)",
                    if index.unique { "UNIQUE " } else { "" },
                    index.name
                )
            } else {
                format!(
                    "create {} {} fails when re-run (42P07 duplicate_table); use create_if_not_exists",
                    if index.unique { "unique_index" } else { "index" },
                    index.name
                )
            },
        ),
        OpKind::CreateConstraint {
            table,
            name,
            kind,
            if_not_exists: false,
        } => {
            let what = match kind {
                ConstraintKind::Check(_) => "check constraint",
                ConstraintKind::Exclude(_) => "exclusion constraint",
                ConstraintKind::Unique(_) => "unique constraint",
                ConstraintKind::PrimaryKey(_) => "primary key",
                ConstraintKind::ForeignKey { .. } => "foreign key",
            };
            let name = name.as_deref().unwrap_or("(unnamed)");
            (
                "create-constraint",
                Some(table),
                format!(
                    "adding {what} {name} on {} fails when re-run (42710 duplicate_object); Postgres has no ADD CONSTRAINT IF NOT EXISTS: guard it in a DO block that checks pg_constraint",
                    qualify(file, table)
                ),
            )
        }
        OpKind::RenameTable { from, to } => (
            "rename",
            Some(from),
            format!(
                "renaming {} to {} fails when re-run: the old name no longer exists (42P01 undefined_table)",
                qualify(file, from),
                to.name
            ),
        ),
        OpKind::RenameColumn { table, from, to } => (
            "rename",
            Some(table),
            format!("renaming column {from} to {to} on {} fails when re-run (42703 undefined_column)", qualify(file, table)),
        ),
        OpKind::RenameIndex { from, to, if_exists: false, .. } => (
            "rename",
            None,
            format!("renaming index {from} to {to} fails when re-run: the old name no longer exists (42P01 undefined_table)"),
        ),
        OpKind::RenameConstraint { table, from, to } => (
            "rename",
            Some(table),
            format!("renaming constraint {from} to {to} on {} fails when re-run (42704 undefined_object)", qualify(file, table)),
        ),
        OpKind::DropTable { table, if_exists: false } => (
            "drop",
            Some(table),
            format!(
                "dropping {} fails when re-run (42P01 undefined_table); use drop_if_exists",
                qualify(file, table)
            ),
        ),
        OpKind::DropView {
            table, if_exists: false, ..
        } => (
            "drop",
            Some(table),
            format!("DROP VIEW {} without IF EXISTS fails when re-run (42P01)", qualify(file, table)),
        ),
        OpKind::RemoveColumn {
            table,
            column,
            if_exists: false,
            ..
        } => (
            "drop",
            Some(table),
            format!(
                "removing column {column} from {} fails when re-run (42703 undefined_column); use remove_if_exists",
                qualify(file, table)
            ),
        ),
        OpKind::DropIndex {
            name, if_exists: false, ..
        } => (
            "drop",
            None,
            format!("dropping index {name} fails when re-run (42704 undefined_object); use drop_if_exists"),
        ),
        OpKind::DropConstraint {
            table,
            name,
            if_exists: false,
        } => (
            "drop",
            Some(table),
            format!(
                "dropping constraint {name} on {} fails when re-run (42704 undefined_object); use drop_if_exists",
                qualify(file, table)
            ),
        ),
        OpKind::CreateView {
            table,
            if_not_exists: false,
            or_replace: false,
            materialized,
            ..
        } => (
            "raw-sql",
            Some(table),
            format!(
                "CREATE {}VIEW {} without IF NOT EXISTS{} fails when re-run (42P07 duplicate_table)",
                if *materialized { "MATERIALIZED " } else { "" },
                qualify(file, table),
                if *materialized { "" } else { " or OR REPLACE" }
            ),
        ),
        OpKind::OtherDdl { what, idempotent: false } => {
            ("raw-sql", None, format!("{what} fails when re-run against a database that already has it"))
        }
        _ => return None,
    };
    let kind = if raw { "raw-sql" } else { kind };
    let mut f = Finding::new(
        &NON_IDEMPOTENT_STATEMENT,
        &file.rel,
        op.span.clone(),
        message,
    )
    .fix("make-idempotent");
    f.kind = Some(kind);
    if raw {
        f.suppressible_at = Some(op.verb_span.start);
    }
    if let Some(t) = table {
        f.table = Some(qualify(file, t));
    }
    Some(f)
}

/// Schema-qualify a name as written in a migration: tenant migrations have
/// no fixed schema, others default to `public`.
fn qualify(file: &SourceFile, t: &TableName) -> String {
    let tenant = matches!(file.role, FileRole::Migration { tenant: true, .. });
    match (&t.schema, tenant) {
        (Some(s), _) => format!("{s}.{}", t.name),
        (None, true) => format!("{}.{}", crate::model::fold::TENANT_SCHEMA, t.name),
        (None, false) => format!("public.{}", t.name),
    }
}

fn irreversible(file: &SourceFile, op: &MigrationOp) -> Option<Finding> {
    let (what, table) = match (&op.source, &op.kind) {
        (
            OpSource::Dsl,
            OpKind::AddColumn {
                table,
                column,
                if_not_exists: true,
            },
        ) => (format!("add_if_not_exists :{}", column.name), Some(table)),
        (
            OpSource::Dsl,
            OpKind::RemoveColumn {
                table,
                column,
                if_exists: true,
                ..
            },
        ) => (format!("remove_if_exists :{column}"), Some(table)),
        (
            OpSource::Dsl,
            OpKind::DropTable {
                table,
                if_exists: true,
            },
        ) => (
            format!("drop_if_exists table {}", qualify(file, table)),
            Some(table),
        ),
        (
            OpSource::Dsl,
            OpKind::DropConstraint {
                table,
                name,
                if_exists: true,
            },
        ) => (format!("drop_if_exists constraint {name}"), Some(table)),
        (
            OpSource::RawSql {
                with_down: false,
                guarded,
            },
            kind,
        ) if *guarded || raw_idempotent(kind) => {
            ("execute/1 with idempotent SQL".to_string(), None)
        }
        _ => return None,
    };
    let span = match op.source {
        OpSource::RawSql { .. } => op.verb_span.clone(),
        OpSource::Dsl => op.span.clone(),
    };
    let mut f = Finding::new(
        &IRREVERSIBLE_IDEMPOTENT_CHANGE,
        &file.rel,
        span,
        format!("{what} inside change/0 cannot be rolled back: Ecto raises \"cannot reverse migration command\"; write up/0 and down/0 (or execute(up, down))"),
    )
    .fix("split-up-down");
    if let Some(t) = table {
        f.table = Some(qualify(file, t));
    }
    Some(f)
}

fn raw_idempotent(kind: &OpKind) -> bool {
    match kind {
        OpKind::CreateTable { if_not_exists, .. } => *if_not_exists,
        OpKind::CreateView {
            if_not_exists,
            or_replace,
            ..
        } => *if_not_exists || *or_replace,
        OpKind::AddColumn { if_not_exists, .. } => *if_not_exists,
        OpKind::CreateIndex { if_not_exists, .. } => *if_not_exists,
        OpKind::CreateConstraint { if_not_exists, .. } => *if_not_exists,
        OpKind::DropTable { if_exists, .. }
        | OpKind::DropView { if_exists, .. }
        | OpKind::RemoveColumn { if_exists, .. }
        | OpKind::DropIndex { if_exists, .. }
        | OpKind::DropConstraint { if_exists, .. } => *if_exists,
        OpKind::OtherDdl { idempotent, .. } => *idempotent,
        OpKind::RenameIndex { if_exists, .. } => *if_exists,
        OpKind::ModifyColumn { .. }
        | OpKind::RenameTable { .. }
        | OpKind::RenameColumn { .. }
        | OpKind::RenameConstraint { .. } => false,
    }
}
