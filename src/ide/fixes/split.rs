//! `change/0` → `up/0` + `down/0`: the body stays as `up/0`, and `down/0`
//! undoes each statement in reverse order, the way ecto_sql's runner
//! reverses `change/0` (`create` → `drop`, `alter … add` → `remove`,
//! `rename` back, `execute(up, down)` → `execute down`), with the
//! idempotent forms (`drop_if_exists`, `remove_if_exists`) so a rollback can
//! be re-run too. A statement that cannot be reversed (a `drop table`, an
//! `execute` without its down SQL, a `modify` without `from:`, arbitrary
//! code) means no split at all rather than a wrong `down/0`.

use super::rewrite::column_of;
use crate::ide::actions::TextEdit;
use crate::model::facts::Span;
use crate::syntax::elixir::{self, call_name, positional_args, text};
use tree_sitter::{Node, Tree};

/// The edits that turn the `def change do … end` at `function` into
/// `def up do … end` followed by a `def down do … end`.
pub(super) fn split_change(src: &str, tree: &Tree, function: &Span) -> Option<Vec<TextEdit>> {
    let def = tree
        .root_node()
        .descendant_for_byte_range(function.start, function.end)?;
    let def = if def.byte_range() == *function {
        def
    } else {
        let mut n = def;
        while n.byte_range() != *function {
            n = n.parent()?;
        }
        n
    };
    if call_name(def, src)? != "def" {
        return None;
    }
    let head = *positional_args(def).first()?;
    if head.kind() != "identifier" || text(head, src) != "change" {
        return None;
    }
    elixir::do_block(def)?;
    let statements = elixir::body_statements(def, src);
    let mut reversed = Vec::new();
    for statement in statements.iter().rev() {
        reversed.push(reverse(*statement, src)?);
    }
    if reversed.is_empty() {
        return None;
    }
    let indent = column_of(src, def.start_byte());
    let inner = " ".repeat(indent + 2);
    let mut down = format!("\n\n{}def down do\n", " ".repeat(indent));
    for (i, lines) in reversed.iter().enumerate() {
        let multi_line = lines.len() > 1;
        let prev_multi = i > 0 && reversed.get(i - 1).is_some_and(|l| l.len() > 1);
        if i > 0 && (multi_line || prev_multi) {
            down.push('\n');
        }
        for line in lines {
            if line.is_empty() {
                down.push('\n');
            } else {
                down.push_str(&format!("{inner}{line}\n"));
            }
        }
    }
    down.push_str(&" ".repeat(indent));
    down.push_str("end");
    Some(vec![
        TextEdit {
            span: head.byte_range(),
            new_text: "up".to_string(),
        },
        TextEdit {
            span: function.end..function.end,
            new_text: down,
        },
    ])
}

/// The statement that undoes `node`, as lines indented relative to it.
fn reverse(node: Node, src: &str) -> Option<Vec<String>> {
    let name = call_name(node, src)?;
    let args = positional_args(node);
    let keywords = elixir::keyword_args(node, src);
    let one_line = |n: Node| -> Option<&str> {
        let t = text(n, src);
        (!t.contains('\n')).then_some(t)
    };
    match name {
        "create" | "create_if_not_exists" => {
            let [object] = args.as_slice() else {
                return None;
            };
            match call_name(*object, src)? {
                "table" | "index" | "unique_index" | "constraint" => {
                    Some(vec![format!("drop_if_exists {}", one_line(*object)?)])
                }
                _ => None,
            }
        }
        "drop" | "drop_if_exists" if keywords.is_empty() => {
            let [object] = args.as_slice() else {
                return None;
            };
            match call_name(*object, src)? {
                "index" | "unique_index" => {
                    Some(vec![format!("create_if_not_exists {}", one_line(*object)?)])
                }
                _ => None,
            }
        }
        "alter" => {
            let [object] = args.as_slice() else {
                return None;
            };
            if call_name(*object, src)? != "table" {
                return None;
            }
            let mut lines = vec![format!("alter {} do", one_line(*object)?)];
            let body = elixir::body_statements(node, src);
            if body.is_empty() {
                return None;
            }
            for change in body.iter().rev() {
                lines.push(format!("  {}", reverse_column_change(*change, src)?));
            }
            lines.push("end".to_string());
            Some(lines)
        }
        "rename" => {
            let to = keywords.iter().find(|(k, _)| k == "to").map(|(_, v)| *v)?;
            if keywords.len() != 1 {
                return None;
            }
            match args.as_slice() {
                [table] if call_name(*table, src)? == "table" && call_name(to, src)? == "table" => {
                    Some(vec![format!(
                        "rename {}, to: {}",
                        one_line(to)?,
                        one_line(*table)?
                    )])
                }
                [table, from] if call_name(*table, src)? == "table" => Some(vec![format!(
                    "rename {}, {}, to: {}",
                    one_line(*table)?,
                    atom(one_line(to)?)?,
                    atom(one_line(*from)?)?
                )]),
                _ => None,
            }
        }
        "execute" => match args.as_slice() {
            [_, down] => Some(vec![format!("execute {}", one_line(*down)?)]),
            _ => None,
        },
        _ => None,
    }
}

/// A column name written as an atom (`:old`).
fn atom(written: &str) -> Option<&str> {
    written.starts_with(':').then_some(written)
}

/// The reverse of one statement inside `alter table … do … end`.
fn reverse_column_change(node: Node, src: &str) -> Option<String> {
    let name = call_name(node, src)?;
    let args = positional_args(node);
    let one_line = |n: Node| -> Option<&str> {
        let t = text(n, src);
        (!t.contains('\n')).then_some(t)
    };
    match (name, args.as_slice()) {
        ("add" | "add_if_not_exists", [column, ty, ..]) => Some(format!(
            "remove_if_exists {}, {}",
            one_line(*column)?,
            one_line(*ty)?
        )),
        ("remove", [_, _, ..]) | ("remove_if_exists", [_, _]) => {
            let arguments = elixir::arguments(node)?;
            let args_text = one_line(arguments)?;
            let verb = if name == "remove" {
                "add"
            } else {
                "add_if_not_exists"
            };
            let inner = args_text
                .strip_prefix('(')
                .and_then(|a| a.strip_suffix(')'))
                .unwrap_or(args_text);
            Some(format!("{verb} {inner}"))
        }
        _ => None,
    }
}
