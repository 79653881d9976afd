//! The benchmark corpus (`examples/gen-project`) against the real binary:
//! `check` finds exactly the findings the generator planted, per code.

mod support;

#[path = "../examples/gen-project/corpus.rs"]
mod corpus;

use std::collections::BTreeMap;
use support::{run, stderr, stdout};

fn counts(report: &serde_json::Value) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for d in report["diagnostics"].as_array().into_iter().flatten() {
        let code = d["code"].as_str().unwrap_or("?").to_string();
        *counts.entry(code).or_default() += 1;
    }
    counts
}

#[test]
fn check_finds_exactly_the_planted_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = corpus::generate(dir.path(), 0.1).expect("corpus written");
    let path = dir.path().to_string_lossy().into_owned();
    let out = run(&["check", &path, "--format", "json", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON report");

    let written: BTreeMap<String, usize> = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("expected.json")).expect("expected.json"),
    )
    .expect("expected.json is code → count");
    assert_eq!(written, summary.expected);
    assert_eq!(counts(&report), summary.expected);
    // Every kind of planted finding occurs even at this small scale.
    assert_eq!(summary.expected.len(), 15, "{:?}", summary.expected);
    assert_eq!(report["index"]["migrations"], summary.migrations);
    assert_eq!(report["index"]["resources"], summary.resources);
    assert!(!summary.linked_resource.is_empty());
    assert!(summary.sql_bytes > 0);
}

#[test]
fn the_same_scale_writes_the_same_corpus() {
    let (a, b) = (
        tempfile::tempdir().expect("temp dir"),
        tempfile::tempdir().expect("temp dir"),
    );
    let first = corpus::generate(a.path(), 0.1).expect("corpus written");
    let second = corpus::generate(b.path(), 0.1).expect("corpus written");
    assert_eq!(first.expected, second.expected);
    assert_eq!((first.files, first.bytes), (second.files, second.bytes));
    let large = |d: &std::path::Path| std::fs::read(d.join(&first.large_migration)).ok();
    assert_eq!(large(a.path()), large(b.path()));
    let size = large(a.path()).map_or(0, |t| t.len());
    assert!(
        (corpus::LARGE_MIGRATION_BYTES - 2048..corpus::LARGE_MIGRATION_BYTES + 4096)
            .contains(&size),
        "the large migration is {size} bytes"
    );
}
