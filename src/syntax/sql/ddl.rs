//! One SQL statement's tokens → the [`OpKind`]s it performs: `CREATE`/`ALTER`/
//! `DROP` of tables, views, indexes and constraints, the other DDL we only
//! judge for idempotency, and TimescaleDB's `SELECT create_hypertable(…)`
//! family. `Err` means DDL we model that could not be read.

use super::lexer::{Cursor, Ident, Tok};
use crate::model::facts::{ColumnDef, ConstraintKind, ForeignKeyDef, IndexDef, OpKind, TableName};
use sqlparser::tokenizer::Token;

/// `Ok(vec![])`: not DDL we model (DML, `GRANT`, `SET` …).
pub(super) type Recognised = Result<Vec<OpKind>, String>;

pub(super) fn recognise(mut c: Cursor) -> Recognised {
    if c.eat_kw("create") {
        create(c)
    } else if c.eat_kw("alter") {
        alter(c)
    } else if c.eat_kw("drop") {
        drop(c)
    } else if c.kw("select") || c.kw("perform") {
        Ok(timescale_calls(c))
    } else {
        Ok(Vec::new())
    }
}

/// `schema.name` or `name`, for descriptions.
fn display(t: &TableName) -> String {
    match &t.schema {
        Some(s) => format!("{s}.{}", t.name),
        None => t.name.clone(),
    }
}

// ---------------------------------------------------------------- CREATE

fn create(mut c: Cursor) -> Recognised {
    let or_replace = c.eat_kws(&["or", "replace"]);
    let mut unique = false;
    let mut materialized = false;
    loop {
        if c.eat_kw("unique") {
            unique = true;
        } else if c.eat_kw("materialized") {
            materialized = true;
        } else if !(c.eat_kw("unlogged")
            || c.eat_kw("temp")
            || c.eat_kw("temporary")
            || c.eat_kw("global")
            || c.eat_kw("local")
            || c.eat_kw("recursive")
            || c.eat_kw("constraint")
            || c.eat_kw("trusted")
            || c.eat_kw("procedural"))
        {
            break;
        }
    }
    if c.eat_kw("table") || c.eat_kws(&["foreign", "table"]) {
        create_table(c)
    } else if c.eat_kw("view") {
        create_view(c, materialized, or_replace)
    } else if c.eat_kw("index") {
        create_index(c, unique)
    } else {
        Ok(other_create(c, or_replace))
    }
}

fn create_table(mut c: Cursor) -> Recognised {
    let if_not_exists = c.eat_kws(&["if", "not", "exists"]);
    let table = c
        .qualified_name()
        .ok_or("CREATE TABLE without a readable table name")?;
    let mut columns = Vec::new();
    let mut constraints = Vec::new();
    let creates = |columns, constraints| {
        Ok(vec![OpKind::CreateTable {
            table: table.clone(),
            if_not_exists,
            columns,
            constraints,
        }])
    };
    // Columns come from the parent or the type: none we can know.
    if c.eat_kws(&["partition", "of"]) || c.kw("of") {
        return creates(columns, constraints);
    }
    if c.is(&Token::LParen) {
        let list = c
            .group()
            .ok_or("CREATE TABLE with an unclosed column list")?;
        let select_follows = c.find_at_depth0(|t| t.is_kw("as")) < c.toks.len();
        for element in list.split_commas() {
            if element.at_end() {
                continue;
            }
            if select_follows {
                // `CREATE TABLE t (a, b) AS SELECT …`: names only, types from the query.
                let mut e = element;
                let Some(Ident { name, span }) = e.ident().filter(|_| e.at_end()) else {
                    return Err("CREATE TABLE … AS with an unreadable column list".into());
                };
                columns.push(ColumnDef {
                    name,
                    span: span.clone(),
                    name_span: span,
                    written_type: String::new(),
                    pg_type: None,
                    null: None,
                    default: None,
                    primary_key: false,
                    references: None,
                    implicit: false,
                });
            } else if element.kw("like") {
                continue;
            } else if starts_table_constraint(&element) {
                match table_constraint(element)? {
                    TableConstraint::Known(name, kind) => constraints.push((name, kind)),
                    TableConstraint::Other(_) => {}
                }
            } else {
                let column = column_def(element)?;
                constraints.extend(column.constraints);
                columns.push(column.def);
            }
        }
        return creates(columns, constraints);
    }
    // `CREATE TABLE t AS SELECT …`, `… WITH (…) AS …`, `… AS EXECUTE …`.
    if c.find_at_depth0(|t| t.is_kw("as")) < c.toks.len() {
        return creates(columns, constraints);
    }
    Err("CREATE TABLE without a readable column list".into())
}

struct ParsedColumn {
    def: ColumnDef,
    /// Column-level `UNIQUE` and `CHECK`, as table constraints.
    constraints: Vec<(Option<String>, ConstraintKind)>,
}

/// A word that ends a column's type (or a `DEFAULT` expression): the start
/// of a column constraint.
fn starts_column_constraint(c: &Cursor) -> bool {
    const STARTS: [&str; 13] = [
        "constraint",
        "null",
        "default",
        "primary",
        "unique",
        "references",
        "check",
        "generated",
        "collate",
        "deferrable",
        "initially",
        "compression",
        "storage",
    ];
    let Some(t) = c.peek() else {
        return false;
    };
    STARTS.iter().any(|k| t.is_kw(k))
        || (t.is_kw("not") && (c.kw_at(1, "null") || c.kw_at(1, "deferrable")))
}

fn starts_table_constraint(c: &Cursor) -> bool {
    [
        "constraint",
        "primary",
        "unique",
        "foreign",
        "check",
        "exclude",
    ]
    .iter()
    .any(|k| c.kw(k))
}

/// `name type [constraints]`: a column of `CREATE TABLE` or `ADD COLUMN`.
fn column_def(mut c: Cursor) -> Result<ParsedColumn, String> {
    let span = c.all_span();
    let name = c.ident().ok_or("column definition without a name")?;
    let type_start = c.pos;
    while !c.at_end() && !starts_column_constraint(&c) {
        c.skip_one();
    }
    if c.pos == type_start {
        return Err(format!("column {} without a type", name.name));
    }
    let written_type = c.text(type_start, c.pos).to_string();
    let pg_type = normalise_type(c.toks.get(type_start..c.pos).unwrap_or(&[]));
    let serial = matches!(
        pg_type.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
    );
    let mut def = ColumnDef {
        name: name.name.clone(),
        span,
        name_span: name.span,
        written_type,
        pg_type: Some(pg_type),
        // Serial columns are NOT NULL whether or not it is written.
        null: serial.then_some(false),
        default: None,
        primary_key: false,
        references: None,
        implicit: false,
    };
    let mut constraints = Vec::new();
    let mut constraint_name: Option<String> = None;
    while !c.at_end() {
        if c.eat_kw("constraint") {
            constraint_name = c.ident().map(|i| i.name);
            continue;
        }
        let named = constraint_name.take();
        if c.eat_kws(&["not", "null"]) {
            def.null = Some(false);
        } else if c.eat_kw("null") {
            def.null = Some(true);
        } else if c.eat_kw("default") {
            let start = c.pos;
            c.skip_one();
            while !c.at_end() && !starts_column_constraint(&c) {
                c.skip_one();
            }
            def.default = Some(c.text(start, c.pos).to_string());
        } else if c.eat_kws(&["primary", "key"]) {
            def.primary_key = true;
            def.null = Some(false);
        } else if c.eat_kw("unique") {
            eat_nulls_distinct(&mut c);
            constraints.push((named, ConstraintKind::Unique(vec![def.name.clone()])));
        } else if c.eat_kw("references") {
            def.references = Some(references(&mut c, named)?);
        } else if c.eat_kw("check") {
            let expr = c
                .group()
                .ok_or("CHECK without a parenthesised expression")?;
            c.eat_kws(&["no", "inherit"]);
            constraints.push((named, ConstraintKind::Check(expr.all_text().to_string())));
        } else if c.eat_kw("generated") {
            if !c.eat_kw("always") {
                c.eat_kws(&["by", "default"]);
            }
            c.eat_kw("as");
            if c.eat_kw("identity") {
                // Identity columns are NOT NULL implicitly.
                def.null = Some(false);
            }
            c.group();
        } else {
            c.skip_one();
        }
    }
    Ok(ParsedColumn { def, constraints })
}

fn eat_nulls_distinct(c: &mut Cursor) {
    if !c.eat_kws(&["nulls", "distinct"]) {
        c.eat_kws(&["nulls", "not", "distinct"]);
    }
}

/// The type as Postgres would print it, near enough: lower case, words
/// separated by one space, nothing around punctuation (`numeric(10,2)`,
/// `timestamp(0) with time zone`, `text[]`, `public.citext`).
fn normalise_type(toks: &[Tok]) -> String {
    let mut out = String::new();
    let mut prev_joins = false;
    for t in toks {
        let (piece, joins) = match &t.token {
            Token::Word(w) if w.quote_style.is_none() => (w.value.to_ascii_lowercase(), true),
            Token::Word(w) => (w.value.clone(), true),
            Token::Number(n, _) => (n.clone(), true),
            Token::RParen => (")".to_string(), false),
            Token::RBracket => ("]".to_string(), false),
            other => (other.to_string(), false),
        };
        let word_like = matches!(t.token, Token::Word(_) | Token::Number(..));
        if prev_joins && word_like {
            out.push(' ');
        }
        out.push_str(&piece);
        prev_joins = joins || matches!(t.token, Token::RParen | Token::RBracket);
    }
    out
}

/// After `REFERENCES`: `table [(cols)] [MATCH …] [ON DELETE …] [ON UPDATE …]`.
/// No column list means the referenced table's primary key: `columns` is empty.
fn references(c: &mut Cursor, name: Option<String>) -> Result<ForeignKeyDef, String> {
    let table = c
        .qualified_name()
        .ok_or("REFERENCES without a readable table name")?;
    let columns = if c.is(&Token::LParen) {
        column_list(c)?
    } else {
        Vec::new()
    };
    let mut fk = ForeignKeyDef {
        table,
        columns,
        name,
        on_delete: None,
        on_update: None,
    };
    loop {
        if c.eat_kw("match") {
            c.bump();
        } else if c.eat_kws(&["on", "delete"]) {
            fk.on_delete = Some(referential_action(c));
        } else if c.eat_kws(&["on", "update"]) {
            fk.on_update = Some(referential_action(c));
        } else {
            break;
        }
    }
    Ok(fk)
}

/// `CASCADE`, `SET NULL [(cols)]`, `NO ACTION` … in lower case.
fn referential_action(c: &mut Cursor) -> String {
    let words: &[&[&str]] = &[
        &["no", "action"],
        &["set", "null"],
        &["set", "default"],
        &["cascade"],
        &["restrict"],
    ];
    for w in words {
        if c.eat_kws(w) {
            c.group();
            return w.join(" ");
        }
    }
    c.bump().and_then(Tok::ident).unwrap_or_default()
}

/// `(a, b, "C")`: plain column names only.
fn column_list(c: &mut Cursor) -> Result<Vec<String>, String> {
    let list = c.group().ok_or("unclosed column list")?;
    let mut names = Vec::new();
    for mut part in list.split_commas() {
        match part.ident() {
            Some(i) if part.at_end() => names.push(i.name),
            _ => return Err(format!("unreadable column list ({})", list.all_text())),
        }
    }
    Ok(names)
}

enum TableConstraint {
    Known(Option<String>, ConstraintKind),
    /// A constraint we do not model as one (`UNIQUE USING INDEX i`), described.
    Other(String),
}

/// `[CONSTRAINT n] PRIMARY KEY (…) | UNIQUE (…) | FOREIGN KEY (…) REFERENCES … | CHECK (…) | EXCLUDE …`.
fn table_constraint(mut c: Cursor) -> Result<TableConstraint, String> {
    let name = if c.eat_kw("constraint") {
        Some(c.ident().ok_or("CONSTRAINT without a name")?.name)
    } else {
        None
    };
    let label = name.as_deref().map_or(String::new(), |n| format!(" {n}"));
    let kind = if c.eat_kws(&["primary", "key"]) {
        if c.eat_kws(&["using", "index"]) {
            return Ok(TableConstraint::Other(format!(
                "constraint{label} primary key using index {}",
                c.rest().all_text()
            )));
        }
        ConstraintKind::PrimaryKey(column_list(&mut c)?)
    } else if c.eat_kw("unique") {
        eat_nulls_distinct(&mut c);
        if c.eat_kws(&["using", "index"]) {
            return Ok(TableConstraint::Other(format!(
                "constraint{label} unique using index {}",
                c.rest().all_text()
            )));
        }
        ConstraintKind::Unique(column_list(&mut c)?)
    } else if c.eat_kws(&["foreign", "key"]) {
        let columns = column_list(&mut c)?;
        if !c.eat_kw("references") {
            return Err("FOREIGN KEY without REFERENCES".into());
        }
        let references = references(&mut c, name.clone())?;
        ConstraintKind::ForeignKey {
            columns,
            references,
        }
    } else if c.eat_kw("check") {
        let expr = c
            .group()
            .ok_or("CHECK without a parenthesised expression")?;
        ConstraintKind::Check(expr.all_text().to_string())
    } else if c.eat_kw("exclude") {
        ConstraintKind::Exclude(c.rest().all_text().to_string())
    } else {
        return Err("unreadable table constraint".into());
    };
    Ok(TableConstraint::Known(name, kind))
}

fn create_view(mut c: Cursor, materialized: bool, or_replace: bool) -> Recognised {
    let if_not_exists = c.eat_kws(&["if", "not", "exists"]);
    let table = c
        .qualified_name()
        .ok_or("CREATE VIEW without a readable name")?;
    let columns = if c.is(&Token::LParen) {
        column_list(&mut c)?
    } else {
        Vec::new()
    };
    Ok(vec![OpKind::CreateView {
        table,
        materialized,
        if_not_exists,
        or_replace,
        columns,
    }])
}

fn create_index(mut c: Cursor, unique: bool) -> Recognised {
    let concurrently = c.eat_kw("concurrently");
    let if_not_exists = c.eat_kws(&["if", "not", "exists"]);
    let name = if c.kw("on") {
        None
    } else {
        Some(
            c.qualified_name()
                .ok_or("CREATE INDEX without ON table")?
                .name,
        )
    };
    if !c.eat_kw("on") {
        return Err("CREATE INDEX without ON table".into());
    }
    c.eat_kw("only");
    let table = c
        .qualified_name()
        .ok_or("CREATE INDEX without a readable table name")?;
    let using = if c.eat_kw("using") {
        c.bump().and_then(Tok::ident)
    } else {
        None
    };
    let list = c.group().ok_or("CREATE INDEX without a column list")?;
    let mut columns = Vec::new();
    let mut name_parts = Vec::new();
    for element in list.split_commas() {
        let (column, name_part) = index_element(element)?;
        columns.push(column);
        name_parts.push(name_part);
    }
    let where_at = c.find_at_depth0(|t| t.is_kw("where"));
    let where_clause = (where_at < c.toks.len())
        .then(|| c.text(where_at + 1, c.toks.len()).to_string())
        .filter(|w| !w.is_empty());
    let name = name
        .unwrap_or_else(|| pg_object_name(&table.name, &index_name_addition(&name_parts), "idx"));
    Ok(vec![OpKind::CreateIndex {
        index: IndexDef {
            table,
            name,
            columns,
            unique,
            where_clause,
            concurrently,
            using,
        },
        if_not_exists,
    }])
}

/// One element of an index's column list: the column name, or the
/// expression as written; and the name Postgres uses for it in a default
/// index name (the column, the function called, or `expr`).
fn index_element(c: Cursor) -> Result<(String, String), String> {
    let unreadable = || format!("unreadable index element ({})", c.all_text());
    let Some(first) = c.peek() else {
        return Err("empty index element".into());
    };
    if first.is(&Token::LParen) {
        let close = c.matching_close(0).ok_or_else(unreadable)?;
        let expr = c.text(0, close + 1).to_string();
        return Ok((expr, figure_column_name(c.range(1..close))));
    }
    // `col [opclass] [ASC|DESC] …`, or a call `[schema.]f(…)`.
    let mut i = 0;
    while c.toks.get(i + 1).is_some_and(|t| t.is(&Token::Period))
        && c.toks.get(i + 2).is_some_and(Tok::is_word)
    {
        i += 2;
    }
    let last = c.toks.get(i).and_then(Tok::ident).ok_or_else(unreadable)?;
    if c.toks.get(i + 1).is_some_and(|t| t.is(&Token::LParen)) {
        let close = c.matching_close(i + 1).ok_or_else(unreadable)?;
        return Ok((c.text(0, close + 1).to_string(), last));
    }
    if i == 0 {
        return Ok((last.clone(), last));
    }
    Err(unreadable())
}

/// Postgres's `FigureIndexColname`, for the expressions people index: a
/// column (possibly cast), a function call, `CASE`; anything else is `expr`.
fn figure_column_name(c: Cursor) -> String {
    let mut c = c;
    while c.is(&Token::LParen) && c.matching_close(0) == Some(c.toks.len().saturating_sub(1)) {
        c = c.range(1..c.toks.len().saturating_sub(1));
    }
    let cast = c.find_at_depth0(|t| t.is(&Token::DoubleColon));
    let base = c.range(0..cast);
    let mut i = 0;
    while base.toks.get(i + 1).is_some_and(|t| t.is(&Token::Period))
        && base.toks.get(i + 2).is_some_and(Tok::is_word)
    {
        i += 2;
    }
    let name = base.toks.get(i).and_then(Tok::ident);
    let whole_is = |end: usize| end + 1 == base.toks.len();
    if base.kw("case") {
        return "case".into();
    }
    if let Some(name) = name {
        if whole_is(i) {
            return name;
        }
        if base.toks.get(i + 1).is_some_and(|t| t.is(&Token::LParen))
            && base.matching_close(i + 1).is_some_and(whole_is)
        {
            return name;
        }
    }
    // A cast of something nameless is named after the type.
    if cast < c.toks.len() {
        if let Some(ty) = c.toks.get(cast + 1).and_then(Tok::ident) {
            return ty;
        }
    }
    "expr".into()
}

/// Postgres's `NAMEDATALEN - 1`: longer names are truncated.
const MAX_NAME_BYTES: usize = 63;

/// Postgres's `ChooseIndexNameAddition`: column names joined by `_`,
/// stopping once the result is already too long to matter.
fn index_name_addition(parts: &[String]) -> String {
    let mut out = String::new();
    for p in parts {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(clip(p, MAX_NAME_BYTES));
        if out.len() > MAX_NAME_BYTES {
            break;
        }
    }
    out
}

/// Postgres's `makeObjectName`: `name1_name2_label`, shortening the longer
/// of the two names until it fits in 63 bytes.
fn pg_object_name(name1: &str, name2: &str, label: &str) -> String {
    let overhead = label.len() + 1 + usize::from(!name2.is_empty());
    let avail = MAX_NAME_BYTES.saturating_sub(overhead);
    let (mut n1, mut n2) = (name1.len(), name2.len());
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let mut out = clip(name1, n1).to_string();
    if !name2.is_empty() {
        out.push('_');
        out.push_str(clip(name2, n2));
    }
    out.push('_');
    out.push_str(label);
    out
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// The object words after `CREATE`/`DROP`/`ALTER` for the DDL we only
/// describe (`extension`, `event trigger`, `text search configuration` …).
fn object_kind(c: &mut Cursor) -> String {
    const MULTI: &[&[&str]] = &[
        &["event", "trigger"],
        &["foreign", "data", "wrapper"],
        &["text", "search", "configuration"],
        &["text", "search", "dictionary"],
        &["text", "search", "parser"],
        &["text", "search", "template"],
        &["access", "method"],
        &["user", "mapping"],
        &["operator", "class"],
        &["operator", "family"],
        &["default", "privileges"],
        &["owned", "by"],
    ];
    for words in MULTI {
        if c.eat_kws(words) {
            return words.join(" ");
        }
    }
    c.bump().and_then(Tok::ident).unwrap_or_default()
}

/// `name` or `schema.name` of the object, and ` on table` for triggers,
/// policies and rules.
fn object_label(c: &mut Cursor) -> String {
    let mut label = c.qualified_name().map(|t| display(&t)).unwrap_or_default();
    let on = c.find_at_depth0(|t| t.is_kw("on"));
    if on < c.toks.len() {
        let mut after = c.range(on + 1..c.toks.len());
        if let Some(t) = after.qualified_name() {
            label = format!("{label} on {}", display(&t));
        }
    }
    label
}

fn other_create(mut c: Cursor, or_replace: bool) -> Vec<OpKind> {
    let kind = object_kind(&mut c);
    if kind.is_empty() {
        return Vec::new();
    }
    let if_not_exists = c.eat_kws(&["if", "not", "exists"]);
    if kind == "schema" && c.kw("authorization") {
        c.bump();
    }
    let label = if matches!(
        kind.as_str(),
        "trigger" | "policy" | "rule" | "event trigger"
    ) {
        object_label(&mut c)
    } else {
        c.qualified_name().map(|t| display(&t)).unwrap_or_default()
    };
    vec![OpKind::OtherDdl {
        what: describe(&["create", &kind, &label]),
        idempotent: or_replace || if_not_exists,
    }]
}

fn describe(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------- ALTER

fn alter(mut c: Cursor) -> Recognised {
    if c.eat_kw("table") || c.eat_kws(&["foreign", "table"]) {
        return alter_table(c);
    }
    // Role and privilege settings do not change the schema.
    if ["role", "user", "group", "database", "system"]
        .iter()
        .any(|k| c.kw(k))
        || c.kws_ahead(&["default", "privileges"])
    {
        return Ok(Vec::new());
    }
    let view = c.eat_kw("view");
    let materialized = !view && c.eat_kws(&["materialized", "view"]);
    if view || materialized {
        return alter_view(c);
    }
    let kind = object_kind(&mut c);
    if kind.is_empty() {
        return Ok(Vec::new());
    }
    let if_exists = c.eat_kws(&["if", "exists"]);
    let label = c.qualified_name().map(|t| display(&t)).unwrap_or_default();
    let rest = c.rest();
    let renames = rest.find_at_depth0(|t| t.is_kw("rename")) < rest.toks.len();
    let adds_value = rest.kws_ahead(&["add", "value"]);
    let idempotent = if renames {
        if_exists
    } else if adds_value {
        rest.kws_ahead(&["add", "value", "if", "not", "exists"])
    } else {
        true
    };
    Ok(vec![OpKind::OtherDdl {
        what: describe(&["alter", &kind, &label, &leading_words(rest)]),
        idempotent,
    }])
}

/// The first few words of an action, lower case, for descriptions.
fn leading_words(c: Cursor) -> String {
    c.toks
        .iter()
        .take(4)
        .map_while(|t| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_lowercase()),
            Token::Word(w) => Some(w.value.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn alter_view(mut c: Cursor) -> Recognised {
    c.eat_kws(&["if", "exists"]);
    let table = c
        .qualified_name()
        .ok_or("ALTER VIEW without a readable name")?;
    rename_or_other(c, table, "view")
}

/// `RENAME TO`, `RENAME [COLUMN] a TO b`, `SET SCHEMA s`, or some other
/// change described as DDL that is safe to re-run.
fn rename_or_other(mut c: Cursor, table: TableName, what: &str) -> Recognised {
    if c.eat_kw("rename") {
        if c.eat_kw("to") {
            let to = c.ident().ok_or("RENAME TO without a new name")?;
            return Ok(vec![OpKind::RenameTable {
                to: TableName {
                    schema: table.schema.clone(),
                    name: to.name,
                    span: to.span,
                },
                from: table,
            }]);
        }
        if c.eat_kw("constraint") {
            let from = c.ident().ok_or("RENAME CONSTRAINT without a name")?;
            c.eat_kw("to");
            let to = c.ident().ok_or("RENAME CONSTRAINT without a new name")?;
            return Ok(vec![OpKind::OtherDdl {
                what: format!(
                    "alter {what} {} rename constraint {} to {}",
                    display(&table),
                    from.name,
                    to.name
                ),
                idempotent: false,
            }]);
        }
        c.eat_kw("column");
        let from = c.ident().ok_or("RENAME COLUMN without a column")?;
        if !c.eat_kw("to") {
            return Err("RENAME COLUMN without TO".into());
        }
        let to = c.ident().ok_or("RENAME COLUMN without a new name")?;
        return Ok(vec![OpKind::RenameColumn {
            table,
            from: from.name,
            to: to.name,
        }]);
    }
    if c.eat_kws(&["set", "schema"]) {
        let schema = c.ident().ok_or("SET SCHEMA without a schema")?;
        return Ok(vec![OpKind::RenameTable {
            to: TableName {
                schema: Some(schema.name),
                name: table.name.clone(),
                span: schema.span,
            },
            from: table,
        }]);
    }
    Ok(vec![OpKind::OtherDdl {
        what: describe(&["alter", what, &display(&table), &leading_words(c)]),
        idempotent: true,
    }])
}

fn alter_table(mut c: Cursor) -> Recognised {
    c.eat_kws(&["if", "exists"]);
    if c.kw("all") {
        return Ok(vec![OpKind::OtherDdl {
            what: describe(&["alter table", &leading_words(c.rest())]),
            idempotent: true,
        }]);
    }
    c.eat_kw("only");
    let table = c
        .qualified_name()
        .ok_or("ALTER TABLE without a readable table name")?;
    c.eat(&Token::Mul);
    if c.at_end() {
        return Err("ALTER TABLE without an action".into());
    }
    let mut ops = Vec::new();
    for action in c.rest().split_commas() {
        ops.extend(alter_table_action(action, &table)?);
    }
    Ok(ops)
}

fn alter_table_action(mut c: Cursor, table: &TableName) -> Recognised {
    if c.at_end() {
        return Err("ALTER TABLE with an empty action".into());
    }
    if c.eat_kw("add") {
        if starts_table_constraint(&c) {
            return Ok(vec![match table_constraint(c.rest())? {
                TableConstraint::Known(name, kind) => OpKind::CreateConstraint {
                    table: table.clone(),
                    name,
                    kind,
                    if_not_exists: false,
                },
                TableConstraint::Other(what) => OpKind::OtherDdl {
                    what: format!("alter table {} add {what}", display(table)),
                    idempotent: false,
                },
            }]);
        }
        c.eat_kw("column");
        let if_not_exists = c.eat_kws(&["if", "not", "exists"]);
        let column = column_def(c.rest())?;
        let mut ops = vec![OpKind::AddColumn {
            table: table.clone(),
            column: column.def,
            if_not_exists,
        }];
        // Skipped with the column when it already exists.
        ops.extend(
            column
                .constraints
                .into_iter()
                .map(|(name, kind)| OpKind::CreateConstraint {
                    table: table.clone(),
                    name,
                    kind,
                    if_not_exists,
                }),
        );
        return Ok(ops);
    }
    if c.eat_kw("drop") {
        if c.eat_kw("constraint") {
            let if_exists = c.eat_kws(&["if", "exists"]);
            let name = c.ident().ok_or("DROP CONSTRAINT without a name")?;
            return Ok(vec![OpKind::DropConstraint {
                table: table.clone(),
                name: name.name,
                if_exists,
            }]);
        }
        c.eat_kw("column");
        let if_exists = c.eat_kws(&["if", "exists"]);
        let column = c.ident().ok_or("DROP COLUMN without a column")?;
        return Ok(vec![OpKind::RemoveColumn {
            table: table.clone(),
            column: column.name,
            column_span: column.span,
            if_exists,
        }]);
    }
    if c.kw("alter") && !c.kw_at(1, "constraint") {
        c.bump();
        c.eat_kw("column");
        let column = c.ident().ok_or("ALTER COLUMN without a column")?;
        let modify = |pg_type, written_type, null, default| {
            Ok(vec![OpKind::ModifyColumn {
                table: table.clone(),
                column: column.name.clone(),
                column_span: column.span.clone(),
                pg_type,
                written_type,
                null,
                default,
                references: None,
            }])
        };
        if c.eat_kws(&["set", "data", "type"]) || c.eat_kw("type") {
            let start = c.pos;
            let end = c.find_at_depth0(|t| t.is_kw("using") || t.is_kw("collate"));
            if end == start {
                return Err(format!("ALTER COLUMN {} TYPE without a type", column.name));
            }
            let written = c.text(start, end).to_string();
            let pg = normalise_type(c.toks.get(start..end).unwrap_or(&[]));
            return modify(Some(Some(pg)), Some(written), None, None);
        }
        if c.eat_kws(&["set", "not", "null"]) {
            return modify(None, None, Some(false), None);
        }
        if c.eat_kws(&["drop", "not", "null"]) {
            return modify(None, None, Some(true), None);
        }
        if c.eat_kws(&["set", "default"]) {
            if c.at_end() {
                return Err(format!("SET DEFAULT on {} without a value", column.name));
            }
            let default = c.rest().all_text().to_string();
            return modify(None, None, None, Some(Some(default)));
        }
        if c.eat_kws(&["drop", "default"]) {
            return modify(None, None, None, Some(None));
        }
        return Ok(vec![OpKind::OtherDdl {
            what: describe(&[
                "alter table",
                &display(table),
                "alter column",
                &column.name,
                &leading_words(c.rest()),
            ]),
            idempotent: true,
        }]);
    }
    rename_or_other(c, table.clone(), "table")
}

// ---------------------------------------------------------------- DROP

fn drop(mut c: Cursor) -> Recognised {
    enum Dropped {
        Table,
        View { materialized: bool },
        Index,
    }
    let dropped = if c.eat_kw("table") || c.eat_kws(&["foreign", "table"]) {
        Dropped::Table
    } else if c.eat_kw("view") {
        Dropped::View {
            materialized: false,
        }
    } else if c.eat_kws(&["materialized", "view"]) {
        Dropped::View { materialized: true }
    } else if c.eat_kw("index") {
        Dropped::Index
    } else {
        return Ok(other_drop(c));
    };
    c.eat_kw("concurrently");
    let if_exists = c.eat_kws(&["if", "exists"]);
    let mut ops = Vec::new();
    for mut part in c.rest().split_commas() {
        let table = part
            .qualified_name()
            .ok_or_else(|| format!("DROP without a readable name ({})", part.all_text()))?;
        ops.push(match dropped {
            Dropped::Table => OpKind::DropTable { table, if_exists },
            Dropped::View { materialized } => OpKind::DropView {
                table,
                materialized,
                if_exists,
            },
            Dropped::Index => OpKind::DropIndex {
                table: None,
                schema: table.schema,
                name: table.name,
                if_exists,
            },
        });
    }
    Ok(ops)
}

fn other_drop(mut c: Cursor) -> Vec<OpKind> {
    let kind = object_kind(&mut c);
    if kind.is_empty() {
        return Vec::new();
    }
    let if_exists = c.eat_kws(&["if", "exists"]);
    let label = if matches!(kind.as_str(), "trigger" | "policy" | "rule") {
        object_label(&mut c)
    } else {
        c.qualified_name().map(|t| display(&t)).unwrap_or_default()
    };
    vec![OpKind::OtherDdl {
        what: describe(&["drop", &kind, &label]),
        idempotent: if_exists,
    }]
}

// ---------------------------------------------------------------- TimescaleDB

/// TimescaleDB functions that change the schema or its jobs, and the named
/// argument that makes a re-run a no-op.
const TIMESCALE_CALLS: &[(&str, &str)] = &[
    ("create_hypertable", "if_not_exists"),
    ("create_distributed_hypertable", "if_not_exists"),
    ("add_dimension", "if_not_exists"),
    ("add_retention_policy", "if_not_exists"),
    ("add_compression_policy", "if_not_exists"),
    ("add_continuous_aggregate_policy", "if_not_exists"),
    ("add_reorder_policy", "if_not_exists"),
    ("add_columnstore_policy", "if_not_exists"),
    ("remove_retention_policy", "if_exists"),
    ("remove_compression_policy", "if_exists"),
    ("remove_continuous_aggregate_policy", "if_exists"),
    ("remove_reorder_policy", "if_exists"),
    ("remove_columnstore_policy", "if_exists"),
];

/// `SELECT create_hypertable('t', 'ts', if_not_exists => TRUE)` and friends,
/// wherever they appear in a `SELECT`/`PERFORM`.
fn timescale_calls(c: Cursor) -> Vec<OpKind> {
    let mut ops = Vec::new();
    for (i, t) in c.toks.iter().enumerate() {
        let Some(name) = t.ident() else {
            continue;
        };
        let Some((_, guard_arg)) = TIMESCALE_CALLS.iter().find(|(f, _)| *f == name) else {
            continue;
        };
        let mut at = c.range(i + 1..c.toks.len());
        let Some(args) = at.group() else {
            continue;
        };
        let mut target = String::new();
        let mut idempotent = false;
        for (n, arg) in args.split_commas().into_iter().enumerate() {
            let named = arg
                .peek_at(1)
                .is_some_and(|t| t.is(&Token::RArrow) || t.is(&Token::Assignment));
            if named {
                if arg.kw(guard_arg) {
                    idempotent = arg.peek_at(2).is_some_and(is_true);
                }
            } else if n == 0 {
                target = arg
                    .peek()
                    .and_then(Tok::string_value)
                    .map(|s| s.to_ascii_lowercase())
                    .unwrap_or_default();
            }
        }
        ops.push(OpKind::OtherDdl {
            what: describe(&[&name.replace('_', " "), &target]),
            idempotent,
        });
    }
    ops
}

fn is_true(t: &Tok) -> bool {
    t.is_kw("true")
        || t.string_value().is_some_and(|s| {
            ["t", "true", "on", "yes", "1"]
                .iter()
                .any(|v| s.eq_ignore_ascii_case(v))
        })
}
