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
                    TableConstraint::Known(name, kind) => constraints.push((name, *kind)),
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
        with: Vec::new(),
        name,
        on_delete: None,
        on_update: None,
        // SQL spells the column type; the key columns are the list or the pk.
        explicit_type: true,
        explicit_column: true,
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

/// The column names a `SELECT` list gives its result, as Postgres names
/// them: the alias, the column of a (qualified) column reference, or the
/// function of a bare call (`count(*)` → `count`). Empty when any item's name
/// is not certain (`*`, an unaliased expression, a `WITH` query), so a view
/// is either fully known or left open.
fn select_output_names(mut c: Cursor) -> Vec<String> {
    if !c.eat_kw("select") {
        return Vec::new();
    }
    if c.eat_kw("distinct") {
        if c.eat_kw("on") {
            c.skip_one();
        }
    } else {
        c.eat_kw("all");
    }
    let end = c.find_at_depth0(|t| {
        [
            "from",
            "union",
            "intersect",
            "except",
            "into",
            "where",
            "group",
            "order",
            "limit",
        ]
        .iter()
        .any(|k| t.is_kw(k))
            || t.is(&Token::SemiColon)
    });
    let list = c.range(c.pos..end);
    let mut names = Vec::new();
    for item in list.split_commas() {
        match output_name(&item) {
            Some(name) => names.push(name),
            None => return Vec::new(),
        }
    }
    names
}

/// One select item's output name, when it is certain.
fn output_name(item: &Cursor) -> Option<String> {
    let toks = item.toks;
    let n = toks.len();
    let last = toks.last()?;
    // `expr AS alias`, and `f(…) alias` without AS.
    if n >= 2 {
        let before = toks.get(n - 2)?;
        if before.is_kw("as") || (before.is(&Token::RParen) && last.is_word()) {
            return last.ident();
        }
    }
    // `expr::type` keeps the name of `expr`.
    let cast = item.find_at_depth0(|t| t.is(&Token::DoubleColon));
    if cast < n {
        return (cast > 0)
            .then(|| output_name(&item.range(0..cast)))
            .flatten();
    }
    let is_dot = |i: usize| toks.get(i).is_some_and(|t| t.is(&Token::Period));
    let is_word = |i: usize| toks.get(i).is_some_and(|t| t.is_word() && !t.is_kw("case"));
    // `col`, `t.col`, `s.t.col`.
    if (0..n).all(|i| if i % 2 == 0 { is_word(i) } else { is_dot(i) }) && n % 2 == 1 {
        return last.ident();
    }
    // `f(…)` or `s.f(…)`: Postgres names the column after the function.
    if last.is(&Token::RParen) {
        let open = toks.iter().position(|t| t.is(&Token::LParen))?;
        if item.matching_close(open) == Some(n - 1)
            && open >= 1
            && (0..open).all(|i| {
                if (open - 1 - i) % 2 == 0 {
                    is_word(i)
                } else {
                    is_dot(i)
                }
            })
        {
            return toks.get(open - 1)?.ident();
        }
    }
    None
}

enum TableConstraint {
    // Boxed: a foreign key is much larger than a description.
    Known(Option<String>, Box<ConstraintKind>),
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
    } else if name.is_some() {
        // A named constraint of a form we do not model (`CONSTRAINT n NOT NULL col`).
        return Ok(TableConstraint::Other(format!(
            "constraint{label} {}",
            leading_words(c.rest())
        )));
    } else {
        return Err("unreadable table constraint".into());
    };
    Ok(TableConstraint::Known(name, Box::new(kind)))
}

fn create_view(mut c: Cursor, materialized: bool, or_replace: bool) -> Recognised {
    let if_not_exists = c.eat_kws(&["if", "not", "exists"]);
    let table = c
        .qualified_name()
        .ok_or("CREATE VIEW without a readable name")?;
    let columns = if c.is(&Token::LParen) {
        column_list(&mut c)?
    } else {
        // `WITH (timescaledb.continuous)` and other storage options.
        if c.eat_kw("with") {
            c.skip_one();
        }
        if c.eat_kw("as") {
            select_output_names(c.rest())
        } else {
            Vec::new()
        }
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
    // A column is followed only by its options (`COLLATE`, an opclass, `DESC`, `NULLS LAST`).
    if i == 0 && c.toks.get(1).is_none_or(Tok::is_word) {
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
    let name = c.qualified_name();
    if kind == "index" && c.eat_kws(&["rename", "to"]) {
        let index = name.ok_or("ALTER INDEX without a readable name")?;
        let to = c
            .ident()
            .ok_or("ALTER INDEX RENAME TO without a new name")?;
        // The new name stays in the index's schema.
        return Ok(vec![OpKind::RenameIndex {
            schema: index.schema,
            from: index.name,
            to: to.name,
            if_exists,
        }]);
    }
    let label = name.map(|t| display(&t)).unwrap_or_default();
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

/// The first few words of an action, lower case, for descriptions (up to
/// an `IF [NOT] EXISTS`, which the idempotency verdict already reflects).
fn leading_words(c: Cursor) -> String {
    c.toks
        .iter()
        .take(4)
        .take_while(|t| !t.is_kw("if"))
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
            return Ok(vec![OpKind::RenameConstraint {
                table,
                from: from.name,
                to: to.name,
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
                    kind: *kind,
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
                drop_foreign_key: None,
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
            .ok_or("DROP without a readable name")?;
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
                    .map(regclass_name)
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

/// A relation named in a string (`'platform.events'`, `'"Metrics"'`), with
/// the identifier rules Postgres applies when it casts it to `regclass`.
fn regclass_name(s: &str) -> String {
    s.trim()
        .split('.')
        .map(
            |part| match part.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
                Some(quoted) => quoted.to_string(),
                None => part.to_ascii_lowercase(),
            },
        )
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::super::{parse_sql, SqlStatement};
    use crate::model::facts::{
        ColumnDef, ConstraintKind, ForeignKeyDef, IndexDef, OpKind, Span, TableName,
    };

    /// The kinds of every statement, asserting none is unreadable.
    fn kinds(sql: &str) -> Vec<OpKind> {
        let got = parse_sql(sql);
        assert!(got.iter().all(|s| s.unreadable.is_none()), "{got:#?}");
        got.into_iter().filter_map(|s| s.kind).collect()
    }

    fn one(sql: &str) -> OpKind {
        let mut all = kinds(sql);
        assert_eq!(all.len(), 1, "{all:#?}");
        all.remove(0)
    }

    fn unreadable(sql: &str) -> Option<String> {
        match parse_sql(sql).as_slice() {
            [SqlStatement {
                kind: None,
                unreadable,
                ..
            }] => unreadable.clone(),
            other => panic!("{other:#?}"),
        }
    }

    /// The byte range of the `nth` occurrence of `needle` in `sql`.
    fn at(sql: &str, needle: &str, nth: usize) -> Span {
        let start = sql
            .match_indices(needle)
            .nth(nth)
            .map_or(usize::MAX, |(i, _)| i);
        start..start.saturating_add(needle.len())
    }

    fn table(sql: &str, written: &str, schema: Option<&str>, name: &str) -> TableName {
        TableName {
            schema: schema.map(str::to_string),
            name: name.to_string(),
            span: at(sql, written, 0),
        }
    }

    fn other(what: &str, idempotent: bool) -> OpKind {
        OpKind::OtherDdl {
            what: what.into(),
            idempotent,
        }
    }

    fn column(sql: &str, def: &str, name: &str, written_type: &str, pg_type: &str) -> ColumnDef {
        let span = at(sql, def, 0);
        ColumnDef {
            name: name.into(),
            name_span: span.start..span.start + def.find(' ').unwrap_or(def.len()),
            span,
            written_type: written_type.into(),
            pg_type: Some(pg_type.into()),
            null: None,
            default: None,
            primary_key: false,
            references: None,
            implicit: false,
        }
    }

    #[test]
    fn create_table_columns_with_types_and_column_constraints() {
        let sql = r#"CREATE UNLOGGED TABLE IF NOT EXISTS "Audit"."Log" (
  id bigserial PRIMARY KEY,
  note text COLLATE "C" NOT NULL,
  amount NUMERIC (10, 2) DEFAULT 0.0 CHECK (amount >= 0),
  tags text[] DEFAULT '{}'::text[] NOT NULL,
  at TIMESTAMP(0) WITHOUT TIME ZONE DEFAULT now() NULL,
  email citext CONSTRAINT log_email_key UNIQUE,
  code int GENERATED ALWAYS AS IDENTITY,
  total numeric GENERATED ALWAYS AS (amount * 2) STORED,
  parent_id bigint CONSTRAINT log_parent_fk REFERENCES "Audit"."Log" ON DELETE SET NULL ON UPDATE NO ACTION,
  label public.citext DEFAULT coalesce(current_setting('app.label', true), 'x')
)"#;
        let expected = OpKind::CreateTable {
            table: table(sql, "\"Audit\".\"Log\"", Some("Audit"), "Log"),
            if_not_exists: true,
            columns: vec![
                ColumnDef {
                    null: Some(false),
                    primary_key: true,
                    ..column(sql, "id bigserial PRIMARY KEY", "id", "bigserial", "bigserial")
                },
                ColumnDef {
                    null: Some(false),
                    ..column(sql, "note text COLLATE \"C\" NOT NULL", "note", "text", "text")
                },
                ColumnDef {
                    default: Some("0.0".into()),
                    ..column(
                        sql,
                        "amount NUMERIC (10, 2) DEFAULT 0.0 CHECK (amount >= 0)",
                        "amount",
                        "NUMERIC (10, 2)",
                        "numeric(10,2)",
                    )
                },
                ColumnDef {
                    null: Some(false),
                    default: Some("'{}'::text[]".into()),
                    ..column(
                        sql,
                        "tags text[] DEFAULT '{}'::text[] NOT NULL",
                        "tags",
                        "text[]",
                        "text[]",
                    )
                },
                ColumnDef {
                    null: Some(true),
                    default: Some("now()".into()),
                    ..column(
                        sql,
                        "at TIMESTAMP(0) WITHOUT TIME ZONE DEFAULT now() NULL",
                        "at",
                        "TIMESTAMP(0) WITHOUT TIME ZONE",
                        "timestamp(0) without time zone",
                    )
                },
                column(
                    sql,
                    "email citext CONSTRAINT log_email_key UNIQUE",
                    "email",
                    "citext",
                    "citext",
                ),
                ColumnDef {
                    null: Some(false),
                    ..column(sql, "code int GENERATED ALWAYS AS IDENTITY", "code", "int", "int")
                },
                column(
                    sql,
                    "total numeric GENERATED ALWAYS AS (amount * 2) STORED",
                    "total",
                    "numeric",
                    "numeric",
                ),
                ColumnDef {
                    references: Some(ForeignKeyDef {
                        table: TableName {
                            schema: Some("Audit".into()),
                            name: "Log".into(),
                            span: at(sql, "\"Audit\".\"Log\"", 1),
                        },
                        columns: vec![],
                        with: Vec::new(),
                        name: Some("log_parent_fk".into()),
                        on_delete: Some("set null".into()),
                        on_update: Some("no action".into()),
                        explicit_type: true,
                        explicit_column: true,
                    }),
                    ..column(
                        sql,
                        "parent_id bigint CONSTRAINT log_parent_fk REFERENCES \"Audit\".\"Log\" ON DELETE SET NULL ON UPDATE NO ACTION",
                        "parent_id",
                        "bigint",
                        "bigint",
                    )
                },
                ColumnDef {
                    default: Some("coalesce(current_setting('app.label', true), 'x')".into()),
                    ..column(
                        sql,
                        "label public.citext DEFAULT coalesce(current_setting('app.label', true), 'x')",
                        "label",
                        "public.citext",
                        "public.citext",
                    )
                },
            ],
            constraints: vec![
                (None, ConstraintKind::Check("amount >= 0".into())),
                (
                    Some("log_email_key".into()),
                    ConstraintKind::Unique(vec!["email".into()]),
                ),
            ],
        };
        assert_eq!(one(sql), expected);
    }

    #[test]
    fn create_table_table_constraints() {
        let sql = "create table bookings (
            id uuid, room_id uuid, during tstzrange, org_id uuid, kind text,
            CONSTRAINT bookings_pkey PRIMARY KEY (id),
            UNIQUE NULLS NOT DISTINCT (org_id, kind),
            FOREIGN KEY (org_id, room_id) REFERENCES platform.rooms (org_id, id) MATCH FULL ON DELETE CASCADE,
            CONSTRAINT kind_present CHECK (kind <> ''),
            CONSTRAINT no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&) WHERE (kind = 'hold')
        )";
        let OpKind::CreateTable { constraints, .. } = one(sql) else {
            panic!("not a table");
        };
        assert_eq!(
            constraints,
            vec![
                (
                    Some("bookings_pkey".into()),
                    ConstraintKind::PrimaryKey(vec!["id".into()])
                ),
                (
                    None,
                    ConstraintKind::Unique(vec!["org_id".into(), "kind".into()])
                ),
                (
                    None,
                    ConstraintKind::ForeignKey {
                        columns: vec!["org_id".into(), "room_id".into()],
                        references: ForeignKeyDef {
                            table: table(sql, "platform.rooms", Some("platform"), "rooms"),
                            columns: vec!["org_id".into(), "id".into()],
                            with: Vec::new(),
                            name: None,
                            on_delete: Some("cascade".into()),
                            on_update: None,
                            explicit_type: true,
                            explicit_column: true,
                        },
                    }
                ),
                (
                    Some("kind_present".into()),
                    ConstraintKind::Check("kind <> ''".into())
                ),
                (
                    Some("no_overlap".into()),
                    ConstraintKind::Exclude(
                        "USING gist (room_id WITH =, during WITH &&) WHERE (kind = 'hold')".into()
                    )
                ),
            ]
        );
    }

    #[test]
    fn create_table_forms_without_a_full_column_list() {
        let sql = "CREATE TEMP TABLE t2 AS SELECT * FROM t1;
CREATE TABLE t3 (a, b) AS SELECT 1, 2;
CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE t4 (LIKE t1 INCLUDING ALL, extra int);
CREATE TABLE t5 OF mytype;
CREATE TABLE t6 ();";
        let created: Vec<(String, Vec<String>)> = kinds(sql)
            .into_iter()
            .map(|k| match k {
                OpKind::CreateTable { table, columns, .. } => {
                    (table.name, columns.into_iter().map(|c| c.name).collect())
                }
                other => panic!("{other:?}"),
            })
            .collect();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            created,
            vec![
                ("t2".into(), vec![]),
                ("t3".into(), names(&["a", "b"])),
                ("m_2024".into(), vec![]),
                ("t4".into(), names(&["extra"])),
                ("t5".into(), vec![]),
                ("t6".into(), vec![]),
            ]
        );
        let OpKind::CreateTable { columns, .. } = one("CREATE TABLE t3 (a) AS SELECT 1") else {
            panic!("not a table");
        };
        assert_eq!(columns[0].pg_type, None);
    }

    #[test]
    fn unreadable_create_table() {
        assert_eq!(
            unreadable("CREATE TABLE").as_deref(),
            Some("CREATE TABLE without a readable table name")
        );
        assert_eq!(
            unreadable("CREATE TABLE t (a int").as_deref(),
            Some("CREATE TABLE with an unclosed column list")
        );
        assert_eq!(
            unreadable("CREATE TABLE t (a)").as_deref(),
            Some("column a without a type")
        );
        assert_eq!(
            unreadable("CREATE TABLE t").as_deref(),
            Some("CREATE TABLE without a readable column list")
        );
        assert_eq!(
            unreadable("CREATE TABLE t (a int, FOREIGN KEY (a) o (id))").as_deref(),
            Some("FOREIGN KEY without REFERENCES")
        );
        assert_eq!(
            unreadable("CREATE TABLE t (a int, PRIMARY KEY (lower(a)))").as_deref(),
            Some("unreadable column list (lower(a))")
        );
        // A named constraint of an unknown form is skipped, not fatal.
        let OpKind::CreateTable {
            columns,
            constraints,
            ..
        } = one("CREATE TABLE t (a int, CONSTRAINT a_nn NOT NULL a)")
        else {
            panic!("not a table");
        };
        assert_eq!((columns.len(), constraints.len()), (1, 0));
        assert_eq!(
            one("ALTER TABLE t ADD CONSTRAINT a_nn NOT NULL a"),
            other("alter table t add constraint a_nn not null a", false)
        );
    }

    #[test]
    fn create_views() {
        let sql = "CREATE OR REPLACE VIEW active_users (id, \"E-mail\") AS SELECT id, email FROM users;
CREATE MATERIALIZED VIEW IF NOT EXISTS metrics.hourly WITH (timescaledb.continuous) AS SELECT 1 WITH NO DATA";
        assert_eq!(
            kinds(sql),
            vec![
                OpKind::CreateView {
                    table: table(sql, "active_users", None, "active_users"),
                    materialized: false,
                    if_not_exists: false,
                    or_replace: true,
                    columns: vec!["id".into(), "E-mail".into()],
                },
                OpKind::CreateView {
                    table: table(sql, "metrics.hourly", Some("metrics"), "hourly"),
                    materialized: true,
                    if_not_exists: true,
                    or_replace: false,
                    columns: vec![],
                },
            ]
        );
        assert_eq!(
            unreadable("CREATE VIEW (a) AS SELECT 1").as_deref(),
            Some("CREATE VIEW without a readable name")
        );
    }

    #[test]
    fn view_columns_come_from_the_select_list_when_certain() {
        let columns = |sql: &str| match kinds(sql).into_iter().next() {
            Some(OpKind::CreateView { columns, .. }) => columns,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            columns(
                "CREATE MATERIALIZED VIEW active_channels AS
                   SELECT DISTINCT DATE(time) as utc_date, s.boat_id, sensor_id, type FROM samples s"
            ),
            ["utc_date", "boat_id", "sensor_id", "type"]
        );
        assert_eq!(
            columns(
                "CREATE MATERIALIZED VIEW hourly WITH (timescaledb.continuous) AS
                 SELECT time_bucket('1 hour', at) bucket, device_id, count(*), max(v)::float8, \"Label\"
                 FROM readings GROUP BY 1, 2 WITH NO DATA"
            ),
            ["bucket", "device_id", "count", "max", "Label"]
        );
        assert_eq!(
            columns("CREATE VIEW downloads_by_day AS SELECT d.day, count(*) FILTER (WHERE ok) FROM d GROUP BY 1"),
            Vec::<String>::new()
        );
        assert_eq!(
            columns("CREATE VIEW everything AS SELECT * FROM users"),
            Vec::<String>::new()
        );
        assert_eq!(
            columns("CREATE VIEW sums AS SELECT a + b FROM t"),
            Vec::<String>::new()
        );
        assert_eq!(
            columns("CREATE VIEW recent AS WITH r AS (SELECT 1 AS x) SELECT x FROM r"),
            Vec::<String>::new()
        );
        assert_eq!(
            columns("CREATE VIEW pairs AS SELECT id, CASE WHEN a THEN 1 END AS flag FROM t UNION SELECT id, 0 FROM u"),
            ["id", "flag"]
        );
    }

    #[test]
    fn alter_table_column_actions_one_statement_each() {
        let sql = "ALTER TABLE IF EXISTS ONLY public.users
  ADD COLUMN IF NOT EXISTS age int NOT NULL DEFAULT 0,
  ADD nickname varchar(40),
  DROP COLUMN IF EXISTS legacy CASCADE,
  DROP old_flag,
  ALTER COLUMN name TYPE varchar(100) USING name::varchar(100),
  ALTER score SET DATA TYPE double precision,
  ALTER email SET NOT NULL,
  ALTER COLUMN bio DROP NOT NULL,
  ALTER COLUMN status SET DEFAULT 'active',
  ALTER COLUMN status DROP DEFAULT,
  ALTER COLUMN x SET STATISTICS 100";
        let got = parse_sql(sql);
        assert_eq!(got.len(), 11);
        assert!(got.iter().all(|s| s.span == (0..sql.len())));
        let users = table(sql, "public.users", Some("public"), "users");
        type Change = (Option<Option<String>>, Option<bool>, Option<Option<String>>);
        let modify =
            |col: &str, nth: usize, (pg_type, null, default): Change| OpKind::ModifyColumn {
                table: users.clone(),
                column: col.into(),
                column_span: at(sql, col, nth),
                written_type: pg_type.clone().flatten(),
                pg_type,
                null,
                default,
                references: None,
                drop_foreign_key: None,
            };
        let expected = vec![
            OpKind::AddColumn {
                table: users.clone(),
                column: ColumnDef {
                    null: Some(false),
                    default: Some("0".into()),
                    ..column(sql, "age int NOT NULL DEFAULT 0", "age", "int", "int")
                },
                if_not_exists: true,
            },
            OpKind::AddColumn {
                table: users.clone(),
                column: column(
                    sql,
                    "nickname varchar(40)",
                    "nickname",
                    "varchar(40)",
                    "varchar(40)",
                ),
                if_not_exists: false,
            },
            OpKind::RemoveColumn {
                table: users.clone(),
                column: "legacy".into(),
                column_span: at(sql, "legacy", 0),
                if_exists: true,
            },
            OpKind::RemoveColumn {
                table: users.clone(),
                column: "old_flag".into(),
                column_span: at(sql, "old_flag", 0),
                if_exists: false,
            },
            modify("name", 1, (Some(Some("varchar(100)".into())), None, None)),
            modify(
                "score",
                0,
                (Some(Some("double precision".into())), None, None),
            ),
            modify("email", 0, (None, Some(false), None)),
            modify("bio", 0, (None, Some(true), None)),
            modify("status", 0, (None, None, Some(Some("'active'".into())))),
            modify("status", 1, (None, None, Some(None))),
            other(
                "alter table public.users alter column x set statistics",
                true,
            ),
        ];
        assert_eq!(
            got.into_iter().filter_map(|s| s.kind).collect::<Vec<_>>(),
            expected
        );
    }

    #[test]
    fn alter_table_constraints() {
        let sql = "ALTER TABLE users
  ADD CONSTRAINT users_age_check CHECK (age >= 0) NOT VALID,
  ADD PRIMARY KEY (id),
  ADD UNIQUE (email),
  ADD CONSTRAINT users_org_fkey FOREIGN KEY (org_id) REFERENCES orgs ON DELETE CASCADE,
  ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =),
  DROP CONSTRAINT IF EXISTS old_check,
  DROP CONSTRAINT other_check,
  ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx";
        let users = table(sql, "users", None, "users");
        let add = |name: Option<&str>, kind| OpKind::CreateConstraint {
            table: users.clone(),
            name: name.map(str::to_string),
            kind,
            if_not_exists: false,
        };
        assert_eq!(
            kinds(sql),
            vec![
                add(
                    Some("users_age_check"),
                    ConstraintKind::Check("age >= 0".into())
                ),
                add(None, ConstraintKind::PrimaryKey(vec!["id".into()])),
                add(None, ConstraintKind::Unique(vec!["email".into()])),
                add(
                    Some("users_org_fkey"),
                    ConstraintKind::ForeignKey {
                        columns: vec!["org_id".into()],
                        references: ForeignKeyDef {
                            table: table(sql, "orgs", None, "orgs"),
                            columns: vec![],
                            with: Vec::new(),
                            name: Some("users_org_fkey".into()),
                            on_delete: Some("cascade".into()),
                            on_update: None,
                            explicit_type: true,
                            explicit_column: true,
                        },
                    }
                ),
                add(
                    Some("no_overlap"),
                    ConstraintKind::Exclude("USING gist (room WITH =)".into())
                ),
                OpKind::DropConstraint {
                    table: users.clone(),
                    name: "old_check".into(),
                    if_exists: true,
                },
                OpKind::DropConstraint {
                    table: users.clone(),
                    name: "other_check".into(),
                    if_exists: false,
                },
                other(
                    "alter table users add constraint users_email_key unique using index users_email_idx",
                    false
                ),
            ]
        );
    }

    #[test]
    fn added_column_with_its_own_constraints() {
        let sql = "ALTER TABLE users ADD COLUMN IF NOT EXISTS slug text UNIQUE CHECK (slug <> '') REFERENCES slugs (value)";
        let users = table(sql, "users", None, "users");
        assert_eq!(
            kinds(sql),
            vec![
                OpKind::AddColumn {
                    table: users.clone(),
                    column: ColumnDef {
                        references: Some(ForeignKeyDef {
                            table: table(sql, "slugs", None, "slugs"),
                            columns: vec!["value".into()],
                            with: Vec::new(),
                            name: None,
                            on_delete: None,
                            on_update: None,
                            explicit_type: true,
                            explicit_column: true,
                        }),
                        ..column(
                            sql,
                            "slug text UNIQUE CHECK (slug <> '') REFERENCES slugs (value)",
                            "slug",
                            "text",
                            "text"
                        )
                    },
                    if_not_exists: true,
                },
                OpKind::CreateConstraint {
                    table: users.clone(),
                    name: None,
                    kind: ConstraintKind::Unique(vec!["slug".into()]),
                    if_not_exists: true,
                },
                OpKind::CreateConstraint {
                    table: users,
                    name: None,
                    kind: ConstraintKind::Check("slug <> ''".into()),
                    if_not_exists: true,
                },
            ]
        );
    }

    #[test]
    fn renames_and_schema_moves() {
        let sql = "ALTER TABLE platform.users RENAME TO accounts;
ALTER TABLE users RENAME COLUMN a TO b;
ALTER TABLE \"Users\" RENAME c TO \"D\";
ALTER TABLE users SET SCHEMA archive;
ALTER TABLE users RENAME CONSTRAINT x TO y;
ALTER VIEW v RENAME TO w;
ALTER MATERIALIZED VIEW IF EXISTS mv SET SCHEMA reporting;
ALTER INDEX IF EXISTS users_email_idx RENAME TO users_email_index;
ALTER INDEX archive.\"Users_pkey\" RENAME TO users_pkey;
ALTER INDEX users_email_index SET TABLESPACE fast";
        let plain = |n: usize| TableName {
            schema: None,
            name: "users".into(),
            span: at(sql, "users", n),
        };
        assert_eq!(
            kinds(sql),
            vec![
                OpKind::RenameTable {
                    from: table(sql, "platform.users", Some("platform"), "users"),
                    to: table(sql, "accounts", Some("platform"), "accounts"),
                },
                OpKind::RenameColumn {
                    table: plain(1),
                    from: "a".into(),
                    to: "b".into(),
                },
                OpKind::RenameColumn {
                    table: table(sql, "\"Users\"", None, "Users"),
                    from: "c".into(),
                    to: "D".into(),
                },
                OpKind::RenameTable {
                    from: plain(2),
                    to: TableName {
                        schema: Some("archive".into()),
                        name: "users".into(),
                        span: at(sql, "archive", 0),
                    },
                },
                OpKind::RenameConstraint {
                    table: plain(3),
                    from: "x".into(),
                    to: "y".into(),
                },
                OpKind::RenameTable {
                    from: table(sql, "v RENAME", None, "v").with_len(1),
                    to: table(sql, "w;", None, "w").with_len(1),
                },
                OpKind::RenameTable {
                    from: table(sql, "mv", None, "mv"),
                    to: table(sql, "reporting", Some("reporting"), "mv"),
                },
                OpKind::RenameIndex {
                    schema: None,
                    from: "users_email_idx".into(),
                    to: "users_email_index".into(),
                    if_exists: true,
                },
                OpKind::RenameIndex {
                    schema: Some("archive".into()),
                    from: "Users_pkey".into(),
                    to: "users_pkey".into(),
                    if_exists: false,
                },
                other("alter index users_email_index set tablespace fast", true),
            ]
        );
        assert_eq!(
            unreadable("ALTER INDEX a RENAME TO").as_deref(),
            Some("ALTER INDEX RENAME TO without a new name")
        );
        assert_eq!(
            unreadable("ALTER TABLE t RENAME CONSTRAINT a TO").as_deref(),
            Some("RENAME CONSTRAINT without a new name")
        );
    }

    #[test]
    fn other_alter_table_actions_are_safe_ddl() {
        let sql = "ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users OWNER TO app;
ALTER TABLE conditions SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id');
ALTER TABLE users ALTER CONSTRAINT users_org_fkey DEFERRABLE;
ALTER TABLE users VALIDATE CONSTRAINT users_age_check";
        assert_eq!(
            kinds(sql),
            vec![
                other("alter table users enable row level security", true),
                other("alter table users owner to app", true),
                other("alter table conditions set", true),
                other(
                    "alter table users alter constraint users_org_fkey deferrable",
                    true
                ),
                other(
                    "alter table users validate constraint users_age_check",
                    true
                ),
            ]
        );
        assert_eq!(
            unreadable("ALTER TABLE users").as_deref(),
            Some("ALTER TABLE without an action")
        );
        assert_eq!(
            unreadable("ALTER TABLE users ADD COLUMN").as_deref(),
            Some("column definition without a name")
        );
        assert_eq!(
            unreadable("ALTER TABLE users ADD x int,").as_deref(),
            Some("ALTER TABLE with an empty action")
        );
    }

    #[test]
    fn create_index_forms() {
        let sql = "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON ONLY platform.users USING btree (lower(email)) INCLUDE (id) WHERE deleted_at IS NULL";
        assert_eq!(
            one(sql),
            OpKind::CreateIndex {
                index: IndexDef {
                    table: table(sql, "platform.users", Some("platform"), "users"),
                    name: "users_email_idx".into(),
                    columns: vec!["lower(email)".into()],
                    unique: true,
                    where_clause: Some("deleted_at IS NULL".into()),
                    concurrently: true,
                    using: Some("btree".into()),
                },
                if_not_exists: true,
            }
        );
    }

    #[test]
    fn create_index_default_names_follow_postgres() {
        let name_and_columns = |sql: &str| match one(sql) {
            OpKind::CreateIndex { index, .. } => (index.name, index.columns),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            name_and_columns(
                "CREATE INDEX ON events (org_id, (payload->>'kind'), lower(name) text_pattern_ops DESC NULLS LAST, (created_at::date), public.f(x))"
            ),
            (
                "events_org_id_expr_lower_created_at_f_idx".to_string(),
                vec![
                    "org_id".to_string(),
                    "(payload->>'kind')".into(),
                    "lower(name)".into(),
                    "(created_at::date)".into(),
                    "public.f(x)".into(),
                ]
            )
        );
        assert_eq!(
            name_and_columns("create unique index on s.\"Tags\" (\"Name\")").0,
            "Tags_Name_idx"
        );
        assert_eq!(
            name_and_columns(
                "CREATE INDEX ON a_very_long_table_name_that_goes_on_and_on_forever (some_really_long_column_name, another_long_column)"
            )
            .0,
            "a_very_long_table_name_that_g_some_really_long_column_name__idx"
        );
        assert_eq!(
            name_and_columns("CREATE INDEX ON t USING gin ((data -> 'tags'))").0,
            "t_expr_idx"
        );
        assert_eq!(
            unreadable("CREATE INDEX idx ON t").as_deref(),
            Some("CREATE INDEX without a column list")
        );
        assert_eq!(
            unreadable("CREATE INDEX idx").as_deref(),
            Some("CREATE INDEX without ON table")
        );
        assert_eq!(
            unreadable("CREATE INDEX i ON t (a + b)").as_deref(),
            Some("unreadable index element (a + b)")
        );
    }

    #[test]
    fn drops_give_one_op_per_name() {
        let sql = "DROP TABLE IF EXISTS a, s.b CASCADE;
DROP VIEW v;
DROP MATERIALIZED VIEW IF EXISTS s.mv;
DROP INDEX CONCURRENTLY IF EXISTS platform.users_email_idx;
DROP INDEX users_name_idx RESTRICT;
DROP FOREIGN TABLE ft";
        assert_eq!(
            kinds(sql),
            vec![
                OpKind::DropTable {
                    table: table(sql, "a,", None, "a").with_len(1),
                    if_exists: true,
                },
                OpKind::DropTable {
                    table: table(sql, "s.b", Some("s"), "b"),
                    if_exists: true,
                },
                OpKind::DropView {
                    table: table(sql, "v;", None, "v").with_len(1),
                    materialized: false,
                    if_exists: false,
                },
                OpKind::DropView {
                    table: table(sql, "s.mv", Some("s"), "mv"),
                    materialized: true,
                    if_exists: true,
                },
                OpKind::DropIndex {
                    table: None,
                    schema: Some("platform".into()),
                    name: "users_email_idx".into(),
                    if_exists: true,
                },
                OpKind::DropIndex {
                    table: None,
                    schema: None,
                    name: "users_name_idx".into(),
                    if_exists: false,
                },
                OpKind::DropTable {
                    table: table(sql, "ft", None, "ft"),
                    if_exists: false,
                },
            ]
        );
        assert_eq!(
            unreadable("DROP TABLE").as_deref(),
            Some("DROP without a readable name")
        );
    }

    trait WithLen {
        fn with_len(self, len: usize) -> Self;
    }

    impl WithLen for TableName {
        fn with_len(mut self, len: usize) -> Self {
            self.span = self.span.start..self.span.start + len;
            self
        }
    }

    #[test]
    fn other_ddl_and_its_idempotency() {
        let sql = r#"CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION "uuid-ossp" WITH SCHEMA public;
CREATE SCHEMA IF NOT EXISTS platform AUTHORIZATION app;
CREATE SCHEMA AUTHORIZATION app;
CREATE OR REPLACE FUNCTION platform.set_updated_at() RETURNS trigger AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE PROCEDURE p() LANGUAGE sql AS $$ CREATE TABLE never_run (a int) $$;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TRIGGER set_updated_at BEFORE UPDATE ON platform.events FOR EACH ROW EXECUTE FUNCTION platform.set_updated_at();
CREATE OR REPLACE TRIGGER audit AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION audit();
CREATE SEQUENCE IF NOT EXISTS order_seq START 1000;
CREATE POLICY tenant_isolation ON events USING (org_id = current_setting('app.org')::uuid);
CREATE DOMAIN email AS citext CHECK (VALUE ~ '@');
DROP TYPE IF EXISTS mood;
DROP FUNCTION platform.set_updated_at();
DROP TRIGGER IF EXISTS set_updated_at ON platform.events;
DROP POLICY tenant_isolation ON events;
DROP EXTENSION IF EXISTS citext CASCADE;
ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh';
ALTER TYPE mood ADD VALUE 'meh' BEFORE 'sad';
ALTER TYPE mood RENAME VALUE 'meh' TO 'fine';
ALTER SEQUENCE order_seq RESTART WITH 1;
ALTER DEFAULT PRIVILEGES IN SCHEMA platform GRANT SELECT ON TABLES TO reader;
ALTER ROLE app SET search_path = platform"#;
        assert_eq!(
            kinds(sql),
            vec![
                other("create extension citext", true),
                other("create extension uuid-ossp", false),
                other("create schema platform", true),
                other("create schema app", false),
                other("create function platform.set_updated_at", true),
                other("create function f", false),
                other("create procedure p", false),
                other("create type mood", false),
                other("create trigger set_updated_at on platform.events", false),
                other("create trigger audit on events", true),
                other("create sequence order_seq", true),
                other("create policy tenant_isolation on events", false),
                other("create domain email", false),
                other("drop type mood", true),
                other("drop function platform.set_updated_at", false),
                other("drop trigger set_updated_at on platform.events", true),
                other("drop policy tenant_isolation on events", false),
                other("drop extension citext", true),
                other("alter type mood add value", true),
                other("alter type mood add value", false),
                other("alter type mood rename value", false),
                other("alter sequence order_seq restart with", true),
            ]
        );
    }

    #[test]
    fn timescale_calls() {
        let sql = r#"SELECT create_hypertable('conditions', 'time');
SELECT create_hypertable('conditions', by_range('time', INTERVAL '1 day'), if_not_exists => true);
SELECT * FROM create_hypertable('platform."Metrics"', 'ts', chunk_time_interval => INTERVAL '1 day', if_not_exists := 'true');
SELECT add_retention_policy('conditions', INTERVAL '30 days', if_not_exists => TRUE);
SELECT add_compression_policy('conditions', INTERVAL '7d');
SELECT add_continuous_aggregate_policy('conditions_daily', start_offset => NULL, end_offset => INTERVAL '1 h', schedule_interval => INTERVAL '1 h', if_not_exists => false);
SELECT remove_retention_policy('conditions', if_exists => true);
SELECT set_chunk_time_interval('conditions', INTERVAL '24 hours')"#;
        assert_eq!(
            kinds(sql),
            vec![
                other("create hypertable conditions", false),
                other("create hypertable conditions", true),
                other("create hypertable platform.Metrics", true),
                other("add retention policy conditions", true),
                other("add compression policy conditions", false),
                other("add continuous aggregate policy conditions_daily", false),
                other("remove retention policy conditions", true),
            ]
        );
    }

    #[test]
    fn type_normalisation() {
        let ty = |written: &str| match one(&format!("ALTER TABLE t ADD c {written}")) {
            OpKind::AddColumn { column, .. } => (column.written_type, column.pg_type),
            other => panic!("{other:?}"),
        };
        for (written, pg) in [
            ("VARCHAR(255)", "varchar(255)"),
            ("character  varying ( 40 )", "character varying(40)"),
            ("timestamp with time zone", "timestamp with time zone"),
            (
                "TIMESTAMP (6) WITH TIME ZONE",
                "timestamp(6) with time zone",
            ),
            ("text []", "text[]"),
            ("int[][]", "int[][]"),
            ("numeric(10, 2)", "numeric(10,2)"),
            ("\"MyEnum\"", "MyEnum"),
            ("public.\"Status\"[]", "public.Status[]"),
            ("geometry(Point, 4326)", "geometry(point,4326)"),
            ("vector(1536)", "vector(1536)"),
            ("double precision", "double precision"),
        ] {
            assert_eq!(ty(written), (written.to_string(), Some(pg.to_string())));
        }
    }
}
