//! Collisions between migrations of one repo: shared versions, shared module
//! names, and tables created twice without a guard or a drop in between.

use crate::checks::rules::{
    DUPLICATE_MIGRATION_MODULE, DUPLICATE_MIGRATION_VERSION, TABLE_CREATED_TWICE,
};
use crate::checks::Finding;
use crate::model::analysis::Analysis;
use crate::model::fold::FoldEvent;
use crate::model::workspace::{FileRole, Workspace};
use std::collections::BTreeMap;

pub fn check(ws: &Workspace, analysis: &Analysis, out: &mut Vec<Finding>) {
    // (repo folder, tenant) → version / module → files in name order.
    let mut versions: BTreeMap<(&str, bool, &str), Vec<&str>> = BTreeMap::new();
    let mut modules: BTreeMap<(&str, bool, &str), Vec<(&str, std::ops::Range<usize>)>> =
        BTreeMap::new();
    for file in ws.files.values() {
        let FileRole::Migration {
            repo_dir,
            tenant,
            version,
            ..
        } = &file.role
        else {
            continue;
        };
        if let Some(v) = version {
            versions
                .entry((repo_dir, *tenant, v))
                .or_default()
                .push(&file.rel);
        }
        if let Some(m) = file.migration() {
            if let (Some(module), Some(span)) = (&m.module, &m.module_span) {
                modules
                    .entry((repo_dir, *tenant, module))
                    .or_default()
                    .push((&file.rel, span.clone()));
            }
        }
    }
    for ((_, _, version), files) in versions {
        let Some((first, rest)) = files.split_first() else {
            continue;
        };
        for other in rest {
            out.push(
                Finding::new(
                    &DUPLICATE_MIGRATION_VERSION,
                    other,
                    0..0,
                    format!("migration version {version} is also used by {first}; Ecto refuses to run either"),
                )
                .related(first, 0..0, "same version here"),
            );
        }
    }
    for ((_, _, module), files) in modules {
        let Some(((first, first_span), rest)) = files.split_first() else {
            continue;
        };
        for (other, span) in rest {
            out.push(
                Finding::new(
                    &DUPLICATE_MIGRATION_MODULE,
                    other,
                    span.clone(),
                    format!("module {module} is also defined by {first}; the later definition replaces the earlier one when compiled"),
                )
                .related(first, first_span.clone(), "first defined here"),
            );
        }
    }
    for model in &analysis.models {
        for event in &model.events {
            if let FoldEvent::CreatedTwice {
                table,
                first,
                second,
            } = event
            {
                out.push(
                    Finding::new(
                        &TABLE_CREATED_TWICE,
                        &second.file,
                        second.span.clone(),
                        format!("table {table} is created again without a guard or a drop in between; migrating a fresh database fails here (42P07)"),
                    )
                    .table(table)
                    .related(&first.file, first.span.clone(), "first created here"),
                );
            }
        }
    }
}
