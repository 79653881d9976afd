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
