//! Rolling back `change/0` the way `Ecto.Migration.Runner` reverses its
//! commands: in reverse order, each turned into its opposite; a command
//! Ecto cannot reverse (or whose reverse needs what the facts do not keep)
//! is said instead.

use super::{quote, Renderer, StatementSql, Way};
use crate::model::facts::{Direction, MigrationFacts, MigrationOp, OpKind, OpSource};
use std::fmt::Write;

pub(super) fn of_change(r: &Renderer, facts: &MigrationFacts) -> Vec<StatementSql> {
    let mut out = Vec::new();
    let mut raw = facts
        .raw_sql
        .iter()
        .filter(|x| x.direction == Direction::Change)
        .peekable();
    for (i, op) in facts.ops.iter().enumerate() {
        while let Some(x) = raw.next_if(|x| x.first_op <= i) {
            out.push(r.raw_text(x, Way::Down));
        }
        if op.direction != Direction::Change || matches!(op.source, OpSource::RawSql { .. }) {
            continue;
        }
        out.push(reversed(r, op));
    }
    for x in raw {
        out.push(r.raw_text(x, Way::Down));
    }
    r.place_unresolved(facts, Direction::Change, &mut out);
    out.reverse();
    out
}

fn reversed(r: &Renderer, op: &MigrationOp) -> StatementSql {
    let span = op.span.clone();
    let rendered = r
        .source
        .check(op)
        .and_then(|()| reversed_sql(r, op))
        .map_err(|why| format!("on rollback: {why}"));
    let mut statement = match rendered {
        Ok(sql) => StatementSql::sql(span, sql),
        Err(why) => StatementSql::cannot(span, why),
    };
    if op.conditional {
        statement.notes.push(super::CONDITIONAL.to_string());
    }
    statement
}

fn reversed_sql(r: &Renderer, op: &MigrationOp) -> Result<Vec<String>, String> {
    let span = op.span.clone();
    let opposite = match &op.kind {
        OpKind::CreateTable {
            table,
            if_not_exists,
            ..
        } => OpKind::DropTable {
            table: table.clone(),
            if_exists: *if_not_exists,
        },
        OpKind::CreateIndex {
            index,
            if_not_exists,
        } => OpKind::DropIndex {
            table: Some(index.table.clone()),
            schema: index.table.schema.clone(),
            name: index.name.clone(),
            if_exists: *if_not_exists,
        },
        OpKind::RenameTable { from, to } => OpKind::RenameTable {
            from: to.clone(),
            to: from.clone(),
        },
        OpKind::RenameColumn { table, from, to } => OpKind::RenameColumn {
            table: table.clone(),
            from: to.clone(),
            to: from.clone(),
        },
        OpKind::RenameIndex {
            schema,
            from,
            to,
            if_exists,
        } => OpKind::RenameIndex {
            schema: schema.clone(),
            from: to.clone(),
            to: from.clone(),
            if_exists: *if_exists,
        },
        OpKind::CreateConstraint {
            table,
            name: Some(name),
            ..
        } => OpKind::DropConstraint {
            table: table.clone(),
            name: name.clone(),
            if_exists: false,
        },
        OpKind::AddColumn {
            table,
            column,
            if_not_exists,
        } => {
            // `add` reverses to `remove` with its type: a reference's
            // constraint is dropped before the column.
            let exists = if *if_not_exists { "IF EXISTS " } else { "" };
            let mut sql = format!("ALTER TABLE {} ", r.table(table)?);
            if let Some(fk) = &column.references {
                let name = match &fk.name {
                    Some(n) => quote(n)?,
                    None => quote(&format!("{}_{}_fkey", table.name, column.name))?,
                };
                let _ = write!(sql, "DROP CONSTRAINT {exists}{name}, ");
            }
            let _ = write!(sql, "DROP COLUMN {exists}{}", quote(&column.name)?);
            return Ok(vec![sql]);
        }
        OpKind::DropIndex { .. } => {
            return Err(
                "recreating the index needs its columns, which the model does not keep".into(),
            )
        }
        OpKind::RemoveColumn { .. } => {
            return Err(
                "re-adding the column needs its type and options, which the model does not keep"
                    .into(),
            )
        }
        OpKind::ModifyColumn { .. } => {
            return Err(
                "reversing `modify` needs its `from:` type, which the model does not keep".into(),
            )
        }
        OpKind::DropTable { .. }
        | OpKind::DropConstraint { .. }
        | OpKind::CreateConstraint { .. }
        | OpKind::CreateView { .. }
        | OpKind::DropView { .. }
        | OpKind::RenameConstraint { .. }
        | OpKind::OtherDdl { .. } => {
            return Err("Ecto cannot reverse this command: write up/0 and down/0".into())
        }
    };
    r.kind(&opposite, span)
}
