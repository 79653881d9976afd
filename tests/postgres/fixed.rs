//! PostgreSQL judges the quick fixes and fix-all on the demo: with a fix
//! applied, the fixed migration runs twice in a row on the database the
//! migrations before it built, and the second run fails only where the
//! re-indexed project still flags a statement, with the SQLSTATE it
//! predicts; the statements a fix claims idempotent succeed. Its `down/0`
//! then runs, and the rest of the chain still applies.

use super::generated::run_files;
use super::*;
use ecto_ash_lsp::ide::actions::Action;
use ecto_ash_lsp::ide::fixes::{apply, fix_all, quick_fixes};
use ecto_ash_lsp::ide::Snapshot;
use ecto_ash_lsp::model::ecto_sql::{render, RenderSettings, Way};
use harness::SqlError;
use std::sync::Arc;

const IDEMPOTENCY: [&str; 2] = ["non-idempotent-statement", "irreversible-idempotent-change"];

fn demo() -> Snapshot {
    Snapshot::new(Workspace::load(&support::repo_path("examples/demo")).expect("the demo loads"))
}

/// `snap` with the edits of `action` applied.
fn with_action(snap: &Snapshot, action: &Action) -> Snapshot {
    let mut next = snap.clone();
    for file_edit in &action.edits {
        let text = snap
            .file(&file_edit.file)
            .map(|f| f.text.to_string())
            .unwrap_or_default();
        let mut edits = file_edit.edits.clone();
        edits.sort_by_key(|e| (e.span.start, e.span.end));
        let edited = apply(&text, &edits).expect("edits apply");
        next.workspace_mut()
            .set_text(&file_edit.file, Arc::from(edited.as_str()));
    }
    next.reanalyze();
    next
}

/// [`Database::apply_migration`] in one psql session: each statement's
/// outcome is read from psql's `SQLSTATE` variable (`00000` on success);
/// after a statement's first failing SQL the rest of it is skipped, as
/// the per-statement runs stop there.
fn apply_in_one_session(db: &Database, snap: &Snapshot, rel: &str) -> Vec<Applied> {
    let file = snap.file(rel).unwrap_or_else(|| panic!("{rel} is indexed"));
    let facts = file
        .migration()
        .unwrap_or_else(|| panic!("{rel} is a migration"));
    let settings = RenderSettings::of_file(&snap.workspace, &snap.analysis, rel);
    let statements = render(&file.text, facts, Way::Up, &settings);
    let mut script = String::from("\\set ON_ERROR_STOP 0\n");
    for (i, statement) in statements.iter().enumerate() {
        let Ok(sqls) = &statement.sql else { continue };
        let mut open = 0;
        for (n, sql) in sqls.iter().enumerate() {
            if n > 0 {
                script.push_str("\\if :ERROR\n\\else\n");
                open += 1;
            }
            script.push_str(&format!("{sql};\n\\echo @@ {i} :SQLSTATE\n"));
        }
        script.push_str(&"\\endif\n".repeat(open));
    }
    let out = db
        .run(&script)
        .unwrap_or_else(|e| panic!("{rel}: psql fails: {e}"));
    let mut states: BTreeMap<usize, String> = BTreeMap::new();
    for line in out.lines() {
        let mut parts = line.strip_prefix("@@ ").unwrap_or_default().split(' ');
        let (Some(i), Some(state)) = (parts.next().and_then(|i| i.parse().ok()), parts.next())
        else {
            continue;
        };
        let first_failure = states.get(&i).is_some_and(|s| s != "00000");
        if !first_failure {
            states.insert(i, state.to_string());
        }
    }
    statements
        .into_iter()
        .enumerate()
        .map(|(i, statement)| {
            let outcome = states.get(&i).map(|state| {
                if state == "00000" {
                    Ok(String::new())
                } else {
                    Err(SqlError {
                        sqlstate: Some(state.clone()),
                        message: format!("SQLSTATE {state}"),
                    })
                }
            });
            Applied {
                file: rel.to_string(),
                statement,
                outcome,
            }
        })
        .collect()
}

fn flagged_in(snap: &Snapshot, file: &str) -> usize {
    snap.findings
        .iter()
        .filter(|f| f.file == file && f.code() == "non-idempotent-statement")
        .count()
}

/// On a fresh database: the migrations before `file`, then `file` twice
/// (judged statement by statement against `snap`'s findings), its
/// `down/0`, `up/0` again, and the rest of the chain.
fn judge_fixed_file(snap: &Snapshot, file: &str, title: &str) {
    let Some(db) = harness::database() else {
        return;
    };
    let chain: Vec<&str> = snap
        .analysis
        .models
        .iter()
        .flat_map(|m| m.migrations.iter().map(String::as_str))
        .collect();
    let at = chain
        .iter()
        .position(|r| *r == file)
        .expect("the file is in the chain");
    let (before, after) = (
        chain.get(..at).unwrap_or(&[]),
        chain.get(at + 1..).unwrap_or(&[]),
    );
    run_files(&db, snap, before, Way::Up, false).unwrap_or_else(|e| panic!("{title}: {e}"));
    let (ws, analysis) = (&snap.workspace, &snap.analysis);
    assert_all_ran(&db.apply_migration(ws, analysis, file));
    let mut verdict = RerunVerdict::default();
    judge(
        &db.apply_migration(ws, analysis, file),
        &snap.findings,
        &mut verdict,
    );
    let text = snap
        .file(file)
        .map(|f| f.text.to_string())
        .unwrap_or_default();
    assert!(
        verdict.missed.is_empty(),
        "{title}: a statement the fix left unflagged fails on a re-run:\n{}\n{text}",
        verdict.missed.join("\n")
    );
    assert!(
        verdict.flagged_otherwise.is_empty(),
        "{title}:\n{}\n{text}",
        verdict.flagged_otherwise.join("\n")
    );
    assert_eq!(verdict.as_predicted, flagged_in(snap, file), "{title}");
    run_files(&db, snap, &[file], Way::Down, false)
        .unwrap_or_else(|e| panic!("{title}: down/0 fails: {e}\n{text}"));
    run_files(&db, snap, &[file], Way::Up, false)
        .unwrap_or_else(|e| panic!("{title}: up/0 after down/0 fails: {e}\n{text}"));
    run_files(&db, snap, after, Way::Up, false)
        .unwrap_or_else(|e| panic!("{title}: the rest of the chain fails: {e}\n{text}"));
}

#[test]
fn each_demo_quick_fix_makes_its_statement_rerunnable() {
    // Held for the whole test: the cluster stops when no database is left.
    let Some(_cluster) = harness::database() else {
        return;
    };
    let snap = demo();
    let mut tried = 0;
    for (index, finding) in snap.findings.iter().enumerate() {
        if !IDEMPOTENCY.contains(&finding.code()) {
            continue;
        }
        for action in quick_fixes(&snap, index, finding) {
            let fixed = with_action(&snap, &action);
            let title = format!("{}: {}", finding.file, action.title);
            assert!(
                flagged_in(&fixed, &finding.file) <= flagged_in(&snap, &finding.file),
                "{title}"
            );
            judge_fixed_file(&fixed, &finding.file, &title);
            tried += 1;
        }
    }
    assert!(tried >= 15, "{tried}");
}

#[test]
fn fix_all_on_every_demo_migration_leaves_only_flagged_statements_failing() {
    let mut snap = demo();
    let files: Vec<String> = snap
        .analysis
        .models
        .iter()
        .flat_map(|m| m.migrations.clone())
        .collect();
    let flagged_before = snap
        .findings
        .iter()
        .filter(|f| f.code() == "non-idempotent-statement")
        .count();
    for file in &files {
        if let Some(action) = fix_all(&snap, file) {
            snap = with_action(&snap, &action);
        }
    }
    let flagged = snap
        .findings
        .iter()
        .filter(|f| f.code() == "non-idempotent-statement")
        .count();
    assert!(flagged < flagged_before, "{flagged} of {flagged_before}");
    let Some(db) = harness::database() else {
        return;
    };
    let mut verdict = RerunVerdict::default();
    for rel in &files {
        assert_all_ran(&apply_in_one_session(&db, &snap, rel));
        judge(
            &apply_in_one_session(&db, &snap, rel),
            &snap.findings,
            &mut verdict,
        );
    }
    assert!(verdict.missed.is_empty(), "{}", verdict.missed.join("\n"));
    assert!(
        verdict.flagged_otherwise.is_empty(),
        "{}",
        verdict.flagged_otherwise.join("\n")
    );
    assert_eq!(verdict.as_predicted, flagged);
}
