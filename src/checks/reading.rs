//! What the tool could not read (`parse-error`) or follow (`unresolved`),
//! reported so nothing is skipped silently.

use crate::checks::rules::{PARSE_ERROR, UNRESOLVED};
use crate::checks::Finding;
use crate::model::analysis::Analysis;
use crate::model::facts::Unresolved;
use crate::model::workspace::Workspace;

pub fn check(ws: &Workspace, analysis: &Analysis, out: &mut Vec<Finding>) {
    for file in ws.files.values() {
        if let Some(problem) = &file.problem {
            out.push(Finding::new(&PARSE_ERROR, &file.rel, 0..0, problem.clone()));
            continue;
        }
        if let Some(first) = file.syntax_errors.first() {
            let line = file.lines.line_of(first.start) + 1;
            let more = match file.syntax_errors.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            out.push(Finding::new(
                &PARSE_ERROR,
                &file.rel,
                first.clone(),
                format!("syntax error at line {line}{more}; facts after it may be incomplete"),
            ));
        }
        let unresolved: &[Unresolved] = if let Some(m) = file.migration() {
            &m.unresolved
        } else if let Some(e) = file.elixir() {
            &e.unresolved
        } else {
            &[]
        };
        for u in unresolved {
            out.push(Finding::new(
                &UNRESOLVED,
                &file.rel,
                u.span.clone(),
                u.message.clone(),
            ));
        }
    }
    // Resource-level notes, including those base-module resolution added.
    for r in &analysis.resources {
        for u in &r.facts.unresolved {
            out.push(
                Finding::new(&UNRESOLVED, &r.file, u.span.clone(), u.message.clone())
                    .resource(&r.facts.module),
            );
        }
    }
}
