//! The human report, in the shape rustc and ruff made familiar: severity and
//! code, message, `file:line:column`, the source line with a caret, notes.
//! Colour comes from anstream, which strips it when stdout is not a terminal
//! (or `NO_COLOR` is set).

use crate::checks::{codegen, Finding, Severity};
use crate::cli::json::line_col;
use crate::cli::Report;
use crate::model::workspace::Workspace;
use anstyle::{AnsiColor, Style};
use std::io::Write;

fn severity_style(s: Severity) -> Style {
    let color = match s {
        Severity::Error => AnsiColor::Red,
        Severity::Warning => AnsiColor::Yellow,
        Severity::Information => AnsiColor::Blue,
        Severity::Hint => AnsiColor::Cyan,
    };
    Style::new().bold().fg_color(Some(color.into()))
}

const GUTTER: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Blue)));
const BOLD: Style = Style::new().bold();

pub fn write(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let ws = &report.workspace;
    for f in &report.findings {
        write_finding(out, ws, f)?;
    }
    write_summary(out, report)
}

fn write_finding(out: &mut impl Write, ws: &Workspace, f: &Finding) -> std::io::Result<()> {
    let sev = severity_style(f.severity);
    let kind = f.kind.map(|k| format!(" ({k})")).unwrap_or_default();
    writeln!(
        out,
        "{sev}{}[{}]{sev:#}{kind}{BOLD}: {}{BOLD:#}",
        f.severity.as_str(),
        f.code(),
        f.message
    )?;
    let (line, column) = line_col(ws, &f.file, f.span.start);
    let width = line.to_string().len();
    let pad = " ".repeat(width);
    writeln!(out, "{pad}{GUTTER}-->{GUTTER:#} {}:{line}:{column}", f.file)?;
    if let Some(file) = ws.files.get(&f.file).filter(|file| !file.text.is_empty()) {
        let range = file.lines.line_range(&file.text, line - 1);
        let source = file.text.get(range.clone()).unwrap_or("");
        let start = f.span.start.clamp(range.start, range.end);
        let end = f.span.end.clamp(start, range.end);
        let before: String = source
            .get(..start - range.start)
            .unwrap_or("")
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        let marked = source
            .get(start - range.start..end - range.start)
            .unwrap_or("");
        let carets = "^".repeat(marked.chars().count().max(1));
        writeln!(out, "{pad} {GUTTER}|{GUTTER:#}")?;
        writeln!(
            out,
            "{GUTTER}{line:>width$} |{GUTTER:#} {}",
            source.replace('\t', " ")
        )?;
        writeln!(
            out,
            "{pad} {GUTTER}|{GUTTER:#} {}{sev}{carets}{sev:#}",
            " ".repeat(before.chars().count())
        )?;
    }
    for r in &f.related {
        let (rline, _) = line_col(ws, &r.file, r.span.start);
        writeln!(
            out,
            "{pad} {GUTTER}={GUTTER:#} {BOLD}note{BOLD:#}: {}: {}:{rline}",
            r.message, r.file
        )?;
    }
    writeln!(out)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn write_summary(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let c = report.counts();
    let projects = report.workspace.roots.len();
    writeln!(
        out,
        "Indexed {}: {}, {} and {} → {} ({} ms)",
        plural(projects, "project"),
        plural(c.migrations, "migration"),
        plural(c.resources, "Ash resource"),
        plural(c.schemas, "Ecto schema"),
        plural(c.tables, "table"),
        report.elapsed.as_millis()
    )?;
    if report.findings.is_empty() {
        writeln!(out, "{BOLD}No findings.{BOLD:#}")?;
        return write_codegen_summary(out, report);
    }
    let mut parts = Vec::new();
    for (level, name) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Information, "information"),
        (Severity::Hint, "hint"),
    ] {
        let n = report
            .findings
            .iter()
            .filter(|f| f.severity == level)
            .count();
        if n > 0 {
            let word = if level == Severity::Information {
                format!("{n} information")
            } else {
                plural(n, name)
            };
            parts.push(format!(
                "{}{word}{:#}",
                severity_style(level),
                severity_style(level)
            ));
        }
    }
    writeln!(
        out,
        "{BOLD}Found {}:{BOLD:#} {}",
        plural(report.findings.len(), "finding"),
        parts.join(", ")
    )?;
    write_tally(out, report)?;
    write_codegen_summary(out, report)
}

/// Findings per rule, most severe first, then most frequent: the shape of
/// the report at a glance.
fn write_tally(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let mut tally: Vec<(Severity, &str, usize)> = Vec::new();
    for f in &report.findings {
        match tally
            .iter_mut()
            .find(|(s, c, _)| *s == f.severity && *c == f.code())
        {
            Some(entry) => entry.2 += 1,
            None => tally.push((f.severity, f.code(), 1)),
        }
    }
    if tally.len() < 2 {
        return Ok(());
    }
    tally.sort_by(|a, b| b.0.cmp(&a.0).then(b.2.cmp(&a.2)).then(a.1.cmp(b.1)));
    let width = tally
        .iter()
        .map(|t| t.2.to_string().len())
        .max()
        .unwrap_or(1);
    for (severity, code, n) in tally {
        let style = severity_style(severity);
        writeln!(
            out,
            "  {n:>width$}  {style}{:<11}{style:#}  {code}",
            severity.as_str()
        )?;
    }
    Ok(())
}

/// What `mix ash.codegen` would emit, when the project has resources it manages.
fn write_codegen_summary(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    if !codegen::manages_any(&report.analysis) {
        return Ok(());
    }
    let preview = codegen::preview(&report.workspace, &report.analysis);
    let count = |op: &str| preview.iter().filter(|e| e.operation == op).count();
    let (create, alter) = (count("create"), count("alter"));
    if create + alter == 0 {
        return writeln!(out, "mix ash.codegen would emit: nothing");
    }
    writeln!(
        out,
        "mix ash.codegen would emit: {create} create table, {alter} alter table"
    )
}
