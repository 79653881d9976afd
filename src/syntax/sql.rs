//! Raw SQL (the strings given to `execute`) → DDL facts.
//!
//! A tolerant recogniser over sqlparser's Postgres tokenizer (which knows
//! dollar quoting, `E''` strings, quoted identifiers and comments): it splits
//! the text into statements and reads the DDL forms we model, leaving
//! anything else alone, so one clause it does not know never costs the whole
//! string. `DO $$ … $$` bodies are walked as PL/pgSQL, including
//! `EXECUTE '…'` of literal strings, to find DDL and the guards around it.
//! Every span is a byte range into the text given to [`parse_sql`].
//!
//! Forms that create a table without saying its columns (`CREATE TABLE … AS
//! SELECT`, `… PARTITION OF parent`, `… OF type`, `(LIKE other)`) give a
//! `CreateTable` with only the columns written out (possibly none).

mod ddl;
mod lexer;
mod plpgsql;

use crate::model::facts::{OpKind, Span};
use lexer::{lex, Cursor, Fragment, Lexed, Tok};
use sqlparser::tokenizer::Token;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// One statement recognised in a SQL string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlStatement {
    /// Byte range of the statement within the SQL text given to [`parse_sql`].
    pub span: Span,
    /// What it does, when it is DDL we model. `None` for statements that do
    /// not change the schema (DML, `SET`, `COMMENT`, `GRANT` …) and for DDL we
    /// could not read (then `unreadable` says what).
    pub kind: Option<OpKind>,
    /// Inside a `DO $$ … $$` block under an `IF [NOT] EXISTS (SELECT … FROM
    /// pg_…/information_schema…)` test (or `to_regclass(…) IS NULL`, `PERFORM`
    /// then `IF NOT FOUND`, a catalog count compared with 0), or in a block whose
    /// `EXCEPTION WHEN duplicate_…|others` handler swallows the error:
    /// re-running it is a no-op. An `IF EXISTS` test guards only drops and
    /// renames (what removes the thing tested).
    pub guarded: bool,
    /// DDL that looked like something we model but could not be read
    /// (a short reason), so the caller reports it `unresolved`.
    pub unreadable: Option<String>,
}

/// Split `sql` into statements and recognise the DDL among them. Spans of
/// table names inside returned `OpKind`s are byte ranges into `sql`.
/// A statement with several actions (`ALTER TABLE t ADD a int, ADD b int`)
/// gives one `SqlStatement` per action, all with the statement's span; an
/// added column with its own `UNIQUE`/`CHECK` also gives the constraint.
pub fn parse_sql(sql: &str) -> Vec<SqlStatement> {
    let frag = Fragment::whole(sql);
    let mut out = Vec::new();
    read_fragment(&frag, Guard::NONE, 0, &mut out);
    out
}

/// Bytes of SQL text [`parse_sql_remembered`] keeps before starting over.
const REMEMBERED_SQL_BYTES: usize = 1 << 20;

/// SQL texts read lately, with what [`parse_sql`] made of them.
#[derive(Default)]
struct RememberedSql {
    by_text: HashMap<Box<str>, Vec<SqlStatement>>,
    bytes: usize,
}

/// [`parse_sql`], remembered by text: an edit re-reads every `execute` of
/// the edited migration, and nearly all of their SQL is unchanged. Pure, so
/// a remembered answer is the answer.
pub fn parse_sql_remembered(sql: &str) -> Vec<SqlStatement> {
    static REMEMBERED: OnceLock<Mutex<RememberedSql>> = OnceLock::new();
    let memo = REMEMBERED.get_or_init(Mutex::default);
    if let Some(hit) = memo.lock().ok().and_then(|m| m.by_text.get(sql).cloned()) {
        return hit;
    }
    let statements = parse_sql(sql);
    if sql.len() <= REMEMBERED_SQL_BYTES / 16 {
        if let Ok(mut m) = memo.lock() {
            if m.bytes + sql.len() > REMEMBERED_SQL_BYTES {
                *m = RememberedSql::default();
            }
            m.bytes += sql.len();
            m.by_text.insert(sql.into(), statements.clone());
        }
    }
    statements
}

/// How deep SQL may nest inside strings inside SQL (`EXECUTE '…'` in a `DO`
/// body in an `EXECUTE '…'` …) before we stop following it.
const MAX_NESTING: usize = 8;

/// What the code around a statement proves about re-running it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Guard {
    /// Runs only when its effect is absent (`IF NOT EXISTS (…)`, a handler
    /// swallowing `duplicate_object`): every statement is a no-op re-run.
    absent: bool,
    /// Runs only when something is present (`IF EXISTS (…)`): a re-run is a
    /// no-op for what removes or renames that thing.
    present: bool,
}

impl Guard {
    const NONE: Guard = Guard {
        absent: false,
        present: false,
    };

    fn or(self, other: Guard) -> Guard {
        Guard {
            absent: self.absent || other.absent,
            present: self.present || other.present,
        }
    }
}

/// Tokenize `frag` and recognise each statement in it.
fn read_fragment(frag: &Fragment, guard: Guard, depth: usize, out: &mut Vec<SqlStatement>) {
    if depth > MAX_NESTING {
        out.push(unreadable(
            frag.span(&(0..frag.text.len())),
            "SQL nested too deeply in strings",
            guard,
        ));
        return;
    }
    let lexed = lex(frag);
    let (toks, broken) = readable_part(frag, &lexed, guard);
    for stmt in split_statements(Cursor::new(frag, toks)) {
        statement(stmt, guard, depth, out);
    }
    out.extend(broken);
}

/// The tokens of the statements before a tokenizer error, and an unreadable
/// statement covering the rest.
fn readable_part<'t>(
    frag: &Fragment,
    lexed: &'t Lexed,
    guard: Guard,
) -> (&'t [Tok], Option<SqlStatement>) {
    let Some((message, at)) = &lexed.error else {
        return (&lexed.toks, None);
    };
    let keep = lexed
        .toks
        .iter()
        .rposition(|t| t.is(&Token::SemiColon))
        .map_or(0, |i| i + 1);
    let start = lexed.toks.get(keep).map_or(*at, |t| t.local.start);
    let broken = unreadable(
        frag.span(&(start..frag.text.len())),
        &message.to_lowercase(),
        guard,
    );
    (lexed.toks.get(..keep).unwrap_or(&[]), Some(broken))
}

/// Statements are separated by `;` (inside dollar quotes it is part of the string token).
fn split_statements(c: Cursor) -> Vec<Cursor> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, t) in c.toks.iter().enumerate() {
        if t.is(&Token::SemiColon) {
            if i > start {
                parts.push(c.range(start..i));
            }
            start = i + 1;
        }
    }
    if c.toks.len() > start {
        parts.push(c.range(start..c.toks.len()));
    }
    parts
}

/// Recognise one statement (no trailing `;`) and record what it does.
fn statement(stmt: Cursor, guard: Guard, depth: usize, out: &mut Vec<SqlStatement>) {
    if stmt.kw("do") {
        plpgsql::do_statement(stmt, guard, depth, out);
        return;
    }
    let span = stmt.all_span();
    match ddl::recognise(stmt) {
        Ok(kinds) if kinds.is_empty() => out.push(SqlStatement {
            span,
            kind: None,
            guarded: guard.absent,
            unreadable: None,
        }),
        Ok(kinds) => out.extend(kinds.into_iter().map(|k| guarded(span.clone(), k, guard))),
        Err(reason) => out.push(unreadable(span, &reason, guard)),
    }
}

/// A recognised statement, with what its guard proves folded into the kind.
fn guarded(span: Span, mut kind: OpKind, guard: Guard) -> SqlStatement {
    let removes = matches!(
        kind,
        OpKind::DropTable { .. }
            | OpKind::DropView { .. }
            | OpKind::DropIndex { .. }
            | OpKind::DropConstraint { .. }
            | OpKind::RemoveColumn { .. }
            | OpKind::RenameTable { .. }
            | OpKind::RenameColumn { .. }
            | OpKind::RenameIndex { .. }
            | OpKind::RenameConstraint { .. }
    );
    let is_guarded = guard.absent || (guard.present && removes);
    if is_guarded {
        match &mut kind {
            OpKind::CreateConstraint { if_not_exists, .. } => *if_not_exists = true,
            OpKind::OtherDdl { idempotent, .. } => *idempotent = true,
            _ => {}
        }
    }
    SqlStatement {
        span,
        kind: Some(kind),
        guarded: is_guarded,
        unreadable: None,
    }
}

fn unreadable(span: Span, reason: &str, guard: Guard) -> SqlStatement {
    SqlStatement {
        span,
        kind: None,
        guarded: guard.absent,
        unreadable: Some(reason.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{ColumnDef, ConstraintKind, ForeignKeyDef, IndexDef, TableName};

    #[test]
    fn remembered_answers_are_the_answers() {
        let texts = [
            "CREATE INDEX IF NOT EXISTS i ON s.t (a)",
            "ALTER TABLE t ADD COLUMN a int, ADD b text UNIQUE",
            "COMMENT ON TABLE t IS 'x'",
            "DO $$ BEGIN CREATE TYPE e AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN null; END $$",
            "",
            "CREATE TABLE (",
        ];
        for _ in 0..2 {
            for sql in texts {
                assert_eq!(parse_sql_remembered(sql), parse_sql(sql), "{sql}");
            }
        }
        let long = "SELECT 1; ".repeat(REMEMBERED_SQL_BYTES / 10);
        assert_eq!(parse_sql_remembered(&long), parse_sql(&long));
    }

    /// The byte range of the `nth` occurrence of `needle` in `sql`.
    fn at(sql: &str, needle: &str, nth: usize) -> Span {
        let start = sql
            .match_indices(needle)
            .nth(nth)
            .map_or(usize::MAX, |(i, _)| i);
        start..start.saturating_add(needle.len())
    }

    #[test]
    fn empty_and_blank_input_give_nothing() {
        assert_eq!(parse_sql(""), vec![]);
        assert_eq!(parse_sql("  \n -- just a comment\n ;; "), vec![]);
    }

    #[test]
    fn statements_are_split_and_spans_exclude_the_semicolon() {
        let sql = "SET search_path TO public;\nCREATE EXTENSION IF NOT EXISTS citext ;";
        let got = parse_sql(sql);
        let texts: Vec<&str> = got.iter().map(|s| &sql[s.span.clone()]).collect();
        assert_eq!(
            texts,
            [
                "SET search_path TO public",
                "CREATE EXTENSION IF NOT EXISTS citext"
            ]
        );
        assert_eq!(got[0].kind, None);
        assert_eq!(got[0].unreadable, None);
        assert_eq!(
            got[1].kind,
            Some(OpKind::OtherDdl {
                what: "create extension citext".into(),
                idempotent: true
            })
        );
    }

    #[test]
    fn non_ddl_statements_have_no_kind_and_are_not_unreadable() {
        let sql = "GRANT SELECT ON events TO reader; REVOKE ALL ON events FROM public; \
                   COMMENT ON TABLE events IS 'x'; SET lock_timeout = '5s'; \
                   INSERT INTO t (a) VALUES (1); UPDATE t SET a = 2; DELETE FROM t; \
                   SELECT 1; REFRESH MATERIALIZED VIEW daily; ANALYZE events; VACUUM events; \
                   WITH x AS (SELECT 1) SELECT * FROM x; CALL refresh_continuous_aggregate('d', NULL, NULL)";
        let got = parse_sql(sql);
        assert_eq!(got.len(), 13);
        assert!(got
            .iter()
            .all(|s| s.kind.is_none() && s.unreadable.is_none()));
    }

    #[test]
    fn unterminated_string_makes_the_rest_unreadable_but_keeps_what_came_before() {
        let sql = "CREATE SCHEMA IF NOT EXISTS platform; ALTER TABLE t ADD c text DEFAULT 'oops";
        let got = parse_sql(sql);
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].kind,
            Some(OpKind::OtherDdl {
                what: "create schema platform".into(),
                idempotent: true
            })
        );
        assert_eq!(
            &sql[got[1].span.clone()],
            "ALTER TABLE t ADD c text DEFAULT 'oops"
        );
        assert_eq!(got[1].kind, None);
        assert_eq!(
            got[1].unreadable.as_deref(),
            Some("unterminated string literal")
        );
    }

    #[test]
    fn unterminated_dollar_quote_is_unreadable() {
        let got = parse_sql("DO $$ BEGIN CREATE TABLE t (a int); END");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].span, 0..39);
        assert!(got[0].unreadable.is_some());
    }

    /// A realistic `execute """ … """` heredoc from a migration: extensions, a
    /// table with constraints, a guarded constraint, an index, a hypertable and
    /// a continuous aggregate.
    #[test]
    fn realistic_heredoc() {
        let sql = r#"
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS timescaledb;

CREATE TABLE IF NOT EXISTS platform.events (
  id uuid NOT NULL DEFAULT uuid_generate_v4(),
  org_id uuid NOT NULL REFERENCES platform.orgs(id) ON DELETE CASCADE,
  kind varchar(64) NOT NULL,
  payload jsonb DEFAULT '{}'::jsonb,
  occurred_at timestamp with time zone NOT NULL,
  CONSTRAINT events_pkey PRIMARY KEY (id, occurred_at),
  CONSTRAINT events_kind_check CHECK (kind <> '')
);

DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint WHERE conname = 'events_org_kind_unique'
  ) THEN
    ALTER TABLE platform.events
      ADD CONSTRAINT events_org_kind_unique UNIQUE (org_id, kind, occurred_at);
  END IF;
END
$$;

CREATE INDEX IF NOT EXISTS events_org_id_occurred_at_idx
  ON platform.events (org_id, occurred_at DESC);

SELECT create_hypertable('platform.events', 'occurred_at', if_not_exists => TRUE);

CREATE MATERIALIZED VIEW IF NOT EXISTS platform.events_daily
WITH (timescaledb.continuous) AS
SELECT time_bucket('1 day', occurred_at) AS day, org_id, count(*) AS n
FROM platform.events
GROUP BY day, org_id
WITH NO DATA;

SELECT add_continuous_aggregate_policy('platform.events_daily',
  start_offset => INTERVAL '3 days',
  end_offset => INTERVAL '1 hour',
  schedule_interval => INTERVAL '1 hour');
"#;
        let got = parse_sql(sql);
        let events = |nth: usize| TableName {
            schema: Some("platform".into()),
            name: "events".into(),
            span: at(sql, "platform.events", nth),
        };
        let col = |name: &str, def: &str, ty: &str| {
            let span = at(sql, def, 0);
            ColumnDef {
                name: name.into(),
                name_span: span.start..span.start + name.len(),
                span,
                written_type: ty.into(),
                pg_type: Some(ty.to_lowercase()),
                null: Some(false),
                default: None,
                primary_key: false,
                references: None,
                implicit: false,
            }
        };
        let expected = vec![
            OpKind::OtherDdl {
                what: "create extension uuid-ossp".into(),
                idempotent: true,
            },
            OpKind::OtherDdl {
                what: "create extension timescaledb".into(),
                idempotent: true,
            },
            OpKind::CreateTable {
                table: events(0),
                if_not_exists: true,
                columns: vec![
                    ColumnDef {
                        default: Some("uuid_generate_v4()".into()),
                        ..col("id", "id uuid NOT NULL DEFAULT uuid_generate_v4()", "uuid")
                    },
                    ColumnDef {
                        references: Some(ForeignKeyDef {
                            table: TableName {
                                schema: Some("platform".into()),
                                name: "orgs".into(),
                                span: at(sql, "platform.orgs", 0),
                            },
                            columns: vec!["id".into()],
                            with: Vec::new(),
                            name: None,
                            on_delete: Some("cascade".into()),
                            on_update: None,
                            explicit_type: true,
                            explicit_column: true,
                        }),
                        ..col(
                            "org_id",
                            "org_id uuid NOT NULL REFERENCES platform.orgs(id) ON DELETE CASCADE",
                            "uuid",
                        )
                    },
                    col("kind", "kind varchar(64) NOT NULL", "varchar(64)"),
                    ColumnDef {
                        null: None,
                        default: Some("'{}'::jsonb".into()),
                        ..col("payload", "payload jsonb DEFAULT '{}'::jsonb", "jsonb")
                    },
                    col(
                        "occurred_at",
                        "occurred_at timestamp with time zone NOT NULL",
                        "timestamp with time zone",
                    ),
                ],
                constraints: vec![
                    (
                        Some("events_pkey".into()),
                        ConstraintKind::PrimaryKey(vec!["id".into(), "occurred_at".into()]),
                    ),
                    (
                        Some("events_kind_check".into()),
                        ConstraintKind::Check("kind <> ''".into()),
                    ),
                ],
            },
            OpKind::CreateConstraint {
                table: events(1),
                name: Some("events_org_kind_unique".into()),
                kind: ConstraintKind::Unique(vec![
                    "org_id".into(),
                    "kind".into(),
                    "occurred_at".into(),
                ]),
                if_not_exists: true,
            },
            OpKind::CreateIndex {
                index: IndexDef {
                    table: events(2),
                    name: "events_org_id_occurred_at_idx".into(),
                    columns: vec!["org_id".into(), "occurred_at".into()],
                    unique: false,
                    where_clause: None,
                    concurrently: false,
                    using: None,
                },
                if_not_exists: true,
            },
            OpKind::OtherDdl {
                what: "create hypertable platform.events".into(),
                idempotent: true,
            },
            OpKind::CreateView {
                table: TableName {
                    schema: Some("platform".into()),
                    name: "events_daily".into(),
                    span: at(sql, "platform.events_daily", 0),
                },
                materialized: true,
                if_not_exists: true,
                or_replace: false,
                columns: vec!["day".into(), "org_id".into(), "n".into()],
            },
            OpKind::OtherDdl {
                what: "add continuous aggregate policy platform.events_daily".into(),
                idempotent: false,
            },
        ];
        let got_kinds: Vec<OpKind> = got.iter().filter_map(|s| s.kind.clone()).collect();
        assert_eq!(got_kinds, expected);
        assert!(got.iter().all(|s| s.unreadable.is_none()), "{got:#?}");
        let guarded: Vec<&str> = got
            .iter()
            .filter(|s| s.guarded)
            .map(|s| &sql[s.span.clone()])
            .collect();
        assert_eq!(
            guarded,
            ["ALTER TABLE platform.events\n      ADD CONSTRAINT events_org_kind_unique UNIQUE (org_id, kind, occurred_at)"]
        );
        for s in &got {
            if let Some(OpKind::CreateTable { columns, .. }) = &s.kind {
                for c in columns {
                    assert_eq!(&sql[c.name_span.clone()], c.name);
                }
            }
        }
    }

    #[test]
    fn never_panics_on_prefixes_and_slices() {
        let corpus = [
            r#"CREATE TABLE IF NOT EXISTS "Ünïcode".t (a int PRIMARY KEY, b text[] DEFAULT '{}', CONSTRAINT c CHECK (a > 0));"#,
            "DO $tag$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN CREATE TYPE mood AS ENUM ('a'); END IF; EXCEPTION WHEN duplicate_object THEN NULL; END $tag$;",
            "DO 'BEGIN EXECUTE ''ALTER TABLE t ADD CONSTRAINT c UNIQUE (a)''; END';",
            "ALTER TABLE ONLY s.t ADD COLUMN IF NOT EXISTS x numeric(10,2) NOT NULL DEFAULT 0, DROP COLUMN y, ALTER COLUMN z SET DATA TYPE bigint USING z::bigint, RENAME TO u;",
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ON ONLY t USING gin ((lower(email)), name gin_trgm_ops) INCLUDE (x) WHERE deleted_at IS NULL;",
            "DO $$ DECLARE n int; BEGIN <<l>> LOOP EXIT l; END LOOP; CASE n WHEN 1 THEN PERFORM 1; END CASE; SELECT count(*) INTO n FROM pg_class; IF n = 0 THEN EXECUTE 'CREATE INDEX ON t ((a->>''k''))'; ELSIF n > 1 THEN NULL; END IF; EXCEPTION WHEN duplicate_table OR SQLSTATE '42P07' THEN RAISE NOTICE 'x'; END $$ LANGUAGE plpgsql;",
            "DROP MATERIALIZED VIEW IF EXISTS a, b.c CASCADE; SELECT create_hypertable('t', 'ts', if_not_exists => TRUE); E'\\x' ",
        ];
        let text = corpus.join("\n");
        let bytes = text.as_bytes();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound.max(1) as u64) as usize
        };
        for end in 0..=bytes.len() {
            let prefix = String::from_utf8_lossy(&bytes[..end]);
            check_spans(&prefix);
        }
        for _ in 0..2000 {
            let a = next(bytes.len());
            let b = a + next(bytes.len() - a + 1);
            let slice = String::from_utf8_lossy(&bytes[a..b]);
            check_spans(&slice);
        }
        check_spans("\u{0}\u{1}\u{ff}\u{fffd}((((;))))$$$'\"");
    }

    fn check_spans(sql: &str) {
        for s in parse_sql(sql) {
            assert!(sql.get(s.span.clone()).is_some(), "{:?} in {sql:?}", s.span);
        }
    }
}
