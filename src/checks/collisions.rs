//! Collisions between migrations of one repo: shared versions, shared module
//! names, and tables created twice without a guard or a drop in between.

use crate::checks::rules::{
    DUPLICATE_MIGRATION_MODULE, DUPLICATE_MIGRATION_VERSION, TABLE_CREATED_TWICE,
};
use crate::checks::Finding;
use crate::model::analysis::Analysis;
use crate::model::facts::Span;
use crate::model::fold::FoldEvent;
use crate::model::workspace::{FileRole, Workspace};
use std::collections::BTreeMap;

/// Migration files of one repo folder (plain or tenant) sharing a key.
type Groups<'a> = BTreeMap<(&'a str, bool, &'a str), Vec<(&'a str, Span)>>;

pub fn check(ws: &Workspace, analysis: &Analysis, out: &mut Vec<Finding>) {
    let mut versions: Groups = BTreeMap::new();
    let mut modules: Groups = BTreeMap::new();
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
        let facts = file.migration();
        // Point at the module name, where a suppression comment can go.
        let module_span = facts.and_then(|m| m.module_span.clone()).unwrap_or(0..0);
        if let Some(v) = version {
            versions
                .entry((repo_dir, *tenant, v))
                .or_default()
                .push((&file.rel, module_span.clone()));
        }
        if let Some(module) = facts.and_then(|m| m.module.as_deref()) {
            modules
                .entry((repo_dir, *tenant, module))
                .or_default()
                .push((&file.rel, module_span));
        }
    }
    report_groups(versions, out, |version, first| {
        (
            &DUPLICATE_MIGRATION_VERSION,
            format!("migration version {version} is also used by {first}; Ecto refuses to run migrations with a duplicated version"),
            "same version here",
        )
    });
    report_groups(modules, out, |module, first| {
        (
            &DUPLICATE_MIGRATION_MODULE,
            format!("module {module} is also defined by {first}; loading both redefines the module, so one migration runs the other's code"),
            "first defined here",
        )
    });
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

fn report_groups(
    groups: Groups,
    out: &mut Vec<Finding>,
    describe: impl Fn(&str, &str) -> (&'static crate::checks::Rule, String, &'static str),
) {
    for ((_, _, key), files) in groups {
        let Some(((first, first_span), rest)) = files.split_first() else {
            continue;
        };
        for (other, span) in rest {
            let (rule, message, note) = describe(key, first);
            out.push(Finding::new(rule, other, span.clone(), message).related(
                first,
                first_span.clone(),
                note,
            ));
        }
    }
}
