//! Checks: pure functions from the indexed workspace and its analysis to
//! findings with byte ranges. One module per rule family; this module owns
//! the finding type, severity levels from configuration, and suppressions.

pub mod codegen;
pub mod collisions;
pub mod drift;
pub mod idempotency;
pub mod reading;
mod rebase;
pub mod rules;

use crate::model::analysis::{Analysis, LinkedResource};
use crate::model::config::RuleLevel;
use crate::model::facts::Span;
use crate::model::workspace::{FileRole, SourceFile, Workspace};
pub use rules::{Rule, Severity};
use std::collections::HashMap;
use std::sync::Arc;

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

/// A file as its facts are made from it: path, role and text, the text
/// compared by identity (the same `Arc` is the same text, and holding it
/// keeps its address from going to another text).
#[derive(Debug, Clone)]
pub(crate) struct FileKey {
    rel: String,
    role: FileRole,
    text: Arc<str>,
}

impl PartialEq for FileKey {
    fn eq(&self, other: &FileKey) -> bool {
        Arc::ptr_eq(&self.text, &other.text) && self.rel == other.rel && self.role == other.role
    }
}

impl FileKey {
    pub(crate) fn of(file: &SourceFile) -> FileKey {
        FileKey {
            rel: file.rel.clone(),
            role: file.role.clone(),
            text: file.text.clone(),
        }
    }

    /// Whether `file` is this file with this text, without copying it.
    pub(crate) fn is(&self, file: &SourceFile) -> bool {
        Arc::ptr_eq(&self.text, &file.text) && self.rel == file.rel && self.role == file.role
    }

    pub(crate) fn at(ws: &Workspace, rel: &str) -> Option<FileKey> {
        ws.files.get(rel).map(FileKey::of)
    }
}

/// The resources by module name: [`Analysis::resource`] without a scan,
/// for memo keys that look up every `belongs_to` destination on every run.
pub(crate) struct Modules<'a>(HashMap<&'a str, &'a LinkedResource>);

impl<'a> Modules<'a> {
    pub(crate) fn of(analysis: &'a Analysis) -> Modules<'a> {
        let mut by_name = HashMap::with_capacity(analysis.resources.len());
        for r in &analysis.resources {
            // The first of a name, as `Analysis::resource` finds it.
            by_name.entry(r.facts.module.as_str()).or_insert(r);
        }
        Modules(by_name)
    }

    pub(crate) fn resource(&self, module: &str) -> Option<&'a LinkedResource> {
        self.0.get(module).copied()
    }
}

/// Run every check, apply configured levels and suppression comments, and
/// sort as CONTRACT.md says (file, line, column, code).
pub fn run(ws: &Workspace, analysis: &Analysis) -> Vec<Finding> {
    run_with(ws, analysis, &mut Memo::default())
}

/// Work of earlier runs on one workspace that a later run may reuse where
/// its inputs are unchanged (the server keeps one per folder).
#[derive(Debug, Default)]
pub struct Memo {
    /// Each file's text as the kept work last saw it (sorted by path): an
    /// edited file's splice moves the kept spans before they are compared.
    texts: Vec<(String, Arc<str>)>,
    drift: drift::Memo,
    idempotency: idempotency::Memo,
    codegen: codegen::Memo,
}

/// How much of its work the last run reused, per memoized unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reuse {
    pub reused: usize,
    pub computed: usize,
}

impl Reuse {
    fn count(&mut self, reused: bool) {
        if reused {
            self.reused += 1;
        } else {
            self.computed += 1;
        }
    }
}

impl Memo {
    /// Reuse in the last run: drift by resource, idempotency by migration,
    /// codegen by table compared with its snapshot.
    pub fn last_run(&self) -> [(&'static str, Reuse); 3] {
        [
            ("drift", self.drift.reuse),
            ("idempotency", self.idempotency.reuse),
            ("codegen", self.codegen.reuse),
        ]
    }
}

/// [`run`], reusing `memo`: the findings are the same as [`run`]'s.
pub fn run_with(ws: &Workspace, analysis: &Analysis, memo: &mut Memo) -> Vec<Finding> {
    let edits = rebase::Edits::since(&mut memo.texts, ws);
    if !edits.is_empty() {
        memo.drift.rebase(&edits);
        memo.idempotency.rebase(&edits);
        memo.codegen.rebase(&edits);
    }
    // Drift on one core, the rest on the other; joined in the same order
    // as one after the other, so the result is the same.
    let (drift_memo, idempotency_memo, codegen_memo) =
        (&mut memo.drift, &mut memo.idempotency, &mut memo.codegen);
    let (mut findings, rest) = rayon::join(
        || {
            let mut findings = Vec::new();
            drift::check_with(analysis, drift_memo, &mut findings);
            findings
        },
        || {
            let mut findings = Vec::new();
            idempotency::check_with(ws, analysis, idempotency_memo, &mut findings);
            collisions::check(ws, analysis, &mut findings);
            codegen::check_with(ws, analysis, codegen_memo, &mut findings);
            reading::check(ws, analysis, &mut findings);
            findings
        },
    );
    findings.extend(rest);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::analysis::{analyze, analyze_after_change};
    use std::path::Path;

    /// The codegen fixture (resources, migrations, snapshots), with a git
    /// repository and an ignore file added so their edits can be tested.
    fn workspace() -> Workspace {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, base, out);
                } else if let (Ok(rel), Ok(text)) =
                    (path.strip_prefix(base), std::fs::read_to_string(&path))
                {
                    out.push((rel.to_string_lossy().replace('\\', "/"), text));
                }
            }
        }
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codegen");
        let mut files = Vec::new();
        walk(&base, &base, &mut files);
        assert!(files.len() > 15, "fixture files: {}", files.len());
        files.push((".git/HEAD".into(), "ref: refs/heads/main\n".into()));
        files.push((".gitignore".into(), "/_build\n/deps\n".into()));
        Workspace::from_memory(Path::new("/w"), files).unwrap_or_default()
    }

    type Edit = (&'static str, fn(&str) -> String);

    /// Apply edits one by one as the server does (reusing analysis and
    /// memo), and compare each result with fresh checks.
    fn reuse_equals_fresh(edits: &[Edit]) {
        reuse_equals_fresh_in(workspace(), "stale-snapshot", edits);
    }

    fn reuse_equals_fresh_in(mut ws: Workspace, expected: &str, edits: &[Edit]) {
        let mut analysis = analyze(&ws);
        let mut memo = Memo::default();
        let first = run_with(&ws, &analysis, &mut memo);
        assert_eq!(first, run(&ws, &analysis));
        assert!(first.iter().any(|f| f.code() == expected), "{first:#?}");
        // A second run with nothing changed reuses everything.
        assert_eq!(run_with(&ws, &analysis, &mut memo), first);
        let mut seen = vec![first];
        for (rel, edit) in edits {
            let text = ws
                .files
                .get(*rel)
                .map(|f| f.text.to_string())
                .unwrap_or_default();
            let edited = edit(&text);
            assert_ne!(edited, text, "the edit of {rel} changes nothing");
            assert!(ws.set_text(rel, Arc::from(edited)), "{rel} is not indexed");
            analysis = analyze_after_change(&ws, &analysis, &[rel.to_string()]);
            let reused = run_with(&ws, &analysis, &mut memo);
            assert_eq!(reused, run(&ws, &analysis), "after editing {rel}");
            seen.push(reused);
        }
        // The edits changed findings, so the reuse was put to the test.
        seen.dedup();
        assert!(seen.len() > edits.len() / 2, "findings barely moved");
    }

    const PAYMENT: &str = "lib/ledger/billing/payment.ex";
    const ACCOUNT: &str = "lib/ledger/accounts/account.ex";
    const MIGRATION: &str = "priv/repo/migrations/20240212101502_migrate_resources1.exs";
    const PAYMENT_SNAPSHOT: &str = "priv/resource_snapshots/repo/payments/20240212101502.json";

    /// The memo's reuse in its last run, for one family.
    fn reuse_of(memo: &Memo, family: &str) -> Reuse {
        memo.last_run()
            .into_iter()
            .find(|(name, _)| *name == family)
            .map(|(_, reuse)| reuse)
            .unwrap_or_default()
    }

    /// Apply edits to several files at once, as one server run does, and
    /// check the reused result against fresh checks.
    fn edit_at_once(
        ws: &mut Workspace,
        analysis: &mut Analysis,
        memo: &mut Memo,
        edits: &[Edit],
    ) -> Vec<Finding> {
        let mut changed = Vec::new();
        for (rel, edit) in edits {
            let text = ws
                .files
                .get(*rel)
                .map(|f| f.text.to_string())
                .unwrap_or_default();
            let edited = edit(&text);
            assert_ne!(edited, text, "the edit of {rel} changes nothing");
            assert!(ws.set_text(rel, Arc::from(edited)), "{rel} is not indexed");
            changed.push(rel.to_string());
        }
        *analysis = analyze_after_change(ws, analysis, &changed);
        let reused = run_with(ws, analysis, memo);
        assert_eq!(reused, run(ws, analysis), "after editing {changed:?}");
        reused
    }

    #[test]
    fn edits_that_only_move_spans_reuse_every_resource() {
        let mut ws = workspace();
        let mut analysis = analyze(&ws);
        let mut memo = Memo::default();
        let first = run_with(&ws, &analysis, &mut memo);
        let resources = analysis.resources.len();
        assert!(resources >= 4, "{resources}");
        assert_eq!(reuse_of(&memo, "drift").computed, resources);
        // Findings of kept resources point into the migration after the edit
        // (a column made there), so moving them is put to the test.
        let after_edit = |f: &Finding| {
            f.related
                .iter()
                .any(|r| r.file == MIGRATION && r.span.start > 1500)
        };
        assert!(first.iter().any(after_edit), "{first:#?}");
        // A comment between two statements, then a longer one, then both
        // gone: every span after it moves, no fact changes.
        let steps: [Edit; 3] = [
            (MIGRATION, |t| {
                t.replacen(
                    "    create table(:invoices",
                    "    # billing\n    create table(:invoices",
                    1,
                )
            }),
            (MIGRATION, |t| {
                t.replacen("# billing", "# billing lives in its own schema 😀", 1)
            }),
            (MIGRATION, |t| {
                t.replacen("    # billing lives in its own schema 😀\n", "", 1)
            }),
        ];
        for step in steps {
            let findings = edit_at_once(&mut ws, &mut analysis, &mut memo, &[step]);
            assert_eq!(
                reuse_of(&memo, "drift"),
                Reuse {
                    reused: resources,
                    computed: 0
                },
                "{findings:#?}"
            );
            // Only the edited migration's own statements are judged again.
            assert_eq!(reuse_of(&memo, "idempotency").computed, 1);
            assert_eq!(reuse_of(&memo, "codegen").computed, 0);
        }
        assert_eq!(run_with(&ws, &analysis, &mut memo), first);
    }

    #[test]
    fn an_edit_of_one_table_recomputes_only_its_resource() {
        let mut ws = workspace();
        let mut analysis = analyze(&ws);
        let mut memo = Memo::default();
        run_with(&ws, &analysis, &mut memo);
        let resources = analysis.resources.len();
        // The invoices table, in the middle of the migration: the accounts
        // before it and the payments after it keep their findings.
        edit_at_once(
            &mut ws,
            &mut analysis,
            &mut memo,
            &[(MIGRATION, |t| t.replace(":total_cents", ":total"))],
        );
        assert_eq!(
            reuse_of(&memo, "drift"),
            Reuse {
                reused: resources - 1,
                computed: 1
            }
        );
        // Typing inside a table's statement drops what spans across it.
        edit_at_once(
            &mut ws,
            &mut analysis,
            &mut memo,
            &[(MIGRATION, |t| {
                t.replace("add :received_at", "add  :received_at")
            })],
        );
        assert_eq!(
            reuse_of(&memo, "drift"),
            Reuse {
                reused: resources - 1,
                computed: 1
            }
        );
    }

    #[test]
    fn several_files_edited_in_one_run_are_all_rebased() {
        let mut ws = workspace();
        let mut analysis = analyze(&ws);
        let mut memo = Memo::default();
        run_with(&ws, &analysis, &mut memo);
        let resources = analysis.resources.len();
        // A resource and the migration at once, neither changing a fact:
        // the resource's spans and the tables' provenance both move.
        edit_at_once(
            &mut ws,
            &mut analysis,
            &mut memo,
            &[
                (PAYMENT, |t| {
                    t.replacen("  postgres do", "  # stored in payments\n  postgres do", 1)
                }),
                (MIGRATION, |t| {
                    t.replacen("  def up do", "  # up\n  def up do", 1)
                }),
            ],
        );
        assert_eq!(
            reuse_of(&memo, "drift"),
            Reuse {
                reused: resources,
                computed: 0
            }
        );
        // Codegen keys on the resource's text, so its comparison is redone.
        assert_eq!(reuse_of(&memo, "codegen").computed, 1);
        // A removed file needs no splice; putting it back is a new file.
        let payment = ws.files.get(PAYMENT).map(|f| f.text.clone());
        ws.remove(PAYMENT);
        analysis = analyze_after_change(&ws, &analysis, &[PAYMENT.to_string()]);
        assert_eq!(run_with(&ws, &analysis, &mut memo), run(&ws, &analysis));
        assert!(ws.set_text(PAYMENT, payment.unwrap_or_else(|| Arc::from(""))));
        analysis = analyze_after_change(&ws, &analysis, &[PAYMENT.to_string()]);
        assert_eq!(run_with(&ws, &analysis, &mut memo), run(&ws, &analysis));
    }

    /// One random splice: which file, where (a fraction of its length),
    /// how many chars go, and what comes in.
    type RandomEdit = (usize, f64, usize, String);

    fn random_edits() -> impl proptest::strategy::Strategy<Value = Vec<RandomEdit>> {
        use proptest::prelude::*;
        let inserted = proptest::collection::vec(
            prop::sample::select(vec![
                "x", " ", "\n", "# c\n", ":", ",", "é", "😀", "_id", "do", "end", "\"",
            ]),
            0..4,
        )
        .prop_map(|parts| parts.concat());
        proptest::collection::vec((0..3usize, 0.0..1.0f64, 0..6usize, inserted), 1..6)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        /// Random splices of a migration, a resource and a snapshot, each
        /// run reusing the rebased memo, give exactly fresh checks.
        #[test]
        fn random_splices_reuse_equals_fresh(edits in random_edits()) {
            let mut ws = workspace();
            let mut analysis = analyze(&ws);
            let mut memo = Memo::default();
            run_with(&ws, &analysis, &mut memo);
            for (which, at, removed, inserted) in edits {
                let rel = [MIGRATION, PAYMENT, PAYMENT_SNAPSHOT][which];
                let text = ws.files.get(rel).map(|f| f.text.to_string()).unwrap_or_default();
                let mut start = (text.len() as f64 * at) as usize;
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let end = text[start..]
                    .char_indices()
                    .nth(removed)
                    .map_or(text.len(), |(i, _)| start + i);
                let edited = format!("{}{inserted}{}", &text[..start], &text[end..]);
                proptest::prop_assert!(ws.set_text(rel, Arc::from(edited)));
                analysis = analyze_after_change(&ws, &analysis, &[rel.to_string()]);
                proptest::prop_assert_eq!(run_with(&ws, &analysis, &mut memo), run(&ws, &analysis));
            }
        }
    }

    #[test]
    fn resource_edits_reuse_equals_fresh() {
        reuse_equals_fresh(&[
            (PAYMENT, |t| t.replace(":reference", ":ref")),
            (PAYMENT, |t| t.replace(":amount_cents", ":amount")),
            (PAYMENT, |t| t.replace(":ref,", ":reference,")),
            (ACCOUNT, |t| format!("{t}\n# touched\n")),
            (PAYMENT, |t| {
                t.replace("belongs_to :invoice", "belongs_to :bill")
            }),
            (PAYMENT, |t| {
                t.replace("table \"payments\"", "table \"payment\"")
            }),
            (PAYMENT, |t| t.replace("defmodule", "defmodule (")),
            (PAYMENT, |t| t.replace("defmodule (", "defmodule")),
        ]);
    }

    #[test]
    fn migration_edits_reuse_equals_fresh() {
        reuse_equals_fresh(&[
            (MIGRATION, |t| {
                t.replace("  use Ecto.Migration", "  # a\n  use Ecto.Migration")
            }),
            (MIGRATION, |t| t.replace("add :display_name, :text\n", "")),
            (MIGRATION, |t| t.replace(":total_cents", ":total")),
            (MIGRATION, |t| {
                t.replace(
                    "create unique_index(:accounts",
                    "execute(@sql)\n    create unique_index(:accounts",
                )
            }),
            (MIGRATION, |t| t.replace("execute(@sql)\n", "")),
        ]);
    }

    #[test]
    fn hand_written_migration_edits_reuse_equals_fresh() {
        // Without snapshots the project writes migrations by hand, so re-runs
        // are judged.
        let mut ws = workspace();
        ws.files
            .retain(|_, f| !matches!(f.role, FileRole::Snapshot { .. }));
        reuse_equals_fresh_in(
            ws,
            "non-idempotent-statement",
            &[
                (MIGRATION, |t| {
                    t.replacen("create table(", "create_if_not_exists table(", 1)
                }),
                (MIGRATION, |t| {
                    t.replace("create unique_index(", "create_if_not_exists unique_index(")
                }),
                (MIGRATION, |t| {
                    t.replace("  use Ecto.Migration", "  # b\n  use Ecto.Migration")
                }),
                (MIGRATION, |t| t.replace("create_if_not_exists", "create")),
            ],
        );
    }

    #[test]
    fn snapshot_and_ignore_edits_reuse_equals_fresh() {
        reuse_equals_fresh(&[
            (PAYMENT_SNAPSHOT, |t| t.replacen("\"uuid\"", "\"text\"", 1)),
            (PAYMENT_SNAPSHOT, |t| t.replacen("\"text\"", "\"uuid\"", 1)),
            (".gitignore", |t| format!("{t}/priv/resource_snapshots\n")),
            (".gitignore", |t| {
                t.replace("/priv/resource_snapshots\n", "")
            }),
            (PAYMENT_SNAPSHOT, |t| t.replacen('{', "[", 1)),
        ]);
    }

    #[test]
    fn reuse_survives_broken_and_empty_files() {
        reuse_equals_fresh(&[
            (PAYMENT, |_| String::new()),
            (MIGRATION, |_| "\u{0}\u{1}binary-ish \u{fffd}".into()),
            (PAYMENT_SNAPSHOT, |_| "{".into()),
            (PAYMENT, |_| {
                "defmodule Ledger.Billing.Payment do\n  use Ash.Resource".into()
            }),
        ]);
    }
}
