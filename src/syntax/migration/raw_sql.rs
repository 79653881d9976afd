//! `execute` statements: the SQL text they run, rebuilt from the string's
//! parts with a map from SQL offsets back to file offsets, read by
//! [`crate::syntax::sql::parse_sql`], and every span of the resulting facts moved into the file.

use super::{
    attribute_read, interpolated_text, sigil_name, single_named_child, Ctx, Extractor, Scope,
};
use crate::model::facts::{
    ConstraintKind, OpKind, OpSource, RawSqlText, Span, TableName, Unresolved,
};
use crate::syntax::elixir::{self, call_name, positional_args, text};
use tree_sitter::Node;

/// SQL text built from Elixir source, remembering where each piece is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct SqlText {
    pub(super) text: String,
    segments: Vec<Segment>,
    /// Ranges of `text` standing in for values only known at run time
    /// (`#{secret}`), each with why: statements touching one are read only
    /// to learn that they change no schema.
    opaque: Vec<(Span, String)>,
}

/// What stands for a run-time value in SQL text: an identifier, so the
/// statement around it still tokenizes (inside quotes it is plain text).
const OPAQUE_WORD: &str = "__elixir_value__";

/// A run of SQL text. `exact` runs are copied byte for byte from the file;
/// the others (escape sequences, interpolated values) map as a whole to the
/// source that produced them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    sql_start: usize,
    file: Span,
    exact: bool,
}

impl SqlText {
    fn push_exact(&mut self, s: &str, file_start: usize) {
        if s.is_empty() {
            return;
        }
        self.segments.push(Segment {
            sql_start: self.text.len(),
            file: file_start..file_start + s.len(),
            exact: true,
        });
        self.text.push_str(s);
    }

    fn push_whole(&mut self, s: &str, file: Span) {
        if s.is_empty() {
            return;
        }
        self.segments.push(Segment {
            sql_start: self.text.len(),
            file,
            exact: false,
        });
        self.text.push_str(s);
    }

    /// A stand-in for a value not known statically: a word that keeps the
    /// statement around it readable, remembered as opaque.
    fn push_opaque(&mut self, file: Span, reason: String) {
        let start = self.text.len();
        self.push_whole(OPAQUE_WORD, file);
        self.opaque.push((start..self.text.len(), reason));
    }

    /// Why a statement spanning `span` of the text cannot be trusted, if an
    /// opaque value lies inside it.
    fn opaque_in(&self, span: &Span) -> Option<&str> {
        self.opaque
            .iter()
            .find(|(o, _)| o.start < span.end && span.start < o.end)
            .map(|(_, reason)| reason.as_str())
    }

    fn append(&mut self, other: SqlText) {
        let base = self.text.len();
        self.opaque.extend(
            other
                .opaque
                .into_iter()
                .map(|(o, reason)| (o.start + base..o.end + base, reason)),
        );
        self.segments
            .extend(other.segments.into_iter().map(|s| Segment {
                sql_start: s.sql_start + base,
                ..s
            }));
        self.text.push_str(&other.text);
    }

    fn segment_at(&self, offset: usize) -> Option<&Segment> {
        let after = self.segments.partition_point(|s| s.sql_start <= offset);
        after.checked_sub(1).and_then(|i| self.segments.get(i))
    }

    /// The file range a range of the SQL text comes from. Out-of-range or
    /// reversed input is clamped rather than trusted.
    pub(super) fn map_span(&self, span: &Span) -> Span {
        let len = self.text.len();
        let start = span.start.min(len);
        let end = span.end.min(len).max(start);
        let file_start = self.map_start(start);
        if end == start {
            return file_start..file_start;
        }
        let file_end = self.map_end(end).max(file_start);
        file_start..file_end
    }

    fn map_start(&self, offset: usize) -> usize {
        if offset >= self.text.len() {
            return self.segments.last().map_or(0, |s| s.file.end);
        }
        match self.segment_at(offset) {
            Some(s) if s.exact => s.file.start + (offset - s.sql_start),
            Some(s) => s.file.start,
            None => 0,
        }
    }

    fn map_end(&self, end: usize) -> usize {
        let last = end.saturating_sub(1);
        match self.segment_at(last) {
            Some(s) if s.exact => s.file.start + (last - s.sql_start) + 1,
            Some(s) => s.file.end,
            None => 0,
        }
    }
}

/// Apply `map` to every span inside an operation (table names, column
/// definitions, referenced tables, column names).
pub(super) fn rewrite_spans(kind: &mut OpKind, map: &dyn Fn(&Span) -> Span) {
    fn table(t: &mut TableName, map: &dyn Fn(&Span) -> Span) {
        t.span = map(&t.span);
    }
    fn column(c: &mut crate::model::facts::ColumnDef, map: &dyn Fn(&Span) -> Span) {
        c.span = map(&c.span);
        c.name_span = map(&c.name_span);
        if let Some(fk) = &mut c.references {
            table(&mut fk.table, map);
        }
    }
    fn constraint(k: &mut ConstraintKind, map: &dyn Fn(&Span) -> Span) {
        match k {
            ConstraintKind::ForeignKey { references, .. } => table(&mut references.table, map),
            ConstraintKind::Check(_)
            | ConstraintKind::Exclude(_)
            | ConstraintKind::Unique(_)
            | ConstraintKind::PrimaryKey(_) => {}
        }
    }
    match kind {
        OpKind::CreateTable {
            table: t,
            columns,
            constraints,
            ..
        } => {
            table(t, map);
            for c in columns {
                column(c, map);
            }
            for (_, k) in constraints {
                constraint(k, map);
            }
        }
        OpKind::CreateView { table: t, .. }
        | OpKind::DropTable { table: t, .. }
        | OpKind::DropView { table: t, .. }
        | OpKind::RenameColumn { table: t, .. }
        | OpKind::DropConstraint { table: t, .. }
        | OpKind::RenameConstraint { table: t, .. } => table(t, map),
        OpKind::RenameTable { from, to } => {
            table(from, map);
            table(to, map);
        }
        OpKind::AddColumn {
            table: t,
            column: c,
            ..
        } => {
            table(t, map);
            column(c, map);
        }
        OpKind::RemoveColumn {
            table: t,
            column_span,
            ..
        } => {
            table(t, map);
            *column_span = map(column_span);
        }
        OpKind::ModifyColumn {
            table: t,
            column_span,
            references,
            ..
        } => {
            table(t, map);
            *column_span = map(column_span);
            if let Some(fk) = references {
                table(&mut fk.table, map);
            }
        }
        OpKind::CreateIndex { index, .. } => table(&mut index.table, map),
        OpKind::DropIndex { table: t, .. } => {
            if let Some(t) = t {
                table(t, map);
            }
        }
        OpKind::CreateConstraint {
            table: t, kind: k, ..
        } => {
            table(t, map);
            constraint(k, map);
        }
        OpKind::RenameIndex { .. } | OpKind::OtherDdl { .. } => {}
    }
}

impl<'s, 't> Extractor<'s, 't> {
    /// `execute sql` / `execute(up_sql, down_sql)`: one operation per DDL
    /// statement of the up SQL.
    pub(super) fn execute(&mut self, node: Node<'t>, verb: Span, ctx: &Ctx) {
        let args = positional_args(node);
        let Some(up) = args.first().copied() else {
            return;
        };
        let with_down = args.len() > 1;
        let is_capture = up.kind() == "unary_operator" && text(up, self.src).starts_with('&');
        if up.kind() == "anonymous_function" || is_capture {
            let why = "`execute` with a function runs code, which is not read";
            self.record_raw_sql(node, "execute", ctx, Err(why.to_string()), None);
            self.unresolved(node, why);
            return;
        }
        let down = args.get(1).map(|d| self.sql_text(*d, &ctx.scope, 0));
        let sql = match self.sql_text(up, &ctx.scope, 0) {
            Ok(sql) => sql,
            Err(reason) => {
                self.record_raw_sql(node, "execute", ctx, Err(reason.clone()), down);
                self.unresolved(
                    node,
                    format!("the SQL given to `execute` is not read: {reason}"),
                );
                return;
            }
        };
        self.record_raw_sql(node, "execute", ctx, Ok(sql.clone()), down);
        self.raw_statements(
            &sql,
            node,
            verb,
            ctx,
            with_down,
            "the SQL given to `execute`",
        );
    }

    /// `repo().query!(sql, params)`, `Repo.query(sql)`,
    /// `Ecto.Adapters.SQL.query!(Repo, sql, params)`: literal SQL is read
    /// like `execute`'s (row inserts and updates change no schema); SQL
    /// built at run time is not.
    pub(super) fn query(&mut self, node: Node<'t>, name: &str, verb: Span, ctx: &Ctx) {
        let position = usize::from(name.starts_with("Ecto.Adapters.SQL."));
        let Some(arg) = positional_args(node).get(position).copied() else {
            self.unresolved(node, format!("SQL run through `{name}` is not read"));
            return;
        };
        match self.sql_text(arg, &ctx.scope, 0) {
            Ok(sql) => {
                self.record_raw_sql(node, name, ctx, Ok(sql.clone()), None);
                let what = format!("SQL run through `{name}`");
                self.raw_statements(&sql, node, verb, ctx, false, &what)
            }
            Err(reason) => {
                self.record_raw_sql(node, name, ctx, Err(reason.clone()), None);
                self.unresolved(
                    node,
                    format!("SQL run through `{name}` is not read: {reason}"),
                )
            }
        }
    }

    /// Keep the text of a raw SQL call for rendering; a text holding a
    /// run-time value is kept as the reason it cannot be known.
    fn record_raw_sql(
        &mut self,
        node: Node<'t>,
        call: &str,
        ctx: &Ctx,
        up: Result<SqlText, String>,
        down: Option<Result<SqlText, String>>,
    ) {
        let known = |sql: Result<SqlText, String>| {
            sql.and_then(|s| match s.opaque.first() {
                Some((_, reason)) => Err(reason.clone()),
                None => Ok(s.text),
            })
        };
        if self.facts.raw_sql.len() >= super::MAX_OPS {
            return;
        }
        self.facts.raw_sql.push(RawSqlText {
            span: node.byte_range(),
            call: call.to_string(),
            direction: ctx.direction,
            conditional: ctx.conditional,
            first_op: self.facts.ops.len(),
            up: known(up),
            down: down.map(known),
        });
    }

    /// The statements of one SQL text, as operations of a raw source. A
    /// statement holding a run-time value is dropped: harmlessly when it
    /// changes no schema (`UPDATE … SET x = '#{v}'`), as `unresolved` at
    /// `call` when it is DDL whose names or shape are not known.
    fn raw_statements(
        &mut self,
        sql: &SqlText,
        call: Node<'t>,
        verb: Span,
        ctx: &Ctx,
        with_down: bool,
        what: &str,
    ) {
        for statement in (self.read_sql)(&sql.text) {
            if let Some(reason) = sql.opaque_in(&statement.span) {
                if statement.kind.is_some() || statement.unreadable.is_some() {
                    self.unresolved(call, format!("{what} is not read: {reason}"));
                }
                continue;
            }
            let span = sql.map_span(&statement.span);
            if let Some(reason) = &statement.unreadable {
                self.facts.unresolved.push(Unresolved {
                    span: span.clone(),
                    message: format!("SQL statement not read: {reason}"),
                });
            }
            let Some(mut kind) = statement.kind else {
                continue;
            };
            rewrite_spans(&mut kind, &|s| sql.map_span(s));
            self.push_op(
                span,
                verb.clone(),
                ctx,
                OpSource::RawSql {
                    guarded: statement.guarded,
                    with_down,
                },
                kind,
            );
        }
    }

    /// The SQL a node stands for: a string, heredoc or `~s`/`~S` sigil, a
    /// variable or attribute holding one, `a <> b`, or a local function of no
    /// arguments returning one. `Err` says why it is not readable.
    pub(super) fn sql_text(
        &self,
        node: Node<'t>,
        scope: &Scope,
        depth: usize,
    ) -> Result<SqlText, String> {
        if depth > 8 {
            return Err("it is built through too many indirections".to_string());
        }
        match node.kind() {
            "string" => self.sql_from_parts(node, scope, false),
            "sigil" => match sigil_name(node, self.src) {
                Some("s") => self.sql_from_parts(node, scope, false),
                Some("S") => self.sql_from_parts(node, scope, true),
                _ => Err(format!(
                    "`{}` is not a string sigil",
                    self.snippet(&node.byte_range())
                )),
            },
            "identifier" => {
                let name = text(node, self.src);
                self.var(scope, name)
                    .and_then(|b| b.sql.clone())
                    .ok_or_else(|| format!("`{name}` is not bound to a literal string here"))
            }
            "unary_operator" => {
                let Some(name) = attribute_read(node, self.src) else {
                    return Err(self.not_literal(node));
                };
                let def = self
                    .attribute_node(name, node.start_byte())
                    .ok_or_else(|| format!("`@{name}` is not defined before this use"))?;
                self.sql_text(def, &Scope::default(), depth + 1)
            }
            "binary_operator" if super::operator(node, self.src) == Some("<>") => {
                let (Some(l), Some(r)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ) else {
                    return Err(self.not_literal(node));
                };
                let mut sql = self.sql_text(l, scope, depth + 1)?;
                sql.append(self.sql_text(r, scope, depth + 1)?);
                Ok(sql)
            }
            "block" => match single_named_child(node) {
                Some(inner) => self.sql_text(inner, scope, depth + 1),
                None => Err(self.not_literal(node)),
            },
            "call" => {
                let body = self.constant_function_body(node);
                match body {
                    Some(expr) => self.sql_text(expr, &Scope::default(), depth + 1),
                    None => Err(self.not_literal(node)),
                }
            }
            _ => Err(self.not_literal(node)),
        }
    }

    fn not_literal(&self, node: Node<'t>) -> String {
        format!(
            "`{}` is not a literal string",
            self.snippet(&node.byte_range())
        )
    }

    /// `name()` of a local function with one clause, no parameters and a
    /// single expression as body: that expression.
    fn constant_function_body(&self, call: Node<'t>) -> Option<Node<'t>> {
        let target = call.child_by_field_name("target")?;
        if target.kind() != "identifier" || !positional_args(call).is_empty() {
            return None;
        }
        let name = call_name(call, self.src)?;
        self.context_read.set(true);
        let mut clauses = self.functions.iter().filter(|f| f.name == name);
        let f = clauses.next()?;
        if clauses.next().is_some() || !f.params.is_empty() {
            return None;
        }
        match f.body.as_slice() {
            [expr] => Some(*expr),
            _ => None,
        }
    }

    fn sql_from_parts(&self, node: Node<'t>, scope: &Scope, raw: bool) -> Result<SqlText, String> {
        let mut sql = SqlText::default();
        let mut cursor = node.walk();
        for part in node.named_children(&mut cursor) {
            match part.kind() {
                "quoted_content" => sql.push_exact(text(part, self.src), part.start_byte()),
                // `~S` keeps escapes as written.
                "escape_sequence" if raw => sql.push_exact(text(part, self.src), part.start_byte()),
                "escape_sequence" => sql.push_whole(
                    &elixir::decode_escape(text(part, self.src)),
                    part.byte_range(),
                ),
                "interpolation" => {
                    let value = single_named_child(part).map(|inner| self.value(inner, scope));
                    match value.as_ref().and_then(interpolated_text) {
                        Some(rendered) => sql.push_whole(&rendered, part.byte_range()),
                        None => {
                            let reason = format!(
                                "the interpolation `{}` is not a literal",
                                self.snippet(&part.byte_range())
                            );
                            sql.push_opaque(part.byte_range(), reason);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_map_through_exact_and_whole_segments() {
        // SQL `ab` `X` `cd` from file: "ab" at 10, interpolation at 20..26, "cd" at 30.
        let mut sql = SqlText::default();
        sql.push_exact("ab", 10);
        sql.push_whole("X", 20..26);
        sql.push_exact("cd", 30);
        assert_eq!(sql.text, "abXcd");
        assert_eq!(sql.map_span(&(0..2)), 10..12);
        assert_eq!(sql.map_span(&(1..2)), 11..12);
        assert_eq!(sql.map_span(&(2..3)), 20..26);
        assert_eq!(sql.map_span(&(1..4)), 11..31);
        assert_eq!(sql.map_span(&(3..5)), 30..32);
        assert_eq!(sql.map_span(&(0..5)), 10..32);
        // Empty, reversed and out-of-range spans are clamped.
        assert_eq!(sql.map_span(&(4..4)), 31..31);
        let reversed = Span { start: 4, end: 1 };
        assert_eq!(sql.map_span(&reversed), 31..31);
        assert_eq!(sql.map_span(&(3..99)), 30..32);
        assert_eq!(sql.map_span(&(99..100)), 32..32);
        assert_eq!(SqlText::default().map_span(&(0..3)), 0..0);
    }

    #[test]
    fn appended_text_keeps_its_offsets() {
        let mut a = SqlText::default();
        a.push_exact("CREATE ", 0);
        let mut b = SqlText::default();
        b.push_exact("TABLE t", 100);
        a.append(b);
        assert_eq!(a.text, "CREATE TABLE t");
        assert_eq!(a.map_span(&(13..14)), 106..107);
    }

    #[test]
    fn every_span_of_an_op_is_rewritten() {
        use crate::model::facts::{ColumnDef, ForeignKeyDef};
        let name = |span: Span| TableName {
            schema: None,
            name: "t".into(),
            span,
        };
        let mut kind = OpKind::CreateTable {
            table: name(1..2),
            if_not_exists: false,
            columns: vec![ColumnDef {
                name: "c".into(),
                span: 3..4,
                name_span: 5..6,
                written_type: "int".into(),
                pg_type: Some("integer".into()),
                null: None,
                default: None,
                primary_key: false,
                references: Some(ForeignKeyDef {
                    table: name(7..8),
                    columns: vec!["id".into()],
                    with: Vec::new(),
                    name: None,
                    on_delete: None,
                    on_update: None,
                    explicit_type: true,
                    explicit_column: true,
                }),
                implicit: false,
            }],
            constraints: vec![(
                None,
                ConstraintKind::ForeignKey {
                    columns: vec!["c".into()],
                    references: ForeignKeyDef {
                        table: name(9..10),
                        columns: vec!["id".into()],
                        with: Vec::new(),
                        name: None,
                        on_delete: None,
                        on_update: None,
                        explicit_type: true,
                        explicit_column: true,
                    },
                },
            )],
        };
        rewrite_spans(&mut kind, &|s| s.start + 100..s.end + 100);
        let OpKind::CreateTable {
            table,
            columns,
            constraints,
            ..
        } = &kind
        else {
            panic!("kind changed");
        };
        assert_eq!(table.span, 101..102);
        assert_eq!(columns[0].span, 103..104);
        assert_eq!(columns[0].name_span, 105..106);
        assert_eq!(
            columns[0].references.as_ref().map(|f| f.table.span.clone()),
            Some(107..108)
        );
        let ConstraintKind::ForeignKey { references, .. } = &constraints[0].1 else {
            panic!("constraint changed");
        };
        assert_eq!(references.table.span, 109..110);

        let mut modify = OpKind::ModifyColumn {
            table: name(1..2),
            column: "c".into(),
            column_span: 3..4,
            pg_type: None,
            written_type: None,
            null: None,
            default: None,
            references: None,
            drop_foreign_key: None,
        };
        rewrite_spans(&mut modify, &|s| s.start * 2..s.end * 2);
        assert!(matches!(
            modify,
            OpKind::ModifyColumn { ref table, ref column_span, .. }
                if table.span == (2..4) && *column_span == (6..8)
        ));
        let mut rename = OpKind::RenameTable {
            from: name(1..2),
            to: name(3..4),
        };
        rewrite_spans(&mut rename, &|s| s.start + 1..s.end + 1);
        assert!(matches!(
            rename,
            OpKind::RenameTable { ref from, ref to } if from.span == (2..3) && to.span == (4..5)
        ));
    }
}
