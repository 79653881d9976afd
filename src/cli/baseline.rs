//! Baselines: the findings a project has accepted, kept in a file so CI fails
//! only on new ones. A finding is known by a fingerprint that survives line
//! shifts (its code, file, subject and the normalised text of the flagged
//! line, never a line number); entries are counted, so a second finding with
//! the same fingerprint is new.

use crate::checks::Finding;
use crate::model::workspace::Workspace;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// What `tool` says in every baseline this program writes.
const TOOL: &str = "ecto-ash-lsp";
/// The baseline file format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The fingerprint of a finding: 16 hex digits of a 64-bit FNV-1a hash over
/// the finding's identity. FNV is fixed by its definition, so fingerprints
/// stay equal across builds, platforms and Rust versions.
pub fn fingerprint(ws: &Workspace, f: &Finding) -> String {
    let line = flagged_line(ws, f);
    let parts: [&str; 8] = [
        "v1",
        f.code(),
        &f.file,
        f.resource.as_deref().unwrap_or(""),
        f.table.as_deref().unwrap_or(""),
        f.column.as_deref().unwrap_or(""),
        f.kind.unwrap_or(""),
        &line,
    ];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        // A separator byte that no part contains keeps ("ab","c") apart from ("a","bc").
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// The text of the line a finding starts on, with runs of whitespace made
/// one space, so re-indenting or moving the line keeps its fingerprint.
fn flagged_line(ws: &Workspace, f: &Finding) -> String {
    let Some(file) = ws.files.get(&f.file) else {
        return String::new();
    };
    let line = file.lines.line_of(f.span.start);
    let range = file.lines.line_range(&file.text, line);
    file.text
        .get(range)
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fingerprints with their occurrence number (1 for the first finding with
/// that fingerprint, in report order), one per finding.
pub fn numbered_fingerprints(ws: &Workspace, findings: &[Finding]) -> Vec<(String, usize)> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    findings
        .iter()
        .map(|f| {
            let fp = fingerprint(ws, f);
            let n = seen.entry(fp.clone()).or_insert(0);
            *n += 1;
            (fp, *n)
        })
        .collect()
}

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    tool: String,
    format_version: u32,
    findings: Vec<Entry>,
}

/// One accepted fingerprint. `code`, `file` and `message` are for the people
/// reading the file in a review; only `fingerprint` and `count` are matched.
#[derive(Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    count: usize,
    code: String,
    file: String,
    message: String,
}

/// Accepted findings: how many of each fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    counts: BTreeMap<String, usize>,
}

/// What applying a baseline left.
#[derive(Debug)]
pub struct Applied {
    /// Findings the baseline does not cover: these are reported.
    pub new: Vec<Finding>,
    /// How many findings the baseline covered.
    pub known: usize,
    /// How many accepted findings no longer occur (fixed or changed).
    pub gone: usize,
}

impl Baseline {
    /// Read a baseline file; every problem is one line naming the file.
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let shown = path.display();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!(
                    "baseline {shown}: no such file; create it with `--write-baseline`"
                ))
            }
            Err(e) => return Err(format!("baseline {shown}: could not read: {e}")),
        };
        Baseline::parse(&text).map_err(|e| format!("baseline {shown}: {e}"))
    }

    fn parse(text: &str) -> Result<Baseline, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
        if value.get("tool").and_then(|t| t.as_str()) != Some(TOOL) {
            return Err(format!("not a baseline written by {TOOL}"));
        }
        match value.get("format_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "format version {v} is not the version {FORMAT_VERSION} this build reads; \
                     rewrite it with `--write-baseline`"
                ))
            }
            None => return Err("has no format_version".to_string()),
        }
        let file: BaselineFile =
            serde_json::from_value(value).map_err(|e| format!("malformed ({e})"))?;
        let mut counts = BTreeMap::new();
        for entry in file.findings {
            let valid = entry.fingerprint.len() == 16
                && entry.fingerprint.bytes().all(|b| b.is_ascii_hexdigit());
            if !valid {
                return Err(format!(
                    "malformed (fingerprint {:?} is not 16 hex digits)",
                    entry.fingerprint
                ));
            }
            *counts.entry(entry.fingerprint).or_insert(0) += entry.count;
        }
        Ok(Baseline { counts })
    }

    /// The baseline of a set of findings.
    pub fn of(ws: &Workspace, findings: &[Finding]) -> Baseline {
        let mut counts = BTreeMap::new();
        for f in findings {
            *counts.entry(fingerprint(ws, f)).or_insert(0) += 1;
        }
        Baseline { counts }
    }

    /// Split findings into new ones and ones the baseline accepts. Of several
    /// findings with one fingerprint, the first `count` (in report order) are
    /// accepted and the rest are new.
    pub fn apply(&self, ws: &Workspace, findings: Vec<Finding>) -> Applied {
        let mut left = self.counts.clone();
        let mut new = Vec::new();
        let mut known = 0;
        for f in findings {
            match left.get_mut(&fingerprint(ws, &f)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    known += 1;
                }
                _ => new.push(f),
            }
        }
        Applied {
            new,
            known,
            gone: left.values().sum(),
        }
    }

    pub fn len(&self) -> usize {
        self.counts.values().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The baseline file for a set of findings, sorted so that rewriting it
/// after unrelated changes produces a small diff.
pub fn render(ws: &Workspace, findings: &[Finding]) -> String {
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for f in findings {
        let fp = fingerprint(ws, f);
        entries
            .entry(fp.clone())
            .and_modify(|e| e.count += 1)
            .or_insert_with(|| Entry {
                fingerprint: fp,
                count: 1,
                code: f.code().to_string(),
                file: f.file.clone(),
                message: f.message.clone(),
            });
    }
    let mut findings: Vec<Entry> = entries.into_values().collect();
    findings.sort_by(|a, b| {
        (&a.file, &a.code, &a.message, &a.fingerprint).cmp(&(
            &b.file,
            &b.code,
            &b.message,
            &b.fingerprint,
        ))
    });
    let doc = BaselineFile {
        tool: TOOL.to_string(),
        format_version: FORMAT_VERSION,
        findings,
    };
    // Plain structs of strings and numbers always serialize.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// Write the baseline of `findings` to `path`.
pub fn write(path: &Path, ws: &Workspace, findings: &[Finding]) -> Result<(), String> {
    std::fs::write(path, render(ws, findings))
        .map_err(|e| format!("baseline {}: could not write: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::rules;

    fn workspace(files: &[(&str, &str)]) -> Workspace {
        let mut files: Vec<(String, String)> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        files.push((
            "mix.exs".to_string(),
            "defmodule Shop.MixProject do\nend\n".to_string(),
        ));
        Workspace::from_memory(Path::new("/w"), files).expect("workspace")
    }

    const MIGRATION: &str = "priv/repo/migrations/20240101000000_create_tags.exs";

    fn at(ws: &Workspace, needle: &str) -> Finding {
        let text = &ws.files[MIGRATION].text;
        let start = text.find(needle).expect("needle in text");
        Finding::new(
            &rules::NON_IDEMPOTENT_STATEMENT,
            MIGRATION,
            start..start + needle.len(),
            "table public.tags is created without a guard",
        )
        .table("public.tags")
    }

    fn tags(prelude: &str) -> Workspace {
        workspace(&[(
            MIGRATION,
            &format!(
                "defmodule Shop.Repo.Migrations.CreateTags do\n  use Ecto.Migration\n{prelude}  def change do\n    create table(:tags) do\n      add :name, :string\n    end\n  end\nend\n"
            ),
        )])
    }

    #[test]
    fn fingerprints_ignore_line_shifts_and_indentation() {
        let ws = tags("");
        let shifted = tags("  @moduledoc false\n\n");
        let a = fingerprint(&ws, &at(&ws, "create table(:tags)"));
        let b = fingerprint(&shifted, &at(&shifted, "create table(:tags)"));
        assert_eq!(a, b);
        assert_eq!(a.len(), 16);
        let collapsed = workspace(&[(
            MIGRATION,
            &ws.files[MIGRATION]
                .text
                .replace("    create table(:tags)", "\t\t create  table(:tags) "),
        )]);
        assert_eq!(
            fingerprint(&collapsed, &at(&collapsed, "create  table(:tags)")),
            a
        );
        let edited = workspace(&[(
            MIGRATION,
            &ws.files[MIGRATION].text.replace(
                "create table(:tags)",
                "create table(:tags, primary_key: false)",
            ),
        )]);
        assert_ne!(
            fingerprint(&edited, &at(&edited, "create table(:tags")),
            a,
            "an edited line is a new finding"
        );
    }

    #[test]
    fn fingerprints_tell_subjects_and_codes_apart() {
        let ws = tags("");
        let f = at(&ws, "create table(:tags)");
        let base = fingerprint(&ws, &f);
        assert_ne!(fingerprint(&ws, &f.clone().table("public.labels")), base);
        assert_ne!(fingerprint(&ws, &f.clone().column("name")), base);
        let mut other_code = f.clone();
        other_code.rule = &rules::TABLE_CREATED_TWICE;
        assert_ne!(fingerprint(&ws, &other_code), base);
        let mut other_message = f.clone();
        other_message.message = "reworded".to_string();
        assert_eq!(fingerprint(&ws, &other_message), base, "wording may change");
    }

    #[test]
    fn counts_make_a_second_identical_finding_new() {
        let ws = tags("");
        let f = at(&ws, "create table(:tags)");
        let baseline = Baseline::of(&ws, std::slice::from_ref(&f));
        let applied = baseline.apply(&ws, vec![f.clone(), f.clone()]);
        assert_eq!((applied.new.len(), applied.known, applied.gone), (1, 1, 0));
        let applied = baseline.apply(&ws, vec![]);
        assert_eq!((applied.new.len(), applied.known, applied.gone), (0, 0, 1));
    }

    #[test]
    fn render_then_parse_round_trips() {
        let ws = tags("");
        let f = at(&ws, "create table(:tags)");
        let g = at(&ws, "add :name, :string").column("name");
        let findings = vec![f.clone(), f, g];
        let text = render(&ws, &findings);
        let parsed = Baseline::parse(&text).expect("parses");
        assert_eq!(parsed, Baseline::of(&ws, &findings));
        assert_eq!(parsed.len(), 3);
        assert!(text.contains("\"count\": 2"), "{text}");
        assert!(!text.contains("\"line\""), "no line numbers: {text}");
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let err = |t: &str| Baseline::parse(t).expect_err("rejected");
        assert!(err("").starts_with("not valid JSON"));
        assert!(err("\0\u{1}garbage").starts_with("not valid JSON"));
        assert_eq!(err("[]"), "not a baseline written by ecto-ash-lsp");
        assert_eq!(
            err(r#"{"tool": "other", "format_version": 1, "findings": []}"#),
            "not a baseline written by ecto-ash-lsp"
        );
        assert!(
            err(r#"{"tool": "ecto-ash-lsp", "format_version": 9, "findings": []}"#)
                .starts_with("format version 9 is not the version 1")
        );
        assert_eq!(
            err(r#"{"tool": "ecto-ash-lsp", "findings": []}"#),
            "has no format_version"
        );
        assert!(err(r#"{"tool": "ecto-ash-lsp", "format_version": 1}"#).starts_with("malformed"));
        assert!(err(
            r#"{"tool": "ecto-ash-lsp", "format_version": 1, "findings": [{"fingerprint": "xyz", "count": 1, "code": "c", "file": "f", "message": "m"}]}"#
        )
        .contains("not 16 hex digits"));
        assert!(Baseline::parse(
            r#"{"tool": "ecto-ash-lsp", "format_version": 1, "findings": []}"#
        )
        .expect("empty is fine")
        .is_empty());
    }

    #[test]
    fn findings_outside_indexed_files_still_fingerprint() {
        let ws = workspace(&[]);
        let f = Finding::new(&rules::PARSE_ERROR, "gone.ex", 10..20, "m");
        assert_eq!(fingerprint(&ws, &f).len(), 16);
    }
}
