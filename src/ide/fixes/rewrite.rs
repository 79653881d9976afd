//! The idempotent form of one statement: Ecto's `*_if_not_exists` /
//! `*_if_exists` verbs, `IF [NOT] EXISTS` inserted at the right word of raw
//! SQL, and `DO` blocks that test the catalog first where Postgres has no
//! such clause (constraints, renames).

use crate::ide::actions::TextEdit;
use crate::model::facts::{ConstraintKind, MigrationOp, OpKind, OpSource, Span, TableName};
use crate::syntax::elixir;

/// The formatter's line length (`mix format`'s default).
const LINE_LENGTH: usize = 98;

pub(super) struct Context<'a> {
    pub src: &'a str,
    /// A tenant migration: Ecto gives its statements the tenant's prefix,
    /// which SQL we write ourselves would not get.
    pub tenant: bool,
    pub in_change: bool,
}

pub(super) struct Rewrite {
    pub title: String,
    pub edits: Vec<TextEdit>,
    /// The new form is one Ecto cannot reverse inside `change/0`.
    pub irreversible_in_change: bool,
}

/// The rewrite of the statement holding `ops` (several only for one raw
/// SQL statement with several actions), or `None` when there is no safe one.
pub(super) fn rewrite(ctx: &Context, ops: &[&MigrationOp]) -> Option<Rewrite> {
    let first = *ops.first()?;
    match first.source {
        OpSource::Dsl if ops.len() == 1 => dsl(ctx, first),
        OpSource::Dsl => None,
        OpSource::RawSql { with_down, .. } => {
            let mut r = raw(ctx, ops)?;
            r.irreversible_in_change = !with_down;
            Some(r)
        }
    }
}

fn dsl(ctx: &Context, op: &MigrationOp) -> Option<Rewrite> {
    let verb = |from: &str, to: &str, irreversible: bool| {
        verb_swap(ctx.src, op, from, to).map(|edits| Rewrite {
            title: format!("use {to}"),
            edits,
            irreversible_in_change: irreversible,
        })
    };
    match &op.kind {
        OpKind::CreateTable { .. } | OpKind::CreateIndex { .. } => {
            verb("create", "create_if_not_exists", false)
        }
        OpKind::AddColumn { column, .. } if column.references.is_none() => {
            verb("add", "add_if_not_exists", true)
        }
        OpKind::DropIndex { .. } => verb("drop", "drop_if_exists", false),
        OpKind::DropTable { .. } | OpKind::DropConstraint { .. } => {
            verb("drop", "drop_if_exists", true)
        }
        OpKind::RemoveColumn { .. } => remove_if_exists(ctx, op),
        OpKind::CreateConstraint {
            table, name, kind, ..
        } if !ctx.tenant => dsl_constraint(ctx, op, table, name.as_deref()?, kind),
        OpKind::RenameTable { from, to } if !ctx.tenant && from.schema == to.schema => {
            let up = rename_table_sql(from, &to.name)?;
            let back = TableName {
                name: to.name.clone(),
                ..from.clone()
            };
            let down = rename_table_sql(&back, &from.name)?;
            replace_with_execute(
                ctx,
                op,
                &up,
                &down,
                "rename only while the old table exists",
            )
        }
        OpKind::RenameColumn { table, from, to } if !ctx.tenant => {
            let up = rename_column_sql(table, from, to)?;
            let down = rename_column_sql(table, to, from)?;
            replace_with_execute(
                ctx,
                op,
                &up,
                &down,
                "rename only while the old column exists",
            )
        }
        OpKind::RenameIndex {
            schema, from, to, ..
        } if !ctx.tenant => {
            let at = |name: &str| -> Option<String> {
                let name = ident(name)?;
                Some(match schema {
                    Some(s) => format!("{}.{name}", ident(s)?),
                    None => name,
                })
            };
            let up = format!(
                "ALTER INDEX IF EXISTS {} RENAME TO {}",
                at(from)?,
                ident(to)?
            );
            let down = format!(
                "ALTER INDEX IF EXISTS {} RENAME TO {}",
                at(to)?,
                ident(from)?
            );
            replace_with_execute(ctx, op, &up, &down, "use ALTER INDEX IF EXISTS")
        }
        _ => None,
    }
}

/// Swap the verb of a DSL statement, keeping continuation lines aligned to
/// its first argument the way the formatter aligns calls without parens.
fn verb_swap(src: &str, op: &MigrationOp, from: &str, to: &str) -> Option<Vec<TextEdit>> {
    if src.get(op.verb_span.clone())? != from {
        return None;
    }
    let mut edits = vec![TextEdit {
        span: op.verb_span.clone(),
        new_text: to.to_string(),
    }];
    let has_block = matches!(op.kind, OpKind::CreateTable { .. });
    if !has_block {
        let column = column_of(src, op.verb_span.start);
        let args_column = column + from.len() + 1;
        let pad = " ".repeat(to.len() - from.len().min(to.len()));
        let statement = src.get(op.span.clone())?;
        let mut offset = op.span.start;
        for line in statement.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            if start == op.span.start {
                continue;
            }
            let indent = line.len() - line.trim_start_matches(' ').len();
            if indent >= args_column && !line.trim().is_empty() {
                edits.push(TextEdit {
                    span: start..start,
                    new_text: pad.clone(),
                });
            }
        }
    }
    Some(edits)
}

/// `remove :c, type[, opts]` → `remove_if_exists :c, type` (it takes no
/// options; they only matter to reverse a `remove`).
fn remove_if_exists(ctx: &Context, op: &MigrationOp) -> Option<Rewrite> {
    if ctx.src.get(op.verb_span.clone())? != "remove" {
        return None;
    }
    let statement = ctx.src.get(op.span.clone())?;
    let tree = elixir::parse(statement)?;
    let call = tree.root_node().named_child(0)?;
    let args = elixir::positional_args(call);
    let (name, ty) = (args.first()?, args.get(1)?);
    let name = elixir::text(*name, statement);
    let ty = elixir::text(*ty, statement);
    if ty.contains('\n') {
        return None;
    }
    Some(Rewrite {
        title: "use remove_if_exists".to_string(),
        edits: vec![TextEdit {
            span: op.span.clone(),
            new_text: format!("remove_if_exists {name}, {ty}"),
        }],
        irreversible_in_change: true,
    })
}

/// `create constraint(…)` → `execute` of a `DO` block that adds it only
/// when `pg_constraint` has no constraint of that name on the table.
fn dsl_constraint(
    ctx: &Context,
    op: &MigrationOp,
    table: &TableName,
    name: &str,
    kind: &ConstraintKind,
) -> Option<Rewrite> {
    let statement = ctx.src.get(op.span.clone())?;
    let tree = elixir::parse(statement)?;
    let create = tree.root_node().named_child(0)?;
    if elixir::call_name(create, statement)? != "create" {
        return None;
    }
    let call = *elixir::positional_args(create).first()?;
    let mut not_valid = false;
    for (key, value) in elixir::keyword_args(call, statement) {
        match (key.as_str(), elixir::text(value, statement)) {
            ("check" | "exclude" | "prefix", _) | ("validate", "true") => {}
            ("validate", "false") => not_valid = true,
            _ => return None,
        }
    }
    let body = match kind {
        ConstraintKind::Check(expr) => format!("CHECK ({expr})"),
        ConstraintKind::Exclude(expr) => format!("EXCLUDE USING {expr}"),
        _ => return None,
    };
    let qualified = qualified(table)?;
    let add = format!(
        "ALTER TABLE {qualified} ADD CONSTRAINT {} {body}{}",
        ident(name)?,
        if not_valid { " NOT VALID" } else { "" }
    );
    let up = guarded_add_constraint(name, &qualified, &add)?;
    let down = format!(
        "ALTER TABLE {qualified} DROP CONSTRAINT IF EXISTS {}",
        ident(name)?
    );
    let mut r = replace_with_execute(
        ctx,
        op,
        &up,
        &down,
        "add the constraint in a guarded DO block",
    )?;
    if !ctx.in_change {
        // `up/0` has its own `down/0`, which already drops the constraint.
        let single = execute_text(column_of(ctx.src, op.span.start), &up, None)?;
        r.edits = spaced(ctx.src, &op.span, single);
    }
    Some(r)
}

fn guarded_add_constraint(name: &str, qualified: &str, statement: &str) -> Option<String> {
    Some(format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = {} AND conrelid = {}::regclass) THEN {statement}; END IF; END $$",
        literal(name),
        literal(qualified)
    ))
}

fn rename_table_sql(from: &TableName, to: &str) -> Option<String> {
    Some(format!(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = {} AND table_name = {}) THEN ALTER TABLE {} RENAME TO {}; END IF; END $$",
        schema_test(from),
        literal(&from.name),
        qualified(from)?,
        ident(to)?
    ))
}

fn rename_column_sql(table: &TableName, from: &str, to: &str) -> Option<String> {
    Some(format!(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = {} AND table_name = {} AND column_name = {}) THEN ALTER TABLE {} RENAME COLUMN {} TO {}; END IF; END $$",
        schema_test(table),
        literal(&table.name),
        literal(from),
        qualified(table)?,
        ident(from)?,
        ident(to)?
    ))
}

/// The schema a catalog test compares with: the one written, or the
/// search path's first (where an unqualified name resolves).
fn schema_test(t: &TableName) -> String {
    match &t.schema {
        Some(s) => literal(s),
        None => "current_schema()".to_string(),
    }
}

/// Replace the statement with `execute up, down` (in `change/0`) or
/// `execute up` (in `up/0`, whose `down/0` already undoes the original).
fn replace_with_execute(
    ctx: &Context,
    op: &MigrationOp,
    up: &str,
    down: &str,
    title: &str,
) -> Option<Rewrite> {
    let column = column_of(ctx.src, op.span.start);
    let text = execute_text(column, up, ctx.in_change.then_some(down))?;
    Some(Rewrite {
        title: title.to_string(),
        edits: spaced(ctx.src, &op.span, text),
        irreversible_in_change: false,
    })
}

/// `execute "up"[, "down"]` as the formatter lays it out at `column`: on
/// one line when it fits, else the second argument aligned under the first.
fn execute_text(column: usize, up: &str, down: Option<&str>) -> Option<String> {
    let up = elixir_string(up)?;
    let Some(down) = down else {
        return Some(format!("execute {up}"));
    };
    let down = elixir_string(down)?;
    let one_line = format!("execute {up}, {down}");
    if column + one_line.len() <= LINE_LENGTH {
        return Some(one_line);
    }
    Some(format!("execute {up},\n{}{down}", " ".repeat(column + 8)))
}

/// Replace `span` with `text`; when `text` is long or spans lines, set it
/// apart with blank lines from its neighbours the way the formatter does.
fn spaced(src: &str, span: &Span, text: String) -> Vec<TextEdit> {
    let column = column_of(src, span.start);
    let long = text.contains('\n') || column + text.len() > LINE_LENGTH;
    let mut edits = Vec::new();
    if long {
        // Above: skip the comment lines that belong to the statement.
        let mut first_line = line_start(src, span.start);
        while let Some(prev_start) = first_line.checked_sub(1).map(|e| line_start(src, e)) {
            let prev = src.get(prev_start..first_line).unwrap_or("").trim();
            if prev.starts_with('#') {
                first_line = prev_start;
                continue;
            }
            if !prev.is_empty() && !prev.ends_with(" do") && prev != "do" {
                edits.push(TextEdit {
                    span: first_line..first_line,
                    new_text: "\n".to_string(),
                });
            }
            break;
        }
    }
    edits.push(TextEdit {
        span: span.clone(),
        new_text: text,
    });
    if long {
        let after = src.get(span.end..).unwrap_or("");
        if let Some(eol) = after.find('\n') {
            let next_start = span.end + eol + 1;
            let next = src
                .get(next_start..)
                .and_then(|rest| rest.lines().next())
                .unwrap_or("")
                .trim();
            if !next.is_empty() && next != "end" && !next.starts_with("end ") {
                edits.push(TextEdit {
                    span: next_start..next_start,
                    new_text: "\n".to_string(),
                });
            }
        }
    }
    edits
}

fn line_start(src: &str, offset: usize) -> usize {
    src.get(..offset)
        .and_then(|s| s.rfind('\n'))
        .map_or(0, |i| i + 1)
}

/// Columns (bytes; migrations indent with spaces) from the line start.
pub(super) fn column_of(src: &str, offset: usize) -> usize {
    offset - line_start(src, offset)
}

/// An Elixir string literal of `s`.
fn elixir_string(s: &str) -> Option<String> {
    if s.contains('\n') || s.contains('\r') {
        return None;
    }
    let escaped = s
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace("#{", "\\#{");
    Some(format!("\"{escaped}\""))
}

/// A SQL identifier written without quotes: only plain lowercase names, so
/// the text we write is the name Postgres stores.
fn ident(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let first = chars.next()?;
    let plain = (first.is_ascii_lowercase() || first == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    plain.then(|| name.to_string())
}

fn qualified(t: &TableName) -> Option<String> {
    Some(match &t.schema {
        Some(s) => format!("{}.{}", ident(s)?, ident(&t.name)?),
        None => ident(&t.name)?,
    })
}

/// A SQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The words at `start` in the file (letters, digits, `_`), lowercased, each
/// with its span, up to the first other character that is not whitespace.
fn leading_words(src: &str, start: usize, limit: usize) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let Some(rest) = src.get(start..) else {
        return out;
    };
    let mut word_start = None;
    for (i, c) in rest.char_indices() {
        let in_word = c.is_ascii_alphanumeric() || c == '_';
        match (in_word, word_start) {
            (true, None) => word_start = Some(i),
            (true, Some(_)) => {}
            (false, Some(ws)) => {
                out.push((rest[ws..i].to_ascii_lowercase(), start + ws..start + i));
                word_start = None;
                if out.len() >= limit {
                    return out;
                }
                if !c.is_whitespace() {
                    return out;
                }
            }
            (false, None) if c.is_whitespace() => {}
            (false, None) => return out,
        }
    }
    out
}

/// Raw SQL: `IF [NOT] EXISTS` or `OR REPLACE` at the right word, or the
/// statement wrapped in a guarded `DO` block.
fn raw(ctx: &Context, ops: &[&MigrationOp]) -> Option<Rewrite> {
    let first = *ops.first()?;
    let delimiter_ok = string_allows_wrapping(ctx.src, &first.span)?;
    let words = leading_words(ctx.src, first.span.start, 6);
    let w: Vec<&str> = words.iter().map(|(s, _)| s.as_str()).collect();
    let after = |i: usize, text: &str| -> Option<TextEdit> {
        let span = words.get(i)?.1.clone();
        Some(TextEdit {
            span: span.end..span.end,
            new_text: text.to_string(),
        })
    };
    let insert = |edit: Option<TextEdit>, title: &str| {
        edit.map(|e| Rewrite {
            title: title.to_string(),
            edits: vec![e],
            irreversible_in_change: false,
        })
    };
    let position = |words: &[&str], wanted: &[&str]| words.iter().position(|x| wanted.contains(x));
    if ops.len() > 1 {
        // One ALTER TABLE with several actions: each added or dropped column
        // gets its own clause.
        let mut edits = Vec::new();
        for op in ops {
            edits.push(column_clause(ctx.src, op)?);
        }
        return Some(Rewrite {
            title: "add IF [NOT] EXISTS to each column".to_string(),
            edits,
            irreversible_in_change: false,
        });
    }
    match &first.kind {
        OpKind::CreateTable { .. } => {
            if w.first() != Some(&"create") {
                return None;
            }
            let at = position(&w, &["table"])?;
            let between_ok = w
                .get(1..at)?
                .iter()
                .all(|x| matches!(*x, "global" | "local" | "temp" | "temporary" | "unlogged"));
            if !between_ok || w.get(at + 1) == Some(&"if") {
                return None;
            }
            insert(after(at, " IF NOT EXISTS"), "add IF NOT EXISTS")
        }
        OpKind::CreateIndex { .. } => {
            if w.first() != Some(&"create") {
                return None;
            }
            let at = position(&w, &["index"])?;
            let at = if w.get(at + 1) == Some(&"concurrently") {
                at + 1
            } else {
                at
            };
            if !w
                .get(1..at)?
                .iter()
                .all(|x| matches!(*x, "unique" | "index"))
            {
                return None;
            }
            // `IF NOT EXISTS` needs a name: `CREATE INDEX ON t …` has none.
            match w.get(at + 1) {
                Some(&"on") | Some(&"if") | None => None,
                Some(_) => insert(after(at, " IF NOT EXISTS"), "add IF NOT EXISTS"),
            }
        }
        OpKind::CreateView {
            materialized: true, ..
        } => match w.as_slice() {
            ["create", "materialized", "view", next, ..] if *next != "if" => {
                insert(after(2, " IF NOT EXISTS"), "add IF NOT EXISTS")
            }
            _ => None,
        },
        OpKind::CreateView {
            materialized: false,
            ..
        } => match w.as_slice() {
            ["create", "view", ..] | ["create", "temp" | "temporary", "view", ..] => {
                insert(after(0, " OR REPLACE"), "use CREATE OR REPLACE VIEW")
            }
            _ => None,
        },
        OpKind::AddColumn { .. } | OpKind::RemoveColumn { .. } => Some(Rewrite {
            title: "add IF [NOT] EXISTS to the column".to_string(),
            edits: vec![column_clause(ctx.src, first)?],
            irreversible_in_change: false,
        }),
        OpKind::OtherDdl { .. } => match w.as_slice() {
            ["create", "schema" | "extension" | "sequence", next, ..] if *next != "if" => {
                insert(after(1, " IF NOT EXISTS"), "add IF NOT EXISTS")
            }
            ["create", "function" | "procedure", ..] => {
                insert(after(0, " OR REPLACE"), "use CREATE OR REPLACE")
            }
            ["drop", "schema" | "extension" | "sequence" | "type" | "function" | "procedure", next, ..]
                if *next != "if" =>
            {
                insert(after(1, " IF EXISTS"), "add IF EXISTS")
            }
            _ => None,
        },
        OpKind::DropTable { .. } | OpKind::DropView { .. } | OpKind::DropIndex { .. } => {
            match w.as_slice() {
                ["drop", "materialized", "view", next, ..] if *next != "if" => {
                    insert(after(2, " IF EXISTS"), "add IF EXISTS")
                }
                ["drop", "index", "concurrently", next, ..] if *next != "if" => {
                    insert(after(2, " IF EXISTS"), "add IF EXISTS")
                }
                ["drop", "table" | "view" | "index", next, ..] if *next != "if" => {
                    insert(after(1, " IF EXISTS"), "add IF EXISTS")
                }
                _ => None,
            }
        }
        OpKind::RenameIndex { .. } => match w.as_slice() {
            ["alter", "index", next, ..] if *next != "if" => {
                insert(after(1, " IF EXISTS"), "add IF EXISTS")
            }
            _ => None,
        },
        OpKind::CreateConstraint {
            table,
            name: Some(name),
            ..
        } if delimiter_ok && w.first() == Some(&"alter") => {
            let test = format!(
                "NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = {} AND conrelid = {}::regclass)",
                literal(name),
                literal(&qualified(table)?)
            );
            wrap(
                ctx.src,
                first,
                &test,
                "add the constraint in a guarded DO block",
            )
        }
        OpKind::RenameTable { from, .. } if delimiter_ok && w.first() == Some(&"alter") => {
            let test = format!(
                "EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = {} AND table_name = {})",
                schema_test(from),
                literal(&from.name)
            );
            wrap(
                ctx.src,
                first,
                &test,
                "rename only while the old table exists",
            )
        }
        OpKind::RenameColumn { table, from, .. } if delimiter_ok && w.first() == Some(&"alter") => {
            let test = format!(
                "EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = {} AND table_name = {} AND column_name = {})",
                schema_test(table),
                literal(&table.name),
                literal(from)
            );
            wrap(
                ctx.src,
                first,
                &test,
                "rename only while the old column exists",
            )
        }
        OpKind::RenameConstraint { table, from, .. }
            if delimiter_ok && w.first() == Some(&"alter") =>
        {
            let test = format!(
                "EXISTS (SELECT 1 FROM pg_constraint WHERE conname = {} AND conrelid = {}::regclass)",
                literal(from),
                literal(&qualified(table)?)
            );
            wrap(
                ctx.src,
                first,
                &test,
                "rename only while the old constraint exists",
            )
        }
        _ => None,
    }
}

/// `ADD [COLUMN] IF NOT EXISTS c` / `DROP [COLUMN] IF EXISTS c`, written
/// just before the column's name.
fn column_clause(src: &str, op: &MigrationOp) -> Option<TextEdit> {
    let (name_start, clause, verb) = match &op.kind {
        OpKind::AddColumn {
            column,
            if_not_exists: false,
            ..
        } => (column.name_span.start, "IF NOT EXISTS ", "add"),
        OpKind::RemoveColumn {
            column_span,
            if_exists: false,
            ..
        } => (column_span.start, "IF EXISTS ", "drop"),
        _ => return None,
    };
    // The words before the name must be `ADD` or `ADD COLUMN`.
    let before = src.get(op.span.start..name_start)?;
    let words: Vec<String> = before
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let tail: Vec<&str> = words.iter().rev().take(2).map(String::as_str).collect();
    let ok = match tail.as_slice() {
        ["column", v, ..] => *v == verb,
        [v, ..] => *v == verb,
        _ => false,
    };
    let gap = src.get(name_start.saturating_sub(1)..name_start)?;
    (ok && gap.chars().all(char::is_whitespace)).then(|| TextEdit {
        span: name_start..name_start,
        new_text: clause.to_string(),
    })
}

/// Wrap a raw statement, where it is written, in `DO $$ BEGIN IF test THEN
/// … ; END IF; END $$`.
fn wrap(src: &str, op: &MigrationOp, test: &str, title: &str) -> Option<Rewrite> {
    let text = src.get(op.span.clone())?;
    let statement = text.trim_end().trim_end_matches(';');
    let end = op.span.start + statement.len();
    Some(Rewrite {
        title: title.to_string(),
        edits: vec![
            TextEdit {
                span: op.span.start..op.span.start,
                new_text: format!("DO $$ BEGIN IF {test} THEN "),
            },
            TextEdit {
                span: end..end,
                new_text: "; END IF; END $$".to_string(),
            },
        ],
        irreversible_in_change: false,
    })
}

/// Whether the string holding `span` is one where the text of a `DO` block
/// (quotes, parentheses, `$$`) can go as is: `"…"`, a `"""` heredoc, or a
/// `~s`/`~S` sigil with those delimiters. `None` when the span is not inside
/// one string (built from pieces).
fn string_allows_wrapping(src: &str, span: &Span) -> Option<bool> {
    let tree = elixir::parse(src)?;
    let mut node = tree
        .root_node()
        .descendant_for_byte_range(span.start, span.end)?;
    loop {
        if matches!(node.kind(), "string" | "sigil") {
            break;
        }
        node = node.parent()?;
    }
    let text = elixir::text(node, src);
    let ok = text.starts_with('"') || text.starts_with("~s\"") || text.starts_with("~S\"");
    Some(ok)
}
