//! The edge between byte ranges and the protocol: positions in the
//! negotiated encoding, findings as diagnostics (code, link to the rule's
//! documentation, related places, tags, data for code actions), and ide
//! answers as protocol types.

use crate::checks::{Finding, Severity};
use crate::ide::symbols::{Symbol, SymbolKind};
use crate::ide::Snapshot;
use crate::model::facts::Span;
use crate::model::workspace::SourceFile;
use crate::text::ColumnUnit;
use std::path::Path;
use tower_lsp_server::lsp_types as lsp;
use tower_lsp_server::UriExt;

/// Where the README (with one anchor per rule code) is published; a
/// diagnostic's `codeDescription` links to `RULE_DOCS_BASE#<code>`.
pub const RULE_DOCS_BASE: &str = "https://github.com/ecto-ash-lsp/ecto-ash-lsp/blob/main/README.md";

/// What diagnostics say they come from.
pub const SOURCE: &str = "ecto-ash-lsp";

/// The unit a position's `character` counts, as negotiated at initialize.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client offers it, else UTF-16 (the protocol's default).
    pub fn negotiate(offered: Option<&[lsp::PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&lsp::PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> lsp::PositionEncodingKind {
        match self {
            Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        }
    }

    pub fn unit(self) -> ColumnUnit {
        match self {
            Encoding::Utf8 => ColumnUnit::Utf8,
            Encoding::Utf16 => ColumnUnit::Utf16,
        }
    }
}

pub fn position(file: &SourceFile, offset: usize, enc: Encoding) -> lsp::Position {
    let (line, character) = file.lines.position(&file.text, offset, enc.unit());
    lsp::Position::new(clamp_u32(line), clamp_u32(character))
}

pub fn range(file: &SourceFile, span: &Span, enc: Encoding) -> lsp::Range {
    lsp::Range::new(
        position(file, span.start, enc),
        position(file, span.end.max(span.start), enc),
    )
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Byte offset of a client's position in an indexed file. A character past
/// the end of its line means the line's end (as the protocol says); a line
/// past the end of the file is the client's mistake.
pub fn offset(file: &SourceFile, pos: lsp::Position, enc: Encoding) -> Result<usize, String> {
    let line = pos.line as usize;
    let lines = file.lines.line_count();
    if line >= lines {
        return Err(format!(
            "position {}:{} is past the end of {} ({lines} lines)",
            pos.line, pos.character, file.rel
        ));
    }
    Ok(file
        .lines
        .offset(&file.text, line, pos.character as usize, enc.unit()))
}

/// The URI of a workspace-relative file under `root`.
pub fn uri_of(root: &Path, rel: &str) -> Option<lsp::Uri> {
    let mut path = root.to_path_buf();
    path.extend(rel.split('/'));
    lsp::Uri::from_file_path(path)
}

fn severity(s: Severity) -> lsp::DiagnosticSeverity {
    match s {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Information => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

/// A finding as a diagnostic of the file it is in.
pub fn diagnostic(
    snap: &Snapshot,
    root: &Path,
    file: &SourceFile,
    finding: &Finding,
    enc: Encoding,
) -> lsp::Diagnostic {
    let related: Vec<lsp::DiagnosticRelatedInformation> = finding
        .related
        .iter()
        .filter_map(|r| {
            let other = snap.file(&r.file)?;
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location::new(uri_of(root, &r.file)?, range(other, &r.span, enc)),
                message: r.message.clone(),
            })
        })
        .collect();
    let mut data = serde_json::Map::new();
    data.insert("code".into(), finding.code().into());
    data.insert(
        "fixes".into(),
        finding
            .fixes
            .iter()
            .map(|f| serde_json::Value::from(*f))
            .collect(),
    );
    for (key, value) in [
        ("kind", finding.kind.map(str::to_string)),
        ("table", finding.table.clone()),
        ("column", finding.column.clone()),
        ("resource", finding.resource.clone()),
    ] {
        if let Some(v) = value {
            data.insert(key.into(), v.into());
        }
    }
    lsp::Diagnostic {
        range: range(file, &finding.span, enc),
        severity: Some(severity(finding.severity)),
        code: Some(lsp::NumberOrString::String(finding.code().to_string())),
        code_description: rule_link(finding.code()),
        source: Some(SOURCE.to_string()),
        message: finding.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: finding
            .unnecessary
            .then(|| vec![lsp::DiagnosticTag::UNNECESSARY]),
        data: Some(serde_json::Value::Object(data)),
    }
}

fn rule_link(code: &str) -> Option<lsp::CodeDescription> {
    let href = format!("{RULE_DOCS_BASE}#{code}").parse().ok()?;
    Some(lsp::CodeDescription { href })
}

pub fn symbol_kind(kind: SymbolKind) -> lsp::SymbolKind {
    match kind {
        SymbolKind::Module => lsp::SymbolKind::MODULE,
        SymbolKind::Function => lsp::SymbolKind::FUNCTION,
        SymbolKind::Table => lsp::SymbolKind::STRUCT,
        SymbolKind::Column => lsp::SymbolKind::FIELD,
        SymbolKind::Index => lsp::SymbolKind::KEY,
        SymbolKind::Constraint => lsp::SymbolKind::CONSTANT,
        SymbolKind::Statement => lsp::SymbolKind::EVENT,
        SymbolKind::DataLayer => lsp::SymbolKind::NAMESPACE,
        SymbolKind::Attribute => lsp::SymbolKind::FIELD,
        SymbolKind::Identity => lsp::SymbolKind::KEY,
        SymbolKind::Relationship => lsp::SymbolKind::INTERFACE,
    }
}

#[allow(deprecated)] // `deprecated` is a required field of the protocol's struct.
pub fn document_symbol(file: &SourceFile, s: &Symbol, enc: Encoding) -> lsp::DocumentSymbol {
    lsp::DocumentSymbol {
        name: if s.name.is_empty() {
            "?".into()
        } else {
            s.name.clone()
        },
        detail: s.detail.clone(),
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: range(file, &s.span, enc),
        selection_range: range(file, &s.selection, enc),
        children: Some(
            s.children
                .iter()
                .map(|c| document_symbol(file, c, enc))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::workspace::FileRole;
    use std::sync::Arc;

    fn file(text: &str) -> SourceFile {
        SourceFile::from_text(
            "lib/a.ex".into(),
            FileRole::Elixir {
                root: String::new(),
            },
            Arc::from(text),
        )
    }

    #[test]
    fn positions_in_both_encodings_with_emoji_and_crlf() {
        let f = file("# 😀 é\r\nattribute :x\r\n");
        let x = f.text.find(":x").unwrap_or_default();
        let e = f.text.find('é').unwrap_or_default();
        assert_eq!(position(&f, e, Encoding::Utf16), lsp::Position::new(0, 5));
        assert_eq!(position(&f, e, Encoding::Utf8), lsp::Position::new(0, 7));
        assert_eq!(position(&f, x, Encoding::Utf16), lsp::Position::new(1, 10));
        assert_eq!(offset(&f, lsp::Position::new(0, 5), Encoding::Utf16), Ok(e));
        assert_eq!(offset(&f, lsp::Position::new(0, 7), Encoding::Utf8), Ok(e));
        // Past the line's end: the end of the line, before its CRLF.
        assert_eq!(
            offset(&f, lsp::Position::new(0, 99), Encoding::Utf16),
            Ok(e + 'é'.len_utf8())
        );
        assert!(offset(&f, lsp::Position::new(7, 0), Encoding::Utf16).is_err());
        assert_eq!(
            Encoding::negotiate(Some(&[
                lsp::PositionEncodingKind::UTF16,
                lsp::PositionEncodingKind::UTF8
            ])),
            Encoding::Utf8
        );
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
        assert_eq!(
            Encoding::negotiate(Some(&[lsp::PositionEncodingKind::UTF32])),
            Encoding::Utf16
        );
    }
}
