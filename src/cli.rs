//! The command line: `check`, `schema`, `sql`, `generate` and `rules`, their output formats
//! and exit codes (CONTRACT.md). Positions become line/column only here.

pub mod baseline;
pub mod changed;
pub mod fix;
pub mod generate;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;
pub mod sql;

use crate::checks::{self, Finding, Severity};
use crate::model::analysis::{analyze, Analysis};
use crate::model::workspace::Workspace;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What `check` exits with when findings reach the failing severity.
pub const EXIT_FINDINGS: i32 = 1;
/// What any command exits with when it could not do its job.
pub const EXIT_TROUBLE: i32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckFormat {
    Human,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other viewers.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
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
        let mut workspace = Workspace::load(path).map_err(|e| e.to_string())?;
        let folding = Instant::now();
        let analysis = analyze(&workspace);
        workspace.timings.fold = folding.elapsed();
        let checking = Instant::now();
        let findings = checks::run(&workspace, &analysis);
        workspace.timings.checks = checking.elapsed();
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

/// Everything `check` is told on the command line besides PATH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOptions {
    pub format: CheckFormat,
    pub fail_on: FailOn,
    /// Findings in this file are accepted: only new ones are reported.
    pub baseline: Option<PathBuf>,
    /// Write every current finding into `baseline` instead of reading it.
    pub write_baseline: bool,
    /// Only findings the files changed since this git revision concern.
    pub changed_since: Option<String>,
    /// Apply the safe quick fixes to the files first, then report what is left.
    pub fix: bool,
    /// Print where the time went, phase by phase, on standard error.
    pub timings: bool,
}

impl CheckOptions {
    pub fn new(format: CheckFormat, fail_on: FailOn) -> CheckOptions {
        CheckOptions {
            format,
            fail_on,
            baseline: None,
            write_baseline: false,
            changed_since: None,
            fix: false,
            timings: false,
        }
    }
}

/// `ecto-ash-lsp check`: print the report, return the exit code.
pub fn check(path: &Path, options: &CheckOptions) -> i32 {
    // A bad baseline is found before the (longer) indexing.
    let accepted = match (&options.baseline, options.write_baseline) {
        (Some(file), false) => match baseline::Baseline::read(file) {
            Ok(b) => Some(b),
            Err(e) => return trouble(&e),
        },
        (None, true) => return trouble("--write-baseline needs --baseline FILE"),
        _ => None,
    };
    if options.fix {
        if let Err(e) = fix::fix(path) {
            return trouble(&e);
        }
    }
    let mut report = match Report::build(path) {
        Ok(r) => r,
        Err(e) => return trouble(&e),
    };
    if let Some(rev) = &options.changed_since {
        let changed = match changed::changed_files(path, rev) {
            Ok(files) => files,
            Err(e) => return trouble(&e),
        };
        let findings = std::mem::take(&mut report.findings);
        report.findings = changed::select(&report.workspace, &report.analysis, findings, &changed);
    }
    if let (Some(file), true) = (&options.baseline, options.write_baseline) {
        if let Err(e) = baseline::write(file, &report.workspace, &report.findings) {
            return trouble(&e);
        }
        eprintln!(
            "wrote {} to {}",
            plural(report.findings.len(), "finding"),
            file.display()
        );
    }
    if let (Some(accepted), Some(file)) = (&accepted, &options.baseline) {
        let findings = std::mem::take(&mut report.findings);
        let applied = accepted.apply(&report.workspace, findings);
        report.findings = applied.new;
        if applied.known > 0 {
            eprintln!(
                "{} left out: accepted in {}",
                plural(applied.known, "finding"),
                file.display()
            );
        }
        if applied.gone > 0 {
            eprintln!(
                "{} of {} no longer occur; rewrite it with --write-baseline to drop them",
                plural(applied.gone, "accepted finding"),
                file.display()
            );
        }
    }
    let reporting = Instant::now();
    let written = match options.format {
        CheckFormat::Human => {
            let mut out = anstream::stdout().lock();
            human::write(&mut out, &report)
        }
        CheckFormat::Json => {
            let mut out = std::io::stdout().lock();
            json::write_check(&mut out, &report)
        }
        CheckFormat::Sarif => {
            let mut out = std::io::stdout().lock();
            sarif::write(&mut out, &report)
        }
        CheckFormat::Github => {
            let mut out = std::io::stdout().lock();
            github::write(&mut out, &report)
        }
    };
    if let Err(e) = written {
        // A closed pipe (`| head`) is not the tool's trouble.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return trouble(&format!("writing the report: {e}"));
        }
    }
    if options.timings {
        eprint!("{}", timings_table(&report, reporting.elapsed()));
    }
    // Writing a baseline accepts what it wrote.
    let failing = match options.fail_on {
        _ if options.write_baseline => false,
        FailOn::Never => false,
        FailOn::At(level) => report.findings.iter().any(|f| f.severity >= level),
    };
    if failing {
        EXIT_FINDINGS
    } else {
        0
    }
}

/// `check --timings`: one `phase milliseconds` line per phase, for the
/// benchmark harness (phases summed over threads are marked `cpu`).
fn timings_table(report: &Report, reporting: Duration) -> String {
    let t = &report.workspace.timings;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let rows = [
        ("walk", t.walk, "wall"),
        ("read", t.read, "cpu"),
        ("prefilter", t.prefilter, "cpu"),
        ("parse", t.parse, "cpu"),
        ("facts", t.facts, "cpu"),
        ("indexing", t.indexing, "wall"),
        ("fold", t.fold, "wall"),
        ("checks", t.checks, "wall"),
        ("report", reporting, "wall"),
        ("total", report.elapsed + reporting, "wall"),
    ];
    rows.iter()
        .map(|(name, d, kind)| format!("timing {name} {:.2} ms {kind}\n", ms(*d)))
        .collect()
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
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
    // A closed pipe (`| head`) ends the listing early; that is fine.
    let _ = out.write_all(checks::rules::plain_table("").as_bytes());
    0
}

/// `ecto-ash-lsp parse-sql FILE…` (hidden): run the raw SQL recogniser over
/// each file and print how many statements it read, for the benchmarks.
pub fn parse_sql_files(files: &[PathBuf]) -> i32 {
    let mut statements = 0;
    for file in files {
        match std::fs::read_to_string(file) {
            Ok(text) => statements += crate::syntax::sql::parse_sql(&text).len(),
            Err(e) => return trouble(&format!("{}: {e}", file.display())),
        }
    }
    println!("{statements} statements in {} files", files.len());
    0
}

/// One clear line on stderr, exit 2.
pub fn trouble(message: &str) -> i32 {
    eprintln!("error: {message}");
    EXIT_TROUBLE
}
