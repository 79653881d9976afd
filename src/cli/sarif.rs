//! `check --format sarif`: one SARIF 2.1.0 log for GitHub code scanning and
//! other SARIF viewers. Every rule of the catalogue is a `reportingDescriptor`
//! (so `ruleIndex` is stable), results carry 1-based regions counted in
//! Unicode code points, `%SRCROOT%`-relative URIs, related locations, and
//! partial fingerprints that survive line shifts.

use crate::checks::rules::{self, Rule};
use crate::checks::{Finding, Severity};
use crate::cli::baseline;
use crate::cli::json::line_col;
use crate::cli::Report;
use crate::model::facts::Span;
use crate::model::workspace::Workspace;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// What `$schema` points at: the schema GitHub's documentation names.
const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The base every result URI is relative to: the PATH given to `check`.
const SRCROOT: &str = "%SRCROOT%";
/// Key of our own entry in `partialFingerprints`.
const FINGERPRINT_KEY: &str = "ectoAshLsp/v1";

/// Where people learn about the tool: the package's repository or homepage
/// when Cargo.toml names one, else its crates.io page.
fn information_uri() -> &'static str {
    match (env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")) {
        (repo, _) if !repo.is_empty() => repo,
        (_, home) if !home.is_empty() => home,
        _ => concat!("https://crates.io/crates/", env!("CARGO_PKG_NAME")),
    }
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    /// Our columns count Unicode scalar values, as CONTRACT.md's do.
    column_kind: &'static str,
    results: Vec<ResultOut<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
    properties: DescriptorProperties,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct DescriptorProperties {
    tags: [&'static str; 2],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultOut<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "ResultProperties::is_empty")]
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

/// The finding's subject, for consumers that filter by it.
#[derive(Serialize)]
struct ResultProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<&'a str>,
}

impl ResultProperties<'_> {
    fn is_empty(&self) -> bool {
        self.kind.is_none()
            && self.resource.is_none()
            && self.table.is_none()
            && self.column.is_none()
    }
}

/// SARIF has three result levels; information and hint are both notes.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

/// `missing-column` → `MissingColumn`, the PascalCase name SARIF suggests.
fn pascal_case(code: &str) -> String {
    code.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A sentence from a rule summary: capitalised, with a full stop.
fn sentence(summary: &str) -> String {
    let mut out = String::new();
    let mut chars = summary.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        out.push_str(chars.as_str());
    }
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn family_tag(rule: &Rule) -> &'static str {
    match rule.family {
        rules::Family::Drift => "drift",
        rules::Family::Idempotency => "idempotency",
        rules::Family::Collision => "collision",
        rules::Family::Other => "tool",
    }
}

fn descriptor(rule: &'static Rule) -> Descriptor {
    let summary = sentence(rule.summary);
    let family = rule.family.title();
    let code = rule.code;
    let default = rule.default.as_str();
    let plain_summary = summary.replace('`', "");
    Descriptor {
        id: code,
        name: pascal_case(code),
        short_description: Text {
            text: plain_summary.clone(),
        },
        full_description: Text {
            text: format!("{plain_summary} Family: {family}. Default severity: {default}."),
        },
        help: Help {
            text: format!(
                "{plain_summary}\n\nFamily: {family}. Default severity: {default}.\n\n\
                 Re-level or turn off the rule in .ecto-ash-lsp.toml:\n\n    [rules]\n    {code} = \"off\"\n\n\
                 Silence one finding with a comment on the line above it:\n\n    \
                 # ecto-ash-lsp: ignore {code} — reason\n"
            ),
            markdown: format!(
                "{summary}\n\n**Family:** {family}. **Default severity:** {default}.\n\n\
                 Re-level or turn off the rule in `.ecto-ash-lsp.toml`:\n\n\
                 ```toml\n[rules]\n{code} = \"off\"\n```\n\n\
                 Silence one finding with a comment on the line above it:\n\n\
                 ```elixir\n# ecto-ash-lsp: ignore {code} — reason\n```\n"
            ),
        },
        default_configuration: Configuration {
            level: level(rule.default),
        },
        properties: DescriptorProperties {
            tags: ["ecto-ash-lsp", family_tag(rule)],
        },
    }
}

/// A relative path as a URI reference: `/` kept, everything outside the
/// unreserved set percent-encoded byte by byte.
pub fn uri_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn physical(ws: &Workspace, file: &str, span: &Span) -> PhysicalLocation {
    let (start_line, start_column) = line_col(ws, file, span.start);
    let (end_line, end_column) = line_col(ws, file, span.end.max(span.start));
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: uri_of(file),
            uri_base_id: SRCROOT,
        },
        region: Region {
            start_line,
            start_column,
            end_line,
            end_column,
        },
    }
}

fn result<'a>(ws: &Workspace, f: &'a Finding, fingerprint: String) -> ResultOut<'a> {
    let rule_index = rules::ALL
        .iter()
        .position(|r| r.code == f.code())
        .unwrap_or(0);
    let mut partial_fingerprints = BTreeMap::new();
    partial_fingerprints.insert(FINGERPRINT_KEY, fingerprint);
    ResultOut {
        rule_id: f.code(),
        rule_index,
        level: level(f.severity),
        message: Text {
            text: f.message.clone(),
        },
        locations: [Location {
            id: None,
            physical_location: physical(ws, &f.file, &f.span),
            message: None,
        }],
        related_locations: f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| Location {
                id: Some(i + 1),
                physical_location: physical(ws, &r.file, &r.span),
                message: Some(Text {
                    text: r.message.clone(),
                }),
            })
            .collect(),
        partial_fingerprints,
        properties: ResultProperties {
            kind: f.kind,
            resource: f.resource.as_deref(),
            table: f.table.as_deref(),
            column: f.column.as_deref(),
        },
    }
}

pub fn write(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let ws = &report.workspace;
    let fingerprints = baseline::numbered_fingerprints(ws, &report.findings);
    let results = report
        .findings
        .iter()
        .zip(fingerprints)
        // The occurrence number keeps two identical findings two alerts.
        .map(|(f, (fp, n))| result(ws, f, format!("{fp}:{n}")))
        .collect();
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: information_uri(),
                    rules: rules::ALL.iter().map(descriptor).collect(),
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    let text = serde_json::to_string_pretty(&log).map_err(std::io::Error::other)?;
    writeln!(out, "{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_encode_what_a_uri_cannot_hold() {
        assert_eq!(
            uri_of("lib/shop/tag.ex"),
            "lib/shop/tag.ex",
            "plain paths stay readable"
        );
        assert_eq!(
            uri_of("lib/my app/100%#?.ex"),
            "lib/my%20app/100%25%23%3F.ex"
        );
        assert_eq!(uri_of("lib/café.ex"), "lib/caf%C3%A9.ex");
        assert_eq!(uri_of(""), "");
    }

    #[test]
    fn rule_names_and_sentences() {
        assert_eq!(pascal_case("missing-column"), "MissingColumn");
        assert_eq!(pascal_case("a--b"), "AB");
        assert_eq!(sentence("a thing"), "A thing.");
        assert_eq!(sentence("done."), "Done.");
        assert_eq!(sentence(""), ".");
    }

    #[test]
    fn every_rule_has_help_and_a_level() {
        for rule in rules::ALL {
            let d = descriptor(rule);
            assert_eq!(d.id, rule.code);
            assert!(d.help.text.contains(rule.code));
            assert!(d.help.markdown.contains("```toml"));
            assert!(!d.short_description.text.contains('`'));
            assert!(["error", "warning", "note"].contains(&d.default_configuration.level));
        }
        assert_eq!(level(Severity::Hint), "note");
        assert_eq!(level(Severity::Information), "note");
    }
}
