//! What a DSL statement says that its facts do not keep: options ecto_sql
//! renders but the model has no field for (`comment:`, `include:`,
//! `mode: :cascade`…) and `default:` values that are not literals. Such a
//! statement is not rendered rather than rendered without them.

use crate::model::facts::{ColumnDef, MigrationOp, OpKind};
use crate::syntax::elixir::{self, call_name, keyword_args, text};
use tree_sitter::{Node, Tree};

/// Options each Ecto call may carry that the facts render fully.
const RENDERED_OPTIONS: &[(&str, &[&str])] = &[
    ("table", &["prefix", "primary_key", "engine"]),
    (
        "add",
        &[
            "null",
            "default",
            "primary_key",
            "size",
            "precision",
            "scale",
            "after",
        ],
    ),
    (
        "add_if_not_exists",
        &[
            "null",
            "default",
            "primary_key",
            "size",
            "precision",
            "scale",
            "after",
        ],
    ),
    (
        "modify",
        &[
            "null",
            "default",
            "size",
            "precision",
            "scale",
            "from",
            "after",
        ],
    ),
    (
        "timestamps",
        &[
            "type",
            "inserted_at",
            "updated_at",
            "null",
            "default",
            "precision",
        ],
    ),
    (
        "references",
        &[
            "column",
            "type",
            "name",
            "on_delete",
            "on_update",
            "prefix",
            "with",
        ],
    ),
    (
        "index",
        &["name", "unique", "prefix", "where", "using", "concurrently"],
    ),
    (
        "unique_index",
        &["name", "unique", "prefix", "where", "using", "concurrently"],
    ),
    ("constraint", &["check", "exclude", "prefix"]),
    ("create", &[]),
    ("create_if_not_exists", &[]),
    ("drop", &[]),
    ("drop_if_exists", &[]),
    ("rename", &["to"]),
];

/// The migration file's syntax tree, kept while rendering it.
pub(super) struct StatementSource {
    src: String,
    tree: Option<Tree>,
}

impl StatementSource {
    pub(super) fn parse(src: &str) -> StatementSource {
        StatementSource {
            src: src.to_string(),
            tree: elixir::parse(src),
        }
    }

    /// The source text of `span` (empty when out of range).
    pub(super) fn text(&self, span: &std::ops::Range<usize>) -> &str {
        self.src.get(span.clone()).unwrap_or("")
    }

    /// The Ecto calls written inside `span` (the statement's own call first).
    fn calls_in(&self, span: &std::ops::Range<usize>) -> Vec<Node<'_>> {
        let Some(tree) = &self.tree else {
            return Vec::new();
        };
        let Some(top) = tree
            .root_node()
            .descendant_for_byte_range(span.start, span.end)
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut stack = vec![top];
        // Bounded: a statement is a handful of calls; the budget only guards
        // pathological input.
        let mut budget = 100_000usize;
        while let Some(node) = stack.pop() {
            budget = budget.saturating_sub(1);
            if budget == 0 {
                break;
            }
            if node.kind() == "call" {
                out.push(node);
            }
            let mut cursor = node.walk();
            let children: Vec<Node> = node.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
        out
    }

    /// `Err` with why when the statement says something its facts do not
    /// keep, so rendering it from them would leave that out.
    pub(super) fn check(&self, op: &MigrationOp) -> Result<(), String> {
        for call in self.calls_in(&op.span) {
            let Some(name) = call_name(call, &self.src) else {
                continue;
            };
            let Some((_, rendered)) = RENDERED_OPTIONS.iter().find(|(n, _)| *n == name) else {
                continue;
            };
            let keys = keyword_args(call, &self.src);
            for (key, _) in &keys {
                if key != "do" && !rendered.contains(&key.as_str()) {
                    return Err(format!("the `{key}:` option of `{name}` is not modelled"));
                }
            }
            let has_default = keys.iter().any(|(k, _)| k == "default");
            if has_default && !default_known(&op.kind, call.byte_range()) {
                return Err(format!(
                    "the default `{}` is not a literal Ecto renders",
                    keys.iter()
                        .find(|(k, _)| k == "default")
                        .map(|(_, v)| text(*v, &self.src))
                        .unwrap_or("?")
                ));
            }
        }
        Ok(())
    }

    /// `drop index(…, concurrently: true)`.
    pub(super) fn concurrently(&self, span: &std::ops::Range<usize>) -> bool {
        self.calls_in(span).into_iter().any(|call| {
            keyword_args(call, &self.src)
                .iter()
                .any(|(k, v)| k == "concurrently" && text(*v, &self.src) == "true")
        })
    }
}

/// Whether the column (or modification) written by the call at `call` kept
/// its `default:` as SQL.
fn default_known(kind: &OpKind, call: std::ops::Range<usize>) -> bool {
    let column_default = |c: &ColumnDef| c.span != call || c.default.is_some();
    match kind {
        OpKind::CreateTable { columns, .. } => columns.iter().all(column_default),
        OpKind::AddColumn { column, .. } => column_default(column),
        OpKind::ModifyColumn { default, .. } => default.is_some(),
        _ => true,
    }
}
