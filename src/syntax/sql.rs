//! Raw SQL (the strings given to `execute`) → DDL facts.

use crate::model::facts::{OpKind, Span};

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
    /// pg_…/information_schema…)` test: re-running it is a no-op.
    pub guarded: bool,
    /// DDL that looked like something we model but could not be read
    /// (a short reason), so the caller reports it `unresolved`.
    pub unreadable: Option<String>,
}

/// Split `sql` into statements and recognise the DDL among them. Spans of
/// table names inside returned `OpKind`s are byte ranges into `sql`.
/// A statement with several actions (`ALTER TABLE t ADD a int, ADD b int`)
/// gives one `SqlStatement` per action, all with the statement's span.
pub fn parse_sql(sql: &str) -> Vec<SqlStatement> {
    let _ = sql;
    Vec::new()
}
