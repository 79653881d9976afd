//! The command line: `check`, `schema` and `rules`, their output formats
//! and exit codes (CONTRACT.md). Positions become line/column only here.

pub mod human;
pub mod json;

use crate::checks::{self, Finding, Severity};
use crate::model::analysis::{analyze, Analysis};
use crate::model::workspace::Workspace;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// What `check` exits with when findings reach the failing severity.
pub const EXIT_FINDINGS: i32 = 1;
/// What any command exits with when it could not do its job.
pub const EXIT_TROUBLE: i32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckFormat {
    Human,
    Json,
}

/// The lowest severity that makes `check` exit 1, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    At(Severity),
    Never,
}

/// An indexed and analysed project with its findings.
pub struct Report {
    pub workspace: Workspace,
    pub analysis: Analysis,
    pub findings: Vec<Finding>,
    pub elapsed: Duration,
}

impl Report {
    pub fn build(path: &Path) -> Result<Report, String> {
        let started = Instant::now();
        let workspace = Workspace::load(path).map_err(|e| e.to_string())?;
        let analysis = analyze(&workspace);
        let findings = checks::run(&workspace, &analysis);
        Ok(Report {
            workspace,
            analysis,
            findings,
            elapsed: started.elapsed(),
        })
    }

    pub fn counts(&self) -> IndexCounts {
        let migrations = self
            .workspace
            .files
            .values()
            .filter(|f| f.migration().is_some())
            .count();
        let (mut resources, mut schemas) = (0, 0);
        for r in &self.analysis.resources {
            match r.facts.kind {
                crate::model::facts::ResourceKind::Ash => resources += 1,
                crate::model::facts::ResourceKind::Ecto => schemas += 1,
            }
        }
        IndexCounts {
            migrations,
            resources,
            schemas,
            tables: self.analysis.models.iter().map(|m| m.tables.len()).sum(),
            files: self.workspace.files.len() + self.workspace.skipped_files,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct IndexCounts {
    pub migrations: usize,
    pub resources: usize,
    pub schemas: usize,
    pub tables: usize,
    pub files: usize,
}

/// `ecto-ash-lsp check`: print the report, return the exit code.
pub fn check(path: &Path, format: CheckFormat, fail_on: FailOn) -> i32 {
    let report = match Report::build(path) {
        Ok(r) => r,
        Err(e) => return trouble(&e),
    };
    let written = match format {
        CheckFormat::Human => {
            let mut out = anstream::stdout().lock();
            human::write(&mut out, &report)
        }
        CheckFormat::Json => {
            let mut out = std::io::stdout().lock();
            json::write_check(&mut out, &report)
        }
    };
    if let Err(e) = written {
        // A closed pipe (`| head`) is not the tool's trouble.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return trouble(&format!("writing the report: {e}"));
        }
    }
    let failing = match fail_on {
        FailOn::Never => false,
        FailOn::At(level) => report.findings.iter().any(|f| f.severity >= level),
    };
    if failing {
        EXIT_FINDINGS
    } else {
        0
    }
}

/// `ecto-ash-lsp schema --format json`.
pub fn schema(path: &Path) -> i32 {
    let report = match Report::build(path) {
        Ok(r) => r,
        Err(e) => return trouble(&e),
    };
    let mut out = std::io::stdout().lock();
    match json::write_schema(&mut out, &report) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            trouble(&format!("writing the schema: {e}"))
        }
        _ => 0,
    }
}

/// `ecto-ash-lsp rules`: the rule table.
pub fn rules() -> i32 {
    let mut out = std::io::stdout().lock();
    let width = checks::rules::ALL
        .iter()
        .map(|r| r.code.len())
        .max()
        .unwrap_or(0);
    for r in checks::rules::ALL {
        if writeln!(
            out,
            "{:width$}  {:11}  {}",
            r.code,
            r.default.as_str(),
            r.summary
        )
        .is_err()
        {
            break;
        }
    }
    0
}

/// One clear line on stderr, exit 2.
pub fn trouble(message: &str) -> i32 {
    eprintln!("error: {message}");
    EXIT_TROUBLE
}
