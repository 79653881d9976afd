//! `DO $$ … $$` blocks: the PL/pgSQL body walked for the DDL it runs
//! (written directly or as `EXECUTE '…'` of a literal) and for the guards
//! around it: `IF NOT EXISTS (SELECT … FROM pg_…)`, `to_regclass(…) IS
//! NULL`, `PERFORM …; IF NOT FOUND`, a catalog count compared with 0, and
//! `EXCEPTION WHEN duplicate_… THEN` handlers that swallow the error.

use super::lexer::{lex, Cursor, Fragment, Tok};
use super::{
    read_fragment, readable_part, statement, unreadable, Guard, SqlStatement, MAX_NESTING,
};
use sqlparser::tokenizer::Token;

/// `DO [LANGUAGE l] body [LANGUAGE l]`: the statements its body runs, or one
/// statement without a kind when it runs no DDL.
pub(super) fn do_statement(mut c: Cursor, guard: Guard, depth: usize, out: &mut Vec<SqlStatement>) {
    let span = c.all_span();
    c.bump();
    let mut language = None;
    let mut body = None;
    while let Some(t) = c.peek() {
        if c.eat_kw("language") {
            language = c.bump().and_then(|l| {
                l.ident()
                    .or_else(|| l.string_value().map(str::to_ascii_lowercase))
            });
        } else if body.is_none() && t.string_value().is_some() {
            body = Some(t);
            c.bump();
        } else {
            break;
        }
    }
    let plain = SqlStatement {
        span: span.clone(),
        kind: None,
        guarded: guard.absent,
        unreadable: None,
    };
    if language.as_deref().is_some_and(|l| l != "plpgsql") {
        out.push(plain);
        return;
    }
    let Some(body) = body else {
        out.push(unreadable(span, "DO without a readable body", guard));
        return;
    };
    let Some(frag) = c.frag.string_contents(body) else {
        out.push(unreadable(span, "DO body with backslash escapes", guard));
        return;
    };
    if depth >= MAX_NESTING {
        out.push(unreadable(span, "SQL nested too deeply in strings", guard));
        return;
    }
    let mut found = Vec::new();
    walk(&frag, guard, depth + 1, &mut found);
    let before = out.len();
    out.extend(
        found
            .into_iter()
            .filter(|s| s.kind.is_some() || s.unreadable.is_some()),
    );
    if out.len() == before {
        out.push(plain);
    }
}

/// Walk a PL/pgSQL body (no `DECLARE … BEGIN … END` required around it).
fn walk(frag: &Fragment, guard: Guard, depth: usize, out: &mut Vec<SqlStatement>) {
    let lexed = lex(frag);
    let (toks, broken) = readable_part(frag, &lexed, guard);
    let mut walker = Walker {
        c: Cursor::new(frag, toks),
        frames: Vec::new(),
        outer: guard,
        depth,
        out,
        catalog_vars: Vec::new(),
        found_set: false,
    };
    walker.run();
    out.extend(broken);
}

/// The control structure a statement sits in.
enum Frame {
    /// `BEGIN … [EXCEPTION …] END`: `guard` is what its handlers prove for
    /// the statements of its body (not for those in the handlers).
    Block {
        guard: Guard,
        in_handler: bool,
    },
    /// The branch of an `IF` being walked, and what its test proves.
    If {
        branch: Guard,
    },
    Loop,
    Case,
}

struct Walker<'s, 'o> {
    c: Cursor<'s>,
    frames: Vec<Frame>,
    outer: Guard,
    depth: usize,
    out: &'o mut Vec<SqlStatement>,
    /// Variables filled from the catalogs (`SELECT count(*) INTO n FROM pg_…`).
    catalog_vars: Vec<String>,
    /// A `PERFORM` or `SELECT … INTO` ran, so `FOUND` says whether it found rows.
    found_set: bool,
}

impl Walker<'_, '_> {
    fn guard(&self) -> Guard {
        self.frames.iter().fold(self.outer, |g, f| match f {
            Frame::Block {
                guard,
                in_handler: false,
            } => g.or(*guard),
            Frame::If { branch } => g.or(*branch),
            _ => g,
        })
    }

    /// Index of the next token at depth 0 matching `stop`, from the cursor.
    fn find(&self, stop: impl Fn(&Tok) -> bool) -> usize {
        self.c.find_at_depth0(stop)
    }

    fn run(&mut self) {
        while let Some(t) = self.c.peek() {
            if t.is(&Token::SemiColon) {
                self.c.bump();
            } else if t.is(&Token::ShiftLeft) {
                // `<<label>>`
                self.c.pos = self.find(|t| t.is(&Token::ShiftRight)) + 1;
            } else if t.is_kw("declare") {
                self.c.bump();
                self.c.pos = self.find(|t| t.is_kw("begin"));
            } else if t.is_kw("begin") {
                let guard = handler_guard(self.c);
                self.frames.push(Frame::Block {
                    guard,
                    in_handler: false,
                });
                self.c.bump();
            } else if t.is_kw("exception") {
                if let Some(Frame::Block { in_handler, .. }) = self.frames.last_mut() {
                    *in_handler = true;
                }
                self.c.bump();
            } else if t.is_kw("when") {
                self.c.pos = self.find(|t| t.is_kw("then")) + 1;
            } else if t.is_kw("end") {
                self.end();
            } else if t.is_kw("if") || t.is_kw("elsif") || t.is_kw("elseif") {
                let opens = t.is_kw("if");
                self.c.bump();
                let then = self.find(|t| t.is_kw("then"));
                let branch = self.classify(self.c.range(self.c.pos..then));
                if opens {
                    self.frames.push(Frame::If { branch });
                } else if let Some(Frame::If { branch: b }) = self.frames.last_mut() {
                    *b = branch;
                }
                self.c.pos = then + 1;
            } else if t.is_kw("else") {
                if let Some(Frame::If { branch }) = self.frames.last_mut() {
                    *branch = Guard::NONE;
                }
                self.c.bump();
            } else if t.is_kw("loop") {
                self.frames.push(Frame::Loop);
                self.c.bump();
            } else if t.is_kw("for") || t.is_kw("foreach") || t.is_kw("while") {
                self.c.pos = self.find(|t| t.is_kw("loop")) + 1;
                self.frames.push(Frame::Loop);
            } else if t.is_kw("case") {
                self.c.bump();
                self.frames.push(Frame::Case);
                self.c.pos = self.find(|t| t.is_kw("when"));
            } else {
                let end = self.find(|t| t.is(&Token::SemiColon));
                let stmt = self.c.range(self.c.pos..end);
                self.c.pos = end;
                self.simple(stmt);
            }
        }
    }

    /// `END [IF|LOOP|CASE] [label]`: close the innermost matching structure.
    fn end(&mut self) {
        self.c.bump();
        let closes = |f: &Frame| {
            if self.c.kw("if") {
                matches!(f, Frame::If { .. })
            } else if self.c.kw("loop") {
                matches!(f, Frame::Loop)
            } else if self.c.kw("case") {
                matches!(f, Frame::Case)
            } else {
                matches!(f, Frame::Block { .. })
            }
        };
        if let Some(at) = self.frames.iter().rposition(closes) {
            self.frames.truncate(at);
        }
        self.c.pos = self.find(|t| t.is(&Token::SemiColon));
    }

    /// A statement that is not control flow.
    fn simple(&mut self, stmt: Cursor) {
        let Some(first) = stmt.peek() else {
            return;
        };
        const NOT_SQL: [&str; 13] = [
            "raise", "return", "null", "get", "open", "fetch", "close", "exit", "continue", "move",
            "assert", "commit", "rollback",
        ];
        if NOT_SQL.iter().any(|k| first.is_kw(k)) {
            return;
        }
        if first.is_kw("execute") {
            self.execute(stmt);
            return;
        }
        // `v := (SELECT count(*) FROM pg_…)`
        if first.is_word()
            && stmt
                .peek_at(1)
                .is_some_and(|t| t.is(&Token::Assignment) || t.is(&Token::Eq))
        {
            if mentions_catalog(&stmt) {
                self.catalog_vars.extend(first.ident());
            }
            return;
        }
        if first.is_kw("perform") {
            self.found_set = true;
        }
        if first.is_kw("select") {
            let into = stmt.find_at_depth0(|t| t.is_kw("into"));
            if into < stmt.toks.len() {
                self.found_set = true;
                if mentions_catalog(&stmt) {
                    let vars = stmt.range(into + 1..stmt.toks.len());
                    let vars = vars.range(0..vars.find_at_depth0(|t| t.is_kw("from")));
                    self.catalog_vars.extend(
                        vars.toks
                            .iter()
                            .filter_map(Tok::ident)
                            .filter(|v| v != "strict"),
                    );
                }
            }
        }
        statement(stmt, self.guard(), self.depth, self.out);
    }

    /// `EXECUTE '…'` of a literal is read as SQL; anything built at run time
    /// that looks like DDL we model is unreadable.
    fn execute(&mut self, stmt: Cursor) {
        let mut c = stmt;
        c.bump();
        let end = c.find_at_depth0(|t| t.is_kw("into") || t.is_kw("using"));
        let expr = c.range(c.pos..end);
        let guard = self.guard();
        if let (1, Some(tok)) = (expr.toks.len(), expr.peek()) {
            if let Some(sub) = c.frag.string_contents(tok) {
                read_fragment(&sub, guard, self.depth + 1, self.out);
                return;
            }
        }
        let reason = match expr.toks.iter().find_map(Tok::string_value) {
            Some(s) if !looks_like_modelled_ddl(s) => return,
            Some(_) => "EXECUTE of DDL built at run time (format, concatenation)",
            None => "EXECUTE of SQL held in a variable",
        };
        self.out.push(unreadable(stmt.all_span(), reason, guard));
    }

    /// What an `IF`/`ELSIF` test proves about its `THEN` branch.
    fn classify(&self, cond: Cursor) -> Guard {
        let cond = strip_parens(cond);
        if cond.find_at_depth0(|t| t.is_kw("or")) < cond.toks.len() {
            return Guard::NONE;
        }
        let mut guard = Guard::NONE;
        let mut rest = cond;
        while !rest.at_end() {
            let and = rest.find_at_depth0(|t| t.is_kw("and"));
            guard = guard.or(self.test(rest.range(rest.pos..and)));
            rest.pos = and + 1;
        }
        guard
    }

    /// One conjunct of a test.
    fn test(&self, c: Cursor) -> Guard {
        const ABSENT: Guard = Guard {
            absent: true,
            present: false,
        };
        const PRESENT: Guard = Guard {
            absent: false,
            present: true,
        };
        let c = strip_parens(c);
        let n = c.toks.len();
        let exists = |at: usize| {
            let mut sub = c.range(at..n);
            sub.group()
                .filter(|q| sub.at_end() && catalog_query(q))
                .is_some()
        };
        if c.kws_ahead(&["not", "exists"]) {
            return if exists(2) { ABSENT } else { Guard::NONE };
        }
        if c.kw("exists") {
            return if exists(1) { PRESENT } else { Guard::NONE };
        }
        if self.found_set && n == 2 && c.kws_ahead(&["not", "found"]) {
            return ABSENT;
        }
        if self.found_set && n == 1 && c.kw("found") {
            return PRESENT;
        }
        if n == 2 && c.kw("not") && self.is_catalog_value(c.range(1..2)) {
            return ABSENT;
        }
        if n == 1 && self.is_catalog_value(c) {
            return PRESENT;
        }
        let ends_with = |kws: &[&str]| {
            n > kws.len()
                && kws
                    .iter()
                    .enumerate()
                    .all(|(i, k)| c.kw_at(n - kws.len() + i, k))
        };
        if ends_with(&["is", "null"]) && self.is_catalog_value(c.range(0..n - 2)) {
            return ABSENT;
        }
        if ends_with(&["is", "not", "null"]) && self.is_catalog_value(c.range(0..n - 3)) {
            return PRESENT;
        }
        // `(SELECT count(*) FROM pg_…) = 0`, `n > 0`
        if n >= 3 && self.is_catalog_value(c.range(0..n - 2)) {
            let number = match c.toks.get(n - 1).map(|t| &t.token) {
                Some(Token::Number(v, _)) => v.as_str(),
                _ => return Guard::NONE,
            };
            return match (c.toks.get(n - 2).map(|t| &t.token), number) {
                (Some(Token::Eq), "0") | (Some(Token::Lt), "1") | (Some(Token::LtEq), "0") => {
                    ABSENT
                }
                (Some(Token::Gt), "0") | (Some(Token::Neq), "0") | (Some(Token::GtEq), "1") => {
                    PRESENT
                }
                _ => Guard::NONE,
            };
        }
        Guard::NONE
    }

    /// `to_regclass('…')`, `(SELECT … FROM pg_…)`, or a variable filled from the catalogs.
    fn is_catalog_value(&self, c: Cursor) -> bool {
        let c = strip_parens(c);
        let Some(first) = c.peek() else {
            return false;
        };
        if c.toks.len() == 1 {
            return first
                .ident()
                .is_some_and(|v| self.catalog_vars.contains(&v));
        }
        if first.ident().is_some_and(|f| f.starts_with("to_reg")) {
            return c.matching_close(1).is_some_and(|e| e + 1 == c.toks.len());
        }
        catalog_query(&c)
    }
}

/// `( … )` around the whole of `c`, removed (repeatedly).
fn strip_parens(mut c: Cursor) -> Cursor {
    while c.is(&Token::LParen) && c.matching_close(0).is_some_and(|e| e + 1 == c.toks.len()) {
        c = c.range(1..c.toks.len() - 1);
    }
    c
}

/// A `SELECT` that reads the catalogs (`pg_…`, `information_schema`,
/// `to_reg…`), or `SELECT 1 …`, the shape of an existence test.
fn catalog_query(c: &Cursor) -> bool {
    c.kw("select")
        && (matches!(c.peek_at(1).map(|t| &t.token), Some(Token::Number(n, _)) if n == "1")
            || mentions_catalog(c))
}

fn mentions_catalog(c: &Cursor) -> bool {
    c.toks
        .iter()
        .filter_map(Tok::ident)
        .any(|w| w.starts_with("pg_") || w == "information_schema" || w.starts_with("to_reg"))
}

/// What the `EXCEPTION` handlers of the block starting at the cursor (at
/// `BEGIN`) prove for its body: a handler for `duplicate_…` (or `others`)
/// that does not re-raise makes creating twice a no-op; one for
/// `undefined_…` does the same for dropping twice.
fn handler_guard(c: Cursor) -> Guard {
    let toks = c.toks;
    let mut guard = Guard::NONE;
    let mut depth = 0usize;
    let mut in_exception = false;
    // What the current handler's conditions cover, and whether it re-raises.
    let mut handler: Option<(Guard, bool)> = None;
    let mut i = c.pos + 1;
    while let Some(t) = toks.get(i) {
        if t.is_kw("begin") || t.is_kw("case") {
            depth += 1;
        } else if t.is_kw("end") {
            let next = toks.get(i + 1);
            if next.is_some_and(|n| n.is_kw("if") || n.is_kw("loop")) {
                i += 1;
            } else if next.is_some_and(|n| n.is_kw("case")) {
                depth = depth.saturating_sub(1);
                i += 1;
            } else if depth == 0 {
                break;
            } else {
                depth -= 1;
            }
        } else if depth == 0
            && t.is_kw("exception")
            && !i
                .checked_sub(1)
                .and_then(|p| toks.get(p))
                .is_some_and(|p| p.is_kw("raise"))
        {
            in_exception = true;
        } else if depth == 0 && in_exception && t.is_kw("when") {
            if let Some((g, false)) = handler {
                guard = guard.or(g);
            }
            let then = (i..toks.len())
                .find(|&j| toks.get(j).is_some_and(|t| t.is_kw("then")))
                .unwrap_or(toks.len());
            handler = Some((
                conditions_guard(toks.get(i + 1..then).unwrap_or(&[])),
                false,
            ));
            i = then;
        } else if t.is_kw("raise") {
            if let Some((_, reraises)) = &mut handler {
                const REPORTS: [&str; 5] = ["notice", "warning", "info", "log", "debug"];
                let level = toks.get(i + 1);
                *reraises |= !level.is_some_and(|l| REPORTS.iter().any(|k| l.is_kw(k)));
            }
        }
        i += 1;
    }
    if let Some((g, false)) = handler {
        guard = guard.or(g);
    }
    guard
}

/// `duplicate_object OR SQLSTATE '42P07' OR …` → what catching them proves.
fn conditions_guard(conds: &[Tok]) -> Guard {
    const DUPLICATE_CODES: [&str; 6] = ["42710", "42p07", "42701", "42p06", "42723", "42p16"];
    const UNDEFINED_CODES: [&str; 4] = ["42704", "42p01", "42703", "42883"];
    let mut guard = Guard::NONE;
    for t in conds {
        let name = t
            .ident()
            .or_else(|| t.string_value().map(str::to_ascii_lowercase))
            .unwrap_or_default();
        if name == "others" {
            guard = guard.or(Guard {
                absent: true,
                present: true,
            });
        } else if name.starts_with("duplicate_")
            || name == "invalid_table_definition"
            || DUPLICATE_CODES.contains(&name.as_str())
        {
            guard.absent = true;
        } else if name.starts_with("undefined_") || UNDEFINED_CODES.contains(&name.as_str()) {
            guard.present = true;
        }
    }
    guard
}

/// Whether SQL text (a format string, the start of a concatenation) begins
/// like DDL we model: `CREATE [UNIQUE …] TABLE|INDEX|VIEW`, `ALTER TABLE`, `DROP TABLE|INDEX|VIEW`.
fn looks_like_modelled_ddl(sql: &str) -> bool {
    const MODIFIERS: [&str; 11] = [
        "or",
        "replace",
        "unique",
        "unlogged",
        "temp",
        "temporary",
        "materialized",
        "global",
        "local",
        "foreign",
        "concurrently",
    ];
    let mut words = sql
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase);
    let Some(verb) = words.next() else {
        return false;
    };
    let object = words.find(|w| !MODIFIERS.contains(&w.as_str()));
    let object = object.as_deref();
    match verb.as_str() {
        "create" | "drop" => matches!(object, Some("table" | "index" | "view")),
        "alter" => matches!(object, Some("table" | "view")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_sql;
    use super::looks_like_modelled_ddl;
    use crate::model::facts::{ConstraintKind, OpKind};

    /// (statement text, guarded, what it is in short, unreadable reason).
    fn summary(sql: &str) -> Vec<(&str, bool, String, Option<String>)> {
        parse_sql(sql)
            .into_iter()
            .map(|s| {
                let what = match &s.kind {
                    None => "-".to_string(),
                    Some(OpKind::OtherDdl { what, idempotent }) => {
                        format!("{what} (idempotent: {idempotent})")
                    }
                    Some(OpKind::CreateConstraint {
                        name,
                        if_not_exists,
                        ..
                    }) => format!(
                        "add constraint {} (if_not_exists: {if_not_exists})",
                        name.as_deref().unwrap_or("?")
                    ),
                    Some(other) => format!("{other:?}")
                        .split([' ', '{'])
                        .next()
                        .unwrap_or("")
                        .to_string(),
                };
                (
                    sql.get(s.span).unwrap_or("<bad span>"),
                    s.guarded,
                    what,
                    s.unreadable,
                )
            })
            .collect()
    }

    #[test]
    fn if_not_exists_on_the_catalog_guards_the_then_branch_only() {
        let sql = "DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN
    CREATE TYPE mood AS ENUM ('happy', 'sad');
  ELSE
    ALTER TABLE t ADD COLUMN x int;
  END IF;
  ALTER TABLE t ADD CONSTRAINT unguarded CHECK (a > 0);
END $$;";
        assert_eq!(
            summary(sql),
            vec![
                (
                    "CREATE TYPE mood AS ENUM ('happy', 'sad')",
                    true,
                    "create type mood (idempotent: true)".to_string(),
                    None
                ),
                (
                    "ALTER TABLE t ADD COLUMN x int",
                    false,
                    "AddColumn".into(),
                    None
                ),
                (
                    "ALTER TABLE t ADD CONSTRAINT unguarded CHECK (a > 0)",
                    false,
                    "add constraint unguarded (if_not_exists: false)".into(),
                    None
                ),
            ]
        );
    }

    #[test]
    fn guarded_constraint_gets_if_not_exists() {
        let sql = "DO $$ BEGIN IF NOT EXISTS (SELECT conname FROM pg_catalog.pg_constraint WHERE conname = 'c') THEN ALTER TABLE ONLY s.t ADD CONSTRAINT c UNIQUE (a); END IF; END; $$";
        let got = parse_sql(sql);
        assert_eq!(got.len(), 1);
        assert!(got[0].guarded);
        let Some(OpKind::CreateConstraint {
            table,
            name,
            kind,
            if_not_exists,
        }) = &got[0].kind
        else {
            panic!("{got:?}");
        };
        assert_eq!(&sql[table.span.clone()], "s.t");
        assert_eq!(name.as_deref(), Some("c"));
        assert_eq!(kind, &ConstraintKind::Unique(vec!["a".into()]));
        assert!(if_not_exists);
    }

    #[test]
    fn other_guard_shapes() {
        let sql = "DO $do$
DECLARE n integer;
BEGIN
  SELECT count(*) INTO n FROM pg_indexes WHERE indexname = 'i';
  IF n = 0 THEN
    EXECUTE 'CREATE INDEX i ON t (a) WHERE b = ''x''';
  END IF;
  PERFORM 1 FROM pg_constraint WHERE conname = 'c';
  IF NOT FOUND THEN
    ALTER TABLE t ADD CONSTRAINT c UNIQUE (a);
  END IF;
  IF to_regclass('public.legacy') IS NOT NULL THEN
    DROP TABLE legacy;
    CREATE TABLE not_guarded (a int);
  END IF;
  IF (SELECT count(*) FROM information_schema.columns WHERE column_name = 'z') = 0 THEN
    ALTER TABLE t ADD z int;
  END IF;
  IF to_regclass('public.fresh') IS NULL AND current_setting('app.env') <> 'test' THEN
    CREATE TABLE fresh (a int);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'x') OR random() > 0.5 THEN
    CREATE TABLE x (a int);
  END IF;
  IF NOT EXISTS (SELECT id FROM users WHERE admin) THEN
    CREATE TABLE y (a int);
  END IF;
END
$do$ LANGUAGE plpgsql;";
        assert_eq!(
            summary(sql),
            vec![
                (
                    "CREATE INDEX i ON t (a) WHERE b = ''x''",
                    true,
                    "CreateIndex".to_string(),
                    None
                ),
                (
                    "ALTER TABLE t ADD CONSTRAINT c UNIQUE (a)",
                    true,
                    "add constraint c (if_not_exists: true)".into(),
                    None
                ),
                ("DROP TABLE legacy", true, "DropTable".into(), None),
                (
                    "CREATE TABLE not_guarded (a int)",
                    false,
                    "CreateTable".into(),
                    None
                ),
                ("ALTER TABLE t ADD z int", true, "AddColumn".into(), None),
                (
                    "CREATE TABLE fresh (a int)",
                    true,
                    "CreateTable".into(),
                    None
                ),
                ("CREATE TABLE x (a int)", false, "CreateTable".into(), None),
                ("CREATE TABLE y (a int)", false, "CreateTable".into(), None),
            ]
        );
        let Some(OpKind::CreateIndex { index, .. }) = &parse_sql(sql)[0].kind else {
            panic!("no index");
        };
        assert_eq!(index.where_clause.as_deref(), Some("b = 'x'"));
        assert_eq!(&sql[index.table.span.clone()], "t");
    }

    #[test]
    fn exception_handlers_that_swallow_duplicates() {
        let sql = "DO $$ BEGIN
  CREATE TYPE status AS ENUM ('a');
EXCEPTION
  WHEN duplicate_object THEN null;
END $$;
DO $$ BEGIN
  ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES o (id);
EXCEPTION
  WHEN duplicate_object THEN RAISE EXCEPTION 'boom';
END $$;
DO $$ BEGIN
  ALTER TABLE t ADD CONSTRAINT fk2 FOREIGN KEY (a) REFERENCES o (id);
EXCEPTION
  WHEN others THEN RAISE NOTICE 'skipping: %', SQLERRM;
END $$;
DO $$ BEGIN
  ALTER TABLE t DROP CONSTRAINT gone;
  ALTER TABLE t ADD CONSTRAINT back CHECK (a > 0);
EXCEPTION
  WHEN undefined_object THEN
    ALTER TABLE t ADD COLUMN in_handler int;
END $$;
DO $$ BEGIN
  BEGIN
    ALTER TABLE t ADD COLUMN inner_col int;
  EXCEPTION WHEN SQLSTATE '42701' THEN
    RAISE NOTICE 'exists';
  END;
  ALTER TABLE t ADD COLUMN outer_col int;
END $$;";
        assert_eq!(
            summary(sql),
            vec![
                (
                    "CREATE TYPE status AS ENUM ('a')",
                    true,
                    "create type status (idempotent: true)".to_string(),
                    None
                ),
                (
                    "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES o (id)",
                    false,
                    "add constraint fk (if_not_exists: false)".into(),
                    None
                ),
                (
                    "ALTER TABLE t ADD CONSTRAINT fk2 FOREIGN KEY (a) REFERENCES o (id)",
                    true,
                    "add constraint fk2 (if_not_exists: true)".into(),
                    None
                ),
                (
                    "ALTER TABLE t DROP CONSTRAINT gone",
                    true,
                    "DropConstraint".into(),
                    None
                ),
                (
                    "ALTER TABLE t ADD CONSTRAINT back CHECK (a > 0)",
                    false,
                    "add constraint back (if_not_exists: false)".into(),
                    None
                ),
                (
                    "ALTER TABLE t ADD COLUMN in_handler int",
                    false,
                    "AddColumn".into(),
                    None
                ),
                (
                    "ALTER TABLE t ADD COLUMN inner_col int",
                    true,
                    "AddColumn".into(),
                    None
                ),
                (
                    "ALTER TABLE t ADD COLUMN outer_col int",
                    false,
                    "AddColumn".into(),
                    None
                ),
            ]
        );
    }

    #[test]
    fn if_exists_guards_only_removals() {
        let sql = "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'old') THEN ALTER TABLE t DROP CONSTRAINT old; ALTER TABLE t ADD CONSTRAINT new CHECK (a > 1); END IF; END $$";
        assert_eq!(
            summary(sql),
            vec![
                (
                    "ALTER TABLE t DROP CONSTRAINT old",
                    true,
                    "DropConstraint".to_string(),
                    None
                ),
                (
                    "ALTER TABLE t ADD CONSTRAINT new CHECK (a > 1)",
                    false,
                    "add constraint new (if_not_exists: false)".into(),
                    None
                ),
            ]
        );
    }

    #[test]
    fn execute_built_at_run_time_is_unreadable_when_it_looks_like_ddl() {
        let sql = "DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE %I ADD COLUMN tenant_id uuid', r.tablename);
    EXECUTE format('GRANT SELECT ON %I TO app', r.tablename);
  END LOOP;
  EXECUTE 'ALTER TABLE ' || quote_ident('t') || ' ADD x int';
  EXECUTE stmt;
END $$";
        let built = "EXECUTE of DDL built at run time (format, concatenation)".to_string();
        assert_eq!(
            summary(sql),
            vec![
                (
                    "EXECUTE format('ALTER TABLE %I ADD COLUMN tenant_id uuid', r.tablename)",
                    false,
                    "-".to_string(),
                    Some(built.clone())
                ),
                (
                    "EXECUTE 'ALTER TABLE ' || quote_ident('t') || ' ADD x int'",
                    false,
                    "-".into(),
                    Some(built)
                ),
                (
                    "EXECUTE stmt",
                    false,
                    "-".into(),
                    Some("EXECUTE of SQL held in a variable".into())
                ),
            ]
        );
    }

    #[test]
    fn do_blocks_without_ddl_are_one_plain_statement() {
        let sql = "DO $$ BEGIN UPDATE t SET a = CASE WHEN b THEN 1 ELSE 2 END; RAISE NOTICE 'done'; END $$;
DO LANGUAGE plv8 $$ plv8.execute('CREATE TABLE x (a int)') $$;
DO $$ BEGIN EXECUTE format('GRANT SELECT ON %I TO app', 't'); END $$";
        assert_eq!(
            summary(sql),
            vec![
                (
                    "DO $$ BEGIN UPDATE t SET a = CASE WHEN b THEN 1 ELSE 2 END; RAISE NOTICE 'done'; END $$",
                    false,
                    "-".to_string(),
                    None
                ),
                (
                    "DO LANGUAGE plv8 $$ plv8.execute('CREATE TABLE x (a int)') $$",
                    false,
                    "-".into(),
                    None
                ),
                (
                    "DO $$ BEGIN EXECUTE format('GRANT SELECT ON %I TO app', 't'); END $$",
                    false,
                    "-".into(),
                    None
                ),
            ]
        );
    }

    #[test]
    fn quoted_bodies_labels_and_nested_blocks() {
        let sql = "DO 'BEGIN IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = ''app'') THEN CREATE SCHEMA app; END IF; END';
DO $body$ <<outer>> BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'x') THEN
    <<inner>> BEGIN CREATE TABLE x (a int); END inner;
    LOOP EXIT; END LOOP;
    CASE current_setting('app.env') WHEN 'dev' THEN CREATE TABLE dev_only (a int); ELSE NULL; END CASE;
  END IF;
  CREATE TABLE y (a int);
END outer $body$ LANGUAGE 'plpgsql'";
        assert_eq!(
            summary(sql),
            vec![
                (
                    "CREATE SCHEMA app",
                    true,
                    "create schema app (idempotent: true)".to_string(),
                    None
                ),
                ("CREATE TABLE x (a int)", true, "CreateTable".into(), None),
                (
                    "CREATE TABLE dev_only (a int)",
                    true,
                    "CreateTable".into(),
                    None
                ),
                ("CREATE TABLE y (a int)", false, "CreateTable".into(), None),
            ]
        );
    }

    #[test]
    fn execute_in_execute_maps_spans_through_both_strings() {
        let sql = "DO $$ BEGIN IF to_regclass('t') IS NULL THEN EXECUTE 'CREATE TABLE t (note text DEFAULT ''it''''s'')'; END IF; END $$";
        let got = parse_sql(sql);
        assert_eq!(got.len(), 1);
        assert!(got[0].guarded);
        assert_eq!(
            &sql[got[0].span.clone()],
            "CREATE TABLE t (note text DEFAULT ''it''''s'')"
        );
        let Some(OpKind::CreateTable { columns, .. }) = &got[0].kind else {
            panic!("{got:?}");
        };
        assert_eq!(columns[0].default.as_deref(), Some("'it''s'"));
        assert_eq!(
            &sql[columns[0].span.clone()],
            "note text DEFAULT ''it''''s''"
        );
    }

    #[test]
    fn broken_bodies_are_unreadable() {
        assert_eq!(
            summary("DO $$ BEGIN EXECUTE 'x; END $$"),
            vec![(
                "BEGIN EXECUTE 'x; END ",
                false,
                "-".to_string(),
                Some("unterminated string literal".into())
            )]
        );
        assert_eq!(
            summary("DO LANGUAGE plpgsql"),
            vec![(
                "DO LANGUAGE plpgsql",
                false,
                "-".to_string(),
                Some("DO without a readable body".into())
            )]
        );
        assert_eq!(
            summary(r"DO E'BEGIN CREATE TABLE t (a int); END\n'"),
            vec![(
                r"DO E'BEGIN CREATE TABLE t (a int); END\n'",
                false,
                "-".to_string(),
                Some("DO body with backslash escapes".into())
            )]
        );
        // Unbalanced structure still reads the statements it can.
        assert_eq!(
            summary("DO $$ END IF; END LOOP; IF THEN ELSE CREATE TABLE z (a int); $$").len(),
            1
        );
    }

    #[test]
    fn perform_of_timescale_calls() {
        let sql = "DO $$ BEGIN
  PERFORM create_hypertable('metrics', 'ts');
  IF NOT EXISTS (SELECT 1 FROM timescaledb_information.jobs WHERE hypertable_name = 'metrics') THEN
    PERFORM add_retention_policy('metrics', INTERVAL '90 days');
  END IF;
END $$";
        assert_eq!(
            summary(sql),
            vec![
                (
                    "PERFORM create_hypertable('metrics', 'ts')",
                    false,
                    "create hypertable metrics (idempotent: false)".to_string(),
                    None
                ),
                (
                    "PERFORM add_retention_policy('metrics', INTERVAL '90 days')",
                    true,
                    "add retention policy metrics (idempotent: true)".into(),
                    None
                ),
            ]
        );
    }

    #[test]
    fn modelled_ddl_prefixes() {
        for yes in [
            "ALTER TABLE %I ADD x int",
            "  create unique index concurrently %I on %I (a)",
            "CREATE OR REPLACE VIEW v AS",
            "DROP TABLE IF EXISTS %s",
            "CREATE TABLE(",
        ] {
            assert!(looks_like_modelled_ddl(yes), "{yes}");
        }
        for no in [
            "GRANT ALL ON %I TO r",
            "ALTER TYPE x ADD VALUE",
            "",
            "CREATE",
            "COMMENT ON TABLE",
        ] {
            assert!(!looks_like_modelled_ddl(no), "{no}");
        }
    }
}
