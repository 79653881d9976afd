//! Checks: pure functions from the indexed workspace and its analysis to
//! findings with byte ranges. One module per rule family; this module owns
//! the finding type, severity levels from configuration, and suppressions.

pub mod codegen;
pub mod collisions;
pub mod drift;
pub mod idempotency;
pub mod reading;
pub mod rules;

use crate::model::analysis::Analysis;
use crate::model::config::RuleLevel;
use crate::model::facts::Span;
use crate::model::workspace::Workspace;
pub use rules::{Rule, Severity};

/// Another place that explains a finding (where the table was made, the
/// earlier migration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub file: String,
    pub span: Span,
    pub message: String,
}

/// One finding, positioned by byte range in a workspace file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    /// Workspace-relative path, `/`-separated.
    pub file: String,
    pub span: Span,
    pub message: String,
    pub resource: Option<String>,
    /// Always schema-qualified.
    pub table: Option<String>,
    pub column: Option<String>,
    /// For `non-idempotent-statement`: `create-table`, `add-column`, …
    pub kind: Option<&'static str>,
    pub related: Vec<Related>,
    /// Names of the fixes a code action can offer.
    pub fixes: Vec<&'static str>,
    /// Dead code (a re-declaration that never runs): editors fade it.
    pub unnecessary: bool,
    /// Another offset whose line may carry the suppression comment: the
    /// `execute` call of a finding inside its SQL string, where no Elixir
    /// comment can go.
    pub suppressible_at: Option<usize>,
}

impl Finding {
    pub fn new(rule: &'static Rule, file: &str, span: Span, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.default,
            file: file.to_string(),
            span,
            message: message.into(),
            resource: None,
            table: None,
            column: None,
            kind: None,
            related: Vec::new(),
            fixes: Vec::new(),
            unnecessary: false,
            suppressible_at: None,
        }
    }

    pub fn code(&self) -> &'static str {
        self.rule.code
    }

    pub fn resource(mut self, module: &str) -> Finding {
        self.resource = Some(module.to_string());
        self
    }

    pub fn table(mut self, qualified: &str) -> Finding {
        self.table = Some(qualified.to_string());
        self
    }

    pub fn column(mut self, name: &str) -> Finding {
        self.column = Some(name.to_string());
        self
    }

    pub fn related(mut self, file: &str, span: Span, message: impl Into<String>) -> Finding {
        self.related.push(Related {
            file: file.to_string(),
            span,
            message: message.into(),
        });
        self
    }

    pub fn fix(mut self, name: &'static str) -> Finding {
        self.fixes.push(name);
        self
    }
}

/// Run every check, apply configured levels and suppression comments, and
/// sort as CONTRACT.md says (file, line, column, code).
pub fn run(ws: &Workspace, analysis: &Analysis) -> Vec<Finding> {
    let mut findings = Vec::new();
    drift::check(analysis, &mut findings);
    idempotency::check(ws, analysis, &mut findings);
    collisions::check(ws, analysis, &mut findings);
    codegen::check(ws, analysis, &mut findings);
    reading::check(ws, analysis, &mut findings);
    finish(ws, findings)
}

fn finish(ws: &Workspace, findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = findings
        .into_iter()
        .filter_map(|mut f| {
            match ws.config.rules.get(f.code()) {
                Some(RuleLevel::Off) => return None,
                Some(level) => f.severity = severity_of(*level)?,
                None => {}
            }
            let suppressed = ws.files.get(&f.file).is_some_and(|file| {
                file.is_suppressed(f.code(), f.span.start)
                    || f.suppressible_at
                        .is_some_and(|at| file.is_suppressed(f.code(), at))
            });
            (!suppressed).then_some(f)
        })
        .collect();
    out.sort_by(|a, b| {
        (a.file.as_str(), a.span.start, a.code(), &a.message).cmp(&(
            b.file.as_str(),
            b.span.start,
            b.code(),
            &b.message,
        ))
    });
    out.dedup_by(|a, b| {
        a.file == b.file && a.span == b.span && a.code() == b.code() && a.message == b.message
    });
    out
}

fn severity_of(level: RuleLevel) -> Option<Severity> {
    match level {
        RuleLevel::Error => Some(Severity::Error),
        RuleLevel::Warning => Some(Severity::Warning),
        RuleLevel::Information => Some(Severity::Information),
        RuleLevel::Hint => Some(Severity::Hint),
        RuleLevel::Off => None,
    }
}
