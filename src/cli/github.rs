//! `check --format github`: one GitHub Actions workflow command per finding
//! (`::error file=…,line=…::message`), which the runner turns into an
//! annotation on the pull request's diff. Escaping follows the Actions
//! toolkit: `%`, CR and LF in the message; also `:` and `,` in properties.

use crate::checks::{Finding, Severity};
use crate::cli::json::line_col;
use crate::cli::Report;
use crate::model::workspace::Workspace;
use std::io::Write;

/// Actions has three annotation levels; information and hint are notices.
pub fn command_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "notice",
    }
}

/// Escape a command's message (what follows `::`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=…`, `title=…`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(ws: &Workspace, f: &Finding) -> String {
    let (line, col) = line_col(ws, &f.file, f.span.start);
    let (end_line, end_column) = line_col(ws, &f.file, f.span.end.max(f.span.start));
    let mut message = f.message.clone();
    if let Some(kind) = f.kind {
        message.push_str(&format!(" ({kind})"));
    }
    for r in &f.related {
        let (rline, _) = line_col(ws, &r.file, r.span.start);
        message.push_str(&format!("\nnote: {}: {}:{rline}", r.message, r.file));
    }
    format!(
        "::{} file={},line={line},col={col},endLine={end_line},endColumn={end_column},title={}::{}",
        command_name(f.severity),
        escape_property(&f.file),
        escape_property(f.code()),
        escape_data(&message)
    )
}

pub fn write(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    for f in &report.findings {
        writeln!(out, "{}", command(&report.workspace, f))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_escape_percent_and_line_breaks() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_data("a: b, c"), "a: b, c", "kept in messages");
        assert_eq!(escape_data("%0A"), "%250A", "no double meaning");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("lib/a,b:c%.ex"), "lib/a%2Cb%3Ac%25.ex");
        assert_eq!(escape_property("x\ny"), "x%0Ay");
    }

    #[test]
    fn levels() {
        assert_eq!(command_name(Severity::Error), "error");
        assert_eq!(command_name(Severity::Warning), "warning");
        assert_eq!(command_name(Severity::Information), "notice");
        assert_eq!(command_name(Severity::Hint), "notice");
    }
}
