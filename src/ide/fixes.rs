//! Quick fixes that edit a migration in place: make a statement idempotent
//! (`create` → `create_if_not_exists`, raw SQL with `IF NOT EXISTS`, guarded
//! `DO` blocks for constraints and renames) and split `change/0` into
//! `up/0`/`down/0` when the idempotent form is one Ecto cannot reverse.
//!
//! Every fix is checked before it is offered: the edited file is parsed and
//! read again, and the fix is dropped unless the statements it targets now
//! survive a re-run, nothing else became non-idempotent or irreversible, and
//! no statement went unread. A missing fix is better than a wrong one.

mod rewrite;
mod split;

use super::actions::{Action, ActionKind, FileEdit, TextEdit};
use super::Snapshot;
use crate::checks::rules::{IRREVERSIBLE_IDEMPOTENT_CHANGE, NON_IDEMPOTENT_STATEMENT};
use crate::checks::Finding;
use crate::model::facts::{
    Direction, MigrationFacts, MigrationFunction, MigrationOp, OpKind, OpSource, Span,
};
use crate::model::workspace::SourceFile;
use crate::syntax::{elixir, migration};

/// One fix for one finding, before it is turned into edits of the file.
#[derive(Debug, Clone)]
struct Repair {
    /// Indexes into `Snapshot::findings` this repair fixes.
    findings: Vec<usize>,
    /// What it does, for the action title (`use create_if_not_exists`).
    title: String,
    /// Statement edits (empty for a plain split of `change/0`).
    edits: Vec<TextEdit>,
    /// The function the statement sits in (its whole `def … end`).
    function: Span,
    /// The result is only right with `change/0` split into `up/0`/`down/0`.
    needs_split: bool,
    /// A caveat that keeps the fix out of fix-all and off "preferred".
    warning: Option<String>,
    /// Non-idempotent statements this repair makes safe to re-run.
    makes_rerunnable: usize,
    /// Irreversible statements in `change/0` it removes (by splitting).
    makes_reversible: usize,
}

/// The fixes for one finding (`index` into `snap.findings`).
pub fn quick_fixes(snap: &Snapshot, index: usize, finding: &Finding) -> Vec<Action> {
    let Some(file) = snap.file(&finding.file) else {
        return Vec::new();
    };
    let Some(repair) = repair_for(snap, file, index, finding) else {
        return Vec::new();
    };
    let Some(edits) = checked_edits(file, std::slice::from_ref(&repair)) else {
        return Vec::new();
    };
    let mut title = sentence(&repair.title);
    if repair.needs_split && !repair.edits.is_empty() {
        title.push_str(" and split change/0 into up/0 and down/0");
    }
    if let Some(w) = &repair.warning {
        title.push_str(&format!(" ({w})"));
    }
    vec![Action {
        title,
        kind: ActionKind::QuickFix,
        preferred: repair.warning.is_none(),
        fixes: repair.findings.clone(),
        edits: vec![FileEdit {
            file: finding.file.clone(),
            edits,
        }],
        new_files: Vec::new(),
    }]
}

/// Every safe fix in `file` as one action, when there is at least one.
/// Fixes are taken in file order; one that overlaps an earlier one, or that
/// no longer checks out next to it, is left for another run.
pub fn fix_all(snap: &Snapshot, file: &str) -> Option<Action> {
    let source = snap.file(file)?;
    let mut taken: Vec<Repair> = Vec::new();
    let mut edits = Vec::new();
    let mut seen_spans: Vec<Span> = Vec::new();
    for (index, finding) in snap.findings.iter().enumerate() {
        if finding.file != file || seen_spans.contains(&finding.span) {
            continue;
        }
        if taken.iter().any(|r| r.findings.contains(&index)) {
            continue;
        }
        let Some(repair) = repair_for(snap, source, index, finding) else {
            continue;
        };
        if repair.warning.is_some() {
            continue;
        }
        taken.push(repair);
        match checked_edits(source, &taken) {
            Some(e) => {
                edits = e;
                seen_spans.push(finding.span.clone());
            }
            None => {
                taken.pop();
            }
        }
    }
    if taken.is_empty() {
        return None;
    }
    let fixes: Vec<usize> = taken.iter().flat_map(|r| r.findings.clone()).collect();
    Some(Action {
        title: format!(
            "Fix all idempotency findings in this migration ({})",
            if fixes.len() == 1 {
                "1 finding".to_string()
            } else {
                format!("{} findings", fixes.len())
            }
        ),
        kind: ActionKind::FixAll,
        preferred: false,
        fixes,
        edits: vec![FileEdit {
            file: file.to_string(),
            edits,
        }],
        new_files: Vec::new(),
    })
}

/// What each fix of [`fix_all`] does, for `check --fix` to report.
pub fn fix_all_summary(snap: &Snapshot, action: &Action) -> Vec<String> {
    action
        .fixes
        .iter()
        .filter_map(|i| snap.findings.get(*i))
        .map(|f| {
            format!(
                "line {}: {}",
                snap.line_of(&f.file, f.span.start),
                f.kind.unwrap_or(f.code())
            )
        })
        .collect()
}

fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The repair a finding gets, if any.
fn repair_for(
    snap: &Snapshot,
    file: &SourceFile,
    index: usize,
    finding: &Finding,
) -> Option<Repair> {
    let facts = file.migration()?;
    let tenant = matches!(
        file.role,
        crate::model::workspace::FileRole::Migration { tenant: true, .. }
    );
    if finding.code() == NON_IDEMPOTENT_STATEMENT.code {
        let ops: Vec<&MigrationOp> = facts
            .ops
            .iter()
            .filter(|op| op.span == finding.span && runs(op) && rerun_fails(op))
            .collect();
        let first = ops.first()?;
        let function = enclosing(facts, &first.span)?;
        let in_change = function.name == "change";
        let ctx = rewrite::Context {
            src: &file.text,
            tenant,
            in_change,
        };
        let fix = rewrite::rewrite(&ctx, &ops)?;
        let warning = created_before(snap, file, first);
        // Findings sharing the statement (one per action of a raw `ALTER`)
        // are fixed together.
        let findings = snap
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.file == finding.file && f.span == finding.span && f.code() == finding.code()
            })
            .map(|(i, _)| i)
            .collect::<Vec<_>>();
        return Some(Repair {
            findings: if findings.is_empty() {
                vec![index]
            } else {
                findings
            },
            title: fix.title,
            edits: fix.edits,
            function: function.span.clone(),
            needs_split: in_change && fix.irreversible_in_change,
            warning,
            makes_rerunnable: ops.len(),
            makes_reversible: 0,
        });
    }
    if finding.code() == IRREVERSIBLE_IDEMPOTENT_CHANGE.code {
        let op = facts.ops.iter().find(|op| {
            op.direction == Direction::Change
                && (op.span == finding.span || op.verb_span == finding.span)
        })?;
        let function = enclosing(facts, &op.span)?;
        if function.name != "change" {
            return None;
        }
        return Some(Repair {
            findings: vec![index],
            title: "split change/0 into up/0 and down/0".to_string(),
            edits: Vec::new(),
            function: function.span.clone(),
            needs_split: true,
            warning: None,
            makes_rerunnable: 0,
            makes_reversible: 1,
        });
    }
    None
}

/// The `change`/`up` function a statement sits in.
fn enclosing<'f>(facts: &'f MigrationFacts, span: &Span) -> Option<&'f MigrationFunction> {
    facts
        .functions
        .iter()
        .filter(|f| f.span.start <= span.start && span.end <= f.span.end)
        .filter(|f| f.name == "change" || f.name == "up")
        .min_by_key(|f| f.span.end - f.span.start)
}

/// A `create table` whose table an earlier migration already created: the
/// guard would silently skip this body (`hidden-drift`), not fix anything.
fn created_before(snap: &Snapshot, file: &SourceFile, op: &MigrationOp) -> Option<String> {
    if !matches!(op.kind, OpKind::CreateTable { .. }) {
        return None;
    }
    snap.analysis.models.iter().find_map(|m| {
        m.events.iter().find_map(|e| match e {
            crate::model::fold::FoldEvent::CreatedTwice { table, first, second }
                if *second.file == *file.rel && second.span == op.span =>
            {
                Some(format!(
                    "careful: {table} already exists, created at {}; if its shape differs the guard skips this body (hidden-drift)",
                    snap.place(&first.file, &first.span)
                ))
            }
            _ => None,
        })
    })
}

/// Ecto runs it: in `change/0` or `up/0`, not under a condition.
fn runs(op: &MigrationOp) -> bool {
    matches!(op.direction, Direction::Change | Direction::Up) && !op.conditional
}

/// Fails when run again against a database that already has its effect
/// (what the idempotency check reports, leaving out its exemptions).
fn rerun_fails(op: &MigrationOp) -> bool {
    if let OpSource::RawSql { guarded: true, .. } = op.source {
        return false;
    }
    match &op.kind {
        OpKind::CreateTable { if_not_exists, .. } => !if_not_exists,
        OpKind::AddColumn {
            if_not_exists,
            column,
            ..
        } => !if_not_exists || column.references.is_some(),
        OpKind::CreateIndex { if_not_exists, .. } => !if_not_exists,
        OpKind::CreateConstraint { if_not_exists, .. } => !if_not_exists,
        OpKind::CreateView {
            if_not_exists,
            or_replace,
            ..
        } => !if_not_exists && !or_replace,
        OpKind::RenameTable { .. }
        | OpKind::RenameColumn { .. }
        | OpKind::RenameConstraint { .. } => true,
        OpKind::RenameIndex { if_exists, .. }
        | OpKind::DropTable { if_exists, .. }
        | OpKind::DropView { if_exists, .. }
        | OpKind::RemoveColumn { if_exists, .. }
        | OpKind::DropIndex { if_exists, .. }
        | OpKind::DropConstraint { if_exists, .. } => !if_exists,
        OpKind::OtherDdl { idempotent, .. } => !idempotent,
        OpKind::ModifyColumn { .. } => false,
    }
}

/// Inside `change/0` in a form Ecto cannot reverse (what the
/// `irreversible-idempotent-change` check reports).
fn irreversible_in_change(op: &MigrationOp) -> bool {
    if op.direction != Direction::Change || op.conditional {
        return false;
    }
    match (&op.source, &op.kind) {
        (OpSource::Dsl, OpKind::AddColumn { if_not_exists, .. }) => *if_not_exists,
        (OpSource::Dsl, OpKind::RemoveColumn { if_exists, .. })
        | (OpSource::Dsl, OpKind::DropTable { if_exists, .. })
        | (OpSource::Dsl, OpKind::DropConstraint { if_exists, .. }) => *if_exists,
        (
            OpSource::RawSql {
                with_down: false,
                guarded,
            },
            kind,
        ) => *guarded || raw_idempotent(kind),
        _ => false,
    }
}

fn raw_idempotent(kind: &OpKind) -> bool {
    match kind {
        OpKind::CreateTable { if_not_exists, .. }
        | OpKind::AddColumn { if_not_exists, .. }
        | OpKind::CreateIndex { if_not_exists, .. }
        | OpKind::CreateConstraint { if_not_exists, .. } => *if_not_exists,
        OpKind::CreateView {
            if_not_exists,
            or_replace,
            ..
        } => *if_not_exists || *or_replace,
        OpKind::DropTable { if_exists, .. }
        | OpKind::DropView { if_exists, .. }
        | OpKind::RemoveColumn { if_exists, .. }
        | OpKind::DropIndex { if_exists, .. }
        | OpKind::DropConstraint { if_exists, .. }
        | OpKind::RenameIndex { if_exists, .. } => *if_exists,
        OpKind::OtherDdl { idempotent, .. } => *idempotent,
        OpKind::ModifyColumn { .. }
        | OpKind::RenameTable { .. }
        | OpKind::RenameColumn { .. }
        | OpKind::RenameConstraint { .. } => false,
    }
}

/// The edits of several repairs of one file, or `None` when they overlap,
/// a split cannot be written, or the edited file does not check out.
fn checked_edits(file: &SourceFile, repairs: &[Repair]) -> Option<Vec<TextEdit>> {
    let src: &str = &file.text;
    let mut edits: Vec<TextEdit> = repairs.iter().flat_map(|r| r.edits.clone()).collect();
    let mut split_functions: Vec<&Span> = repairs
        .iter()
        .filter(|r| r.needs_split)
        .map(|r| &r.function)
        .collect();
    split_functions.dedup();
    if !split_functions.is_empty() {
        let facts = file.migration()?;
        // Ecto refuses a module with both `change/0` and `up/0`/`down/0`.
        if facts
            .functions
            .iter()
            .any(|f| f.name == "up" || f.name == "down")
        {
            return None;
        }
        let tree = elixir::parse(src)?;
        for function in split_functions {
            edits.extend(split::split_change(src, &tree, function)?);
        }
    }
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    // Two statements set apart from each other ask for the same blank line.
    edits.dedup();
    if edits
        .windows(2)
        .any(|w| matches!(w, [a, b] if a.span.end > b.span.start))
    {
        return None;
    }
    let after = apply(src, &edits)?;
    let rerunnable: usize = repairs.iter().map(|r| r.makes_rerunnable).sum();
    let reversible: usize = repairs.iter().map(|r| r.makes_reversible).sum();
    verify(file, &after, rerunnable, reversible).then_some(edits)
}

/// Apply non-overlapping edits sorted by start; `None` when a span is out of
/// range or not on a character boundary.
pub fn apply(src: &str, edits: &[TextEdit]) -> Option<String> {
    let mut out = String::with_capacity(src.len() + 256);
    let mut at = 0;
    for e in edits {
        out.push_str(src.get(at..e.span.start)?);
        src.get(e.span.clone())?;
        out.push_str(&e.new_text);
        at = e.span.end;
    }
    out.push_str(src.get(at..)?);
    Some(out)
}

/// The edited file reads as well as before, and is better by what the
/// repairs promised.
fn verify(file: &SourceFile, after: &str, rerunnable: usize, reversible: usize) -> bool {
    let Some(before) = file.migration() else {
        return false;
    };
    let Some(tree) = elixir::parse(after) else {
        return false;
    };
    if !elixir::syntax_errors(&tree, 1).is_empty() && file.syntax_errors.is_empty() {
        return false;
    }
    let now = migration::extract(after, &tree);
    let count = |facts: &MigrationFacts, pred: fn(&MigrationOp) -> bool| {
        facts.ops.iter().filter(|op| runs(op) && pred(op)).count()
    };
    let ran = |facts: &MigrationFacts| facts.ops.iter().filter(|op| runs(op)).count();
    ran(&now) == ran(before)
        && now.unresolved.len() <= before.unresolved.len()
        && count(&now, rerun_fails) + rerunnable <= count(before, rerun_fails)
        && count(&now, irreversible_in_change) + reversible <= count(before, irreversible_in_change)
}

#[cfg(test)]
mod tests;
