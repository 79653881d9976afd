//! What a resource asks of its table, in migration terms: each column with
//! the type, nullability and default AshPostgres (or Ecto) would write, the
//! unique indexes of its identities and the foreign keys of its belongs_to
//! relationships; and the idempotent statements that make or undo each part.
//! What cannot be told statically is left out and said in a comment.

use super::writer::{atom, Expr, Stmt};
use crate::model::analysis::{Analysis, LinkedResource};
use crate::model::facts::{AttributeFacts, AttributeOrigin, ResourceKind, TypeStorage};
use crate::model::fold::{FoldedColumn, FoldedTable, RepoModel};
use crate::model::types::{array_inner, pg_family, TypeFamily};

/// How far a chain of type modules is followed.
const MAX_TYPE_CHAIN: usize = 8;

/// How the table's schema is written in the migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prefix {
    /// The default schema: no `prefix:`.
    Default,
    /// `prefix: "platform"`, or `prefix: @prefix` when the project's
    /// migrations write it that way.
    Literal { schema: String, attribute: bool },
    /// Tenant migrations: `prefix: prefix()`.
    Tenant,
}

impl Prefix {
    /// The `prefix:` value, when one is written.
    pub fn expr(&self) -> Option<Expr> {
        match self {
            Prefix::Default => None,
            Prefix::Literal {
                attribute: true, ..
            } => Some(Expr::raw("@prefix")),
            Prefix::Literal { schema, .. } => Some(Expr::string(schema)),
            Prefix::Tenant => Some(Expr::call("prefix", vec![])),
        }
    }

    /// The qualifier of a table name in raw SQL (`platform.`, `#{@prefix}.`);
    /// `None` for a schema that would need quoting there.
    pub fn sql(&self) -> Option<String> {
        match self {
            Prefix::Default => Some(String::new()),
            Prefix::Literal { schema, .. } if !plain_identifier(schema) => None,
            Prefix::Literal {
                attribute: true, ..
            } => Some("#{@prefix}.".to_string()),
            Prefix::Literal { schema, .. } => Some(format!("{schema}.")),
            Prefix::Tenant => Some("#{prefix()}.".to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnPlan {
    pub name: String,
    /// The attribute it stores (for notes and resource edits).
    pub attribute: String,
    /// The migration type (`:text`, `{:array, :text}`, `:bigserial`).
    pub ty: Expr,
    /// `null: false` is written.
    pub not_null: bool,
    pub default: Option<Expr>,
    pub primary_key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexPlan {
    pub name: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyPlan {
    /// `<table>_<column>_fkey`, Ecto's default for `references/2`.
    pub name: String,
    pub column: String,
    pub references: String,
    pub prefix: Prefix,
    pub referenced_column: String,
    /// The key type, for `references(…, type:)`.
    pub ty: Expr,
}

/// The table a resource asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePlan {
    pub table: String,
    pub prefix: Prefix,
    pub columns: Vec<ColumnPlan>,
    pub unique_indexes: Vec<IndexPlan>,
    pub foreign_keys: Vec<ForeignKeyPlan>,
    /// What was left out and why (written as comments).
    pub notes: Vec<String>,
}

impl TablePlan {
    pub fn column(&self, name: &str) -> Option<&ColumnPlan> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn foreign_key(&self, column: &str) -> Option<&ForeignKeyPlan> {
        self.foreign_keys.iter().find(|f| f.column == column)
    }

    pub fn table_call(&self, primary_key_false: bool) -> Expr {
        let call = Expr::call("table", vec![Expr::atom(&self.table)]);
        let call = if primary_key_false {
            call.kw("primary_key", Expr::raw("false"))
        } else {
            call
        };
        call.kw_opt("prefix", self.prefix.expr())
    }

    /// The table in raw SQL; `None` when a name would need quoting there
    /// (no SQL is written with names taken apart from the resource).
    pub fn sql_table(&self) -> Option<String> {
        if !plain_identifier(&self.table) {
            return None;
        }
        Some(format!("{}{}", self.prefix.sql()?, self.table))
    }
}

/// Whether `name` can go into raw SQL unquoted.
pub fn plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The table plan of `r` (whose table name is a literal), written with
/// `prefix` for its own schema.
pub fn plan(analysis: &Analysis, r: &LinkedResource, table: &str, prefix: Prefix) -> TablePlan {
    let mut plan = TablePlan {
        table: table.to_string(),
        prefix,
        columns: Vec::new(),
        unique_indexes: Vec::new(),
        foreign_keys: Vec::new(),
        notes: Vec::new(),
    };
    for attr in &r.facts.attributes {
        if plan.column(&attr.column).is_some() {
            continue;
        }
        match column_type(analysis, r, attr) {
            Some(ty) => plan.columns.push(ColumnPlan {
                name: attr.column.clone(),
                attribute: attr.name.clone(),
                ty,
                // Ecto's `timestamps()` columns are NOT NULL.
                not_null: !attr.primary_key
                    && (attr.allow_nil == Some(false)
                        || (r.facts.kind == ResourceKind::Ecto
                            && attr.origin == AttributeOrigin::Timestamp)),
                default: default_of(r.facts.kind, attr),
                primary_key: attr.primary_key,
            }),
            None => plan.notes.push(format!(
                "column {} is left out: the storage type of :{} ({}) is not known statically",
                attr.column, attr.name, attr.written_type
            )),
        }
    }
    identities(r, &mut plan);
    foreign_keys(analysis, r, &mut plan);
    plan
}

fn identities(r: &LinkedResource, plan: &mut TablePlan) {
    for identity in &r.facts.identities {
        if r.facts.skip_unique_indexes.contains(&identity.name) {
            continue;
        }
        let Some(keys) = r.facts.identity_index_keys(identity) else {
            plan.notes.push(format!(
                "no unique index for identity :{}: the multitenancy attribute is not known",
                identity.name
            ));
            continue;
        };
        let columns: Option<Vec<String>> = keys
            .into_iter()
            .map(|k| {
                r.facts
                    .column_of(k)
                    .filter(|c| plan.column(c).is_some())
                    .map(str::to_string)
            })
            .collect();
        match columns {
            Some(columns) if !columns.is_empty() => {
                let name = r
                    .facts
                    .identity_index_names
                    .get(&identity.name)
                    .cloned()
                    .unwrap_or_else(|| format!("{}_{}_index", plan.table, identity.name));
                plan.unique_indexes.push(IndexPlan { name, columns });
            }
            _ => plan.notes.push(format!(
                "no unique index for identity :{}: a key is not a column of this table",
                identity.name
            )),
        }
    }
}

fn foreign_keys(analysis: &Analysis, r: &LinkedResource, plan: &mut TablePlan) {
    for bt in &r.facts.belongs_to {
        if r.facts.ignored_references.contains(&bt.name) || plan.column(&bt.attribute).is_none() {
            continue;
        }
        let Some(dest) = analysis.resource(&bt.destination) else {
            continue;
        };
        // Foreign keys exist only within one repo (and one tenancy).
        let same_database = match (dest.model, r.model) {
            (Some(a), Some(b)) => a == b,
            (None, None) => dest.facts.repo == r.facts.repo && dest.is_tenant() == r.is_tenant(),
            _ => false,
        };
        if !same_database {
            continue;
        }
        let Some((schema, table)) = dest.table.as_deref().and_then(|t| t.split_once('.')) else {
            continue;
        };
        let pk: Vec<&AttributeFacts> = dest
            .facts
            .attributes
            .iter()
            .filter(|a| a.primary_key)
            .collect();
        let ([key], Some(ty)) = (
            pk.as_slice(),
            plan.column(&bt.attribute).map(|c| c.ty.clone()),
        ) else {
            plan.notes.push(format!(
                "no foreign key for belongs_to :{}: the primary key of {} is not one known column",
                bt.name, bt.destination
            ));
            continue;
        };
        let prefix = if r.is_tenant() {
            Prefix::Tenant
        } else {
            match &plan.prefix {
                Prefix::Literal {
                    schema: own,
                    attribute,
                } if own == schema => Prefix::Literal {
                    schema: own.clone(),
                    attribute: *attribute,
                },
                _ if analysis
                    .model_of(dest)
                    .is_some_and(|m| m.default_schema == schema) =>
                {
                    Prefix::Default
                }
                _ if schema == "public" => Prefix::Default,
                _ => Prefix::Literal {
                    schema: schema.to_string(),
                    attribute: false,
                },
            }
        };
        plan.foreign_keys.push(ForeignKeyPlan {
            name: format!("{}_{}_fkey", plan.table, bt.attribute),
            column: bt.attribute.clone(),
            references: table.to_string(),
            prefix,
            referenced_column: key.column.clone(),
            ty,
        });
    }
}

/// The migration type of an attribute's column, as AshPostgres's generator
/// (or, for an Ecto schema, `mix ecto.gen.migration` conventions) writes it.
pub fn column_type(analysis: &Analysis, r: &LinkedResource, attr: &AttributeFacts) -> Option<Expr> {
    if attr.origin == AttributeOrigin::BelongsTo && attr.written_type == "belongs_to" {
        return belongs_to_type(analysis, r, attr);
    }
    if attr.primary_key && attr.origin == AttributeOrigin::PrimaryKey {
        if let Some(t) = serial_key(r.facts.kind, &attr.written_type) {
            return Some(t);
        }
    }
    if attr.primary_key && r.facts.kind == ResourceKind::Ecto {
        if let Some(t) = serial_key(ResourceKind::Ecto, &attr.written_type) {
            return Some(t);
        }
    }
    migration_type(analysis, r.facts.kind, &attr.written_type, 0)
}

/// `integer_primary_key` and Ecto's `:id` key: a bigserial.
fn serial_key(kind: ResourceKind, written: &str) -> Option<Expr> {
    let t = written.trim().trim_start_matches(':');
    match (kind, t) {
        (ResourceKind::Ash, "integer" | "Ash.Type.Integer") | (ResourceKind::Ecto, "id") => {
            Some(Expr::atom("bigserial"))
        }
        _ => None,
    }
}

/// A belongs_to key without `attribute_type`: the destination's key type
/// (a serial key is referenced by its integer).
fn belongs_to_type(analysis: &Analysis, r: &LinkedResource, attr: &AttributeFacts) -> Option<Expr> {
    let bt = r
        .facts
        .belongs_to
        .iter()
        .find(|b| b.attribute == attr.name || b.attribute == attr.column)?;
    if let Some(t) = &bt.attribute_type {
        return migration_type(analysis, r.facts.kind, t, 0);
    }
    let dest = analysis.resource(&bt.destination)?;
    let pk: Vec<&AttributeFacts> = dest
        .facts
        .attributes
        .iter()
        .filter(|a| a.primary_key)
        .collect();
    let [key] = pk.as_slice() else {
        return None;
    };
    if serial_key(dest.facts.kind, &key.written_type).is_some() {
        return Some(Expr::atom("bigint"));
    }
    migration_type(analysis, dest.facts.kind, &key.written_type, 0)
}

/// The migration type of a written Ash or Ecto type, following the
/// project's type modules; `None` when its storage is not known.
pub fn migration_type(
    analysis: &Analysis,
    kind: ResourceKind,
    written: &str,
    depth: usize,
) -> Option<Expr> {
    if depth > MAX_TYPE_CHAIN {
        return None;
    }
    let t = written.trim();
    if let Some(inner) = array_inner(t) {
        let inner = migration_type(analysis, kind, inner, depth + 1)?;
        return Some(Expr::Tuple(vec![Expr::atom("array"), inner]));
    }
    let known = match kind {
        ResourceKind::Ash => ash_type(t),
        ResourceKind::Ecto => ecto_type(t),
    };
    if let Some(name) = known {
        return Some(Expr::atom(name));
    }
    match analysis.type_storage.get(t)? {
        TypeStorage::Ash(w) => migration_type(analysis, ResourceKind::Ash, w, depth + 1),
        TypeStorage::Ecto(w) => migration_type(analysis, ResourceKind::Ecto, w, depth + 1),
    }
}

/// AshPostgres's migration type of a built-in Ash type.
fn ash_type(written: &str) -> Option<&'static str> {
    let name = written.trim_start_matches(':');
    let name = name.strip_prefix("Ash.Type.").unwrap_or(name);
    Some(match name {
        "string" | "String" | "atom" | "Atom" | "module" | "Module" | "duration_name"
        | "DurationName" => "text",
        "ci_string" | "CiString" => "citext",
        "integer" | "Integer" => "bigint",
        "float" | "Float" => "float",
        "decimal" | "Decimal" => "decimal",
        "boolean" | "Boolean" => "boolean",
        "uuid" | "UUID" | "uuid_v7" | "UUIDv7" => "uuid",
        "map" | "Map" | "keyword" | "Keyword" | "struct" | "Struct" | "union" | "Union"
        | "tuple" | "Tuple" => "map",
        "utc_datetime" | "UtcDatetime" => "utc_datetime",
        "utc_datetime_usec" | "UtcDatetimeUsec" | "datetime" | "DateTime" => "utc_datetime_usec",
        "naive_datetime" | "NaiveDatetime" => "naive_datetime",
        "naive_datetime_usec" => "naive_datetime_usec",
        "date" | "Date" => "date",
        "time" | "Time" => "time",
        "time_usec" | "TimeUsec" => "time_usec",
        "binary" | "Binary" | "term" | "Term" | "url_encoded_binary" | "UrlEncodedBinary" => {
            "binary"
        }
        "duration" | "Duration" => "interval",
        "timestamptz" | "AshPostgres.Timestamptz" => "timestamptz",
        "ltree" | "AshPostgres.Ltree" => "ltree",
        "tsvector" | "AshPostgres.Tsvector" => "tsvector",
        "money" | "AshMoney.Types.Money" => "money_with_currency",
        _ => return None,
    })
}

/// The migration type of an Ecto field type.
fn ecto_type(written: &str) -> Option<&'static str> {
    if written.starts_with("{:map") {
        return Some("map");
    }
    Some(match written.trim_start_matches(':') {
        "string" => "string",
        "integer" => "integer",
        "id" => "bigint",
        "binary_id" | "Ecto.UUID" => "uuid",
        "float" => "float",
        "decimal" => "decimal",
        "boolean" => "boolean",
        "map" => "map",
        "binary" => "binary",
        "date" => "date",
        "time" => "time",
        "time_usec" => "time_usec",
        "naive_datetime" => "naive_datetime",
        "naive_datetime_usec" => "naive_datetime_usec",
        "utc_datetime" => "utc_datetime",
        "utc_datetime_usec" => "utc_datetime_usec",
        "duration" => "interval",
        _ => return None,
    })
}

/// SQL defaults of `uuid_primary_key`, `uuid_v7_primary_key` and the timestamps.
const SQL_DEFAULTS: &[&str] = &[
    "gen_random_uuid()",
    "uuid_generate_v7()",
    "(now() AT TIME ZONE 'utc')",
];

/// The column default AshPostgres writes for an attribute; `None` for
/// defaults computed by the application (functions, module calls).
fn default_of(kind: ResourceKind, attr: &AttributeFacts) -> Option<Expr> {
    if kind == ResourceKind::Ecto {
        return None;
    }
    let written = attr.default.as_deref()?.trim();
    // The database defaults the extractor gives key and timestamp
    // shorthands (also when a base module declares them).
    if SQL_DEFAULTS.contains(&written)
        && matches!(
            attr.origin,
            AttributeOrigin::PrimaryKey | AttributeOrigin::Timestamp | AttributeOrigin::Base
        )
    {
        return Some(Expr::call("fragment", vec![Expr::string(written)]));
    }
    literal_default(written)
}

fn literal_default(written: &str) -> Option<Expr> {
    if written == "nil" {
        return None;
    }
    if matches!(written, "true" | "false" | "%{}" | "[]")
        || written.parse::<i64>().is_ok()
        || (written.parse::<f64>().is_ok()
            && written.contains('.')
            && !written.contains(['e', 'E']))
    {
        return Some(Expr::raw(written));
    }
    if let Some(name) = written.strip_prefix(':') {
        // Atoms are stored as their name.
        return atom(name)
            .strip_prefix(':')
            .filter(|a| !a.starts_with('"'))
            .map(|_| Expr::string(name));
    }
    let inner = written.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['"', '\\', '#'])).then(|| Expr::raw(written))
}

/// `add(:name, type, null: false, default: …, primary_key: true)` (or
/// another verb: `add_if_not_exists`).
pub fn add_column(verb: &str, c: &ColumnPlan, reference: Option<Expr>) -> Stmt {
    let ty = reference.unwrap_or_else(|| c.ty.clone());
    let mut call = Expr::call(verb, vec![Expr::atom(&c.name), ty]);
    if c.not_null || c.primary_key {
        call = call.kw("null", Expr::raw("false"));
    }
    call = call.kw_opt("default", c.default.clone());
    if c.primary_key {
        call = call.kw("primary_key", Expr::raw("true"));
    }
    Stmt::Call(call)
}

/// `references(:users, type: :uuid, prefix: …)` for a foreign key.
pub fn references(fk: &ForeignKeyPlan) -> Expr {
    let mut call = Expr::call("references", vec![Expr::atom(&fk.references)]);
    call = call.kw("column", Expr::atom(&fk.referenced_column));
    call = call.kw("type", fk.ty.clone());
    call.kw_opt("prefix", fk.prefix.expr())
}

/// A `DO $$` block that adds the foreign key unless a constraint of that
/// name exists on the table.
pub fn guarded_foreign_key(plan: &TablePlan, fk: &ForeignKeyPlan) -> Option<Stmt> {
    let names = [
        &plan.table,
        &fk.name,
        &fk.column,
        &fk.references,
        &fk.referenced_column,
    ];
    if !names.iter().all(|n| plain_identifier(n)) {
        return None;
    }
    let table = plan.sql_table()?;
    let prefix = fk.prefix.sql()?;
    let sql = format!(
        "DO $$\nBEGIN\n  IF NOT EXISTS (\n    SELECT 1 FROM pg_constraint\n    WHERE conname = '{name}'\n      AND conrelid = '{table}'::regclass\n  ) THEN\n    ALTER TABLE {table}\n      ADD CONSTRAINT {name}\n      FOREIGN KEY ({column}) REFERENCES {prefix}{references} ({referenced});\n  END IF;\nEND\n$$;\n",
        name = fk.name,
        column = fk.column,
        references = fk.references,
        referenced = fk.referenced_column,
    );
    Some(Stmt::Heredoc {
        call: "execute".into(),
        sql,
    })
}

/// `execute("ALTER TABLE t DROP CONSTRAINT IF EXISTS name")`.
pub fn drop_constraint(plan: &TablePlan, name: &str) -> Option<Stmt> {
    if !plain_identifier(name) {
        return None;
    }
    Some(Stmt::Call(Expr::call(
        "execute",
        vec![Expr::string_with_interpolation(&format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {name}",
            plan.sql_table()?
        ))],
    )))
}

/// `create_if_not_exists(unique_index(:t, [:a], name: "…", prefix: …))`.
pub fn create_unique_index(plan: &TablePlan, index: &IndexPlan) -> Stmt {
    Stmt::Call(Expr::call(
        "create_if_not_exists",
        vec![index_call(plan, index, "unique_index")],
    ))
}

/// `drop_if_exists(index(:t, [:a], name: "…", prefix: …))`.
pub fn drop_index(plan: &TablePlan, index: &IndexPlan) -> Stmt {
    Stmt::Call(Expr::call(
        "drop_if_exists",
        vec![index_call(plan, index, "index")],
    ))
}

fn index_call(plan: &TablePlan, index: &IndexPlan, function: &str) -> Expr {
    Expr::call(
        function,
        vec![
            Expr::atom(&plan.table),
            Expr::List(index.columns.iter().map(|c| Expr::atom(c)).collect()),
        ],
    )
    .kw("name", Expr::string(&index.name))
    .kw_opt("prefix", plan.prefix.expr())
}

/// The Ecto migration type of a column as the model has it (for `from:`),
/// when it can be written back.
pub fn type_of_column(column: &FoldedColumn) -> Option<Expr> {
    let pg = column.pg_type.as_deref()?.trim().to_ascii_lowercase();
    if let Some(inner) = pg.strip_suffix("[]") {
        let inner = FoldedColumn {
            pg_type: Some(inner.to_string()),
            ..column.clone()
        };
        return Some(Expr::Tuple(vec![
            Expr::atom("array"),
            type_of_column(&inner)?,
        ]));
    }
    let name = match pg.as_str() {
        "varchar(255)" | "character varying(255)" => "string",
        "text" => "text",
        "citext" => "citext",
        "bigint" | "int8" => "bigint",
        "integer" | "int" | "int4" => "integer",
        "smallint" | "int2" => "smallint",
        "bigserial" => "bigserial",
        "serial" => "serial",
        "uuid" => "uuid",
        "boolean" | "bool" => "boolean",
        "float8" | "double precision" => "float",
        "numeric" => "decimal",
        "jsonb" => "map",
        "json" => "json",
        "timestamp(0)" => "naive_datetime",
        "timestamp" => "naive_datetime_usec",
        "timestamptz" => "timestamptz",
        "date" => "date",
        "time(0)" => "time",
        "time" => "time_usec",
        "bytea" => "binary",
        "interval" => "interval",
        _ => return None,
    };
    Some(Expr::atom(name))
}

/// Whether the model's column already has the shape the plan asks for, as
/// far as `--alter-columns` would change it.
pub fn column_matches(
    analysis: &Analysis,
    r: &LinkedResource,
    attr: &AttributeFacts,
    column: &FoldedColumn,
) -> (bool, bool) {
    use crate::model::types::{compatible, pg_family};
    let type_ok = match (
        analysis.attribute_family(r.facts.kind, &attr.written_type),
        column.pg_type.as_deref().map(pg_family),
    ) {
        (Some(want), Some(have)) => compatible(&want, &have),
        _ => true,
    };
    let null_ok = r.facts.kind == ResourceKind::Ecto
        || attr.primary_key
        || column.primary_key
        || !column.null_known
        || match attr.allow_nil {
            Some(false) => !column.null,
            Some(true) => column.null || column.default.is_some() || attr.default.is_some(),
            None => true,
        };
    (type_ok, null_ok)
}

/// What already does an identity index's work under another name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Covering {
    PrimaryKey,
    /// A unique index over the same columns, as it is declared.
    Index(IndexPlan),
}

/// The unique index (or primary key) over the index's columns under
/// another name, when the table has one.
pub fn covering_index(table: &FoldedTable, index: &IndexPlan) -> Option<Covering> {
    let mut wanted: Vec<&str> = index.columns.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    let same = |columns: Vec<&str>| {
        let mut columns = columns;
        columns.sort_unstable();
        columns == wanted
    };
    let key: Vec<&str> = table
        .primary_key()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    if same(key) {
        return Some(Covering::PrimaryKey);
    }
    table
        .indexes
        .iter()
        .filter(|i| i.unique && i.name != index.name && i.where_clause.is_none())
        .find(|i| same(i.columns.iter().map(String::as_str).collect()))
        .map(|i| {
            Covering::Index(IndexPlan {
                name: i.name.clone(),
                columns: i.columns.clone(),
            })
        })
}

/// The table of a resource in its model, when the model has made it.
pub fn existing_table<'a>(
    model: Option<&'a RepoModel>,
    r: &LinkedResource,
) -> Option<&'a FoldedTable> {
    let model = model?;
    model
        .table(r.table.as_deref()?)
        .filter(|t| t.created.is_some() || !t.columns.is_empty())
}

/// Whether `ALTER COLUMN … TYPE` converts values of family `from` to `to`
/// by itself (Postgres has an assignment cast); otherwise it needs `USING`.
pub fn casts_by_itself(from: &TypeFamily, to: &TypeFamily) -> bool {
    use TypeFamily::{CiText, Float, Integer, Numeric, Text};
    from == to
        || matches!(to, Text | CiText)
        || (matches!(from, Integer | Float | Numeric) && matches!(to, Integer | Float | Numeric))
}

/// The Postgres type Ecto makes for a migration type (for raw SQL).
pub fn sql_type(ty: &Expr) -> Option<String> {
    match ty {
        Expr::Tuple(items) => match items.as_slice() {
            [Expr::Raw(array), inner] if array == ":array" => {
                Some(format!("{}[]", sql_type(inner)?))
            }
            _ => None,
        },
        Expr::Raw(atom) => {
            let name = atom.strip_prefix(':')?;
            Some(
                match name {
                    "string" => "varchar(255)",
                    "float" => "float8",
                    "decimal" => "numeric",
                    "map" => "jsonb",
                    "binary" => "bytea",
                    "bigserial" => "bigint",
                    "serial" => "integer",
                    "utc_datetime" | "naive_datetime" => "timestamp(0)",
                    "utc_datetime_usec" | "naive_datetime_usec" => "timestamp",
                    "time" => "time(0)",
                    "time_usec" => "time",
                    "text"
                    | "citext"
                    | "bigint"
                    | "integer"
                    | "smallint"
                    | "uuid"
                    | "boolean"
                    | "date"
                    | "interval"
                    | "timestamptz"
                    | "ltree"
                    | "tsvector"
                    | "money_with_currency" => name,
                    _ => return None,
                }
                .to_string(),
            )
        }
        _ => None,
    }
}

/// Change a column's type: `modify(:c, to, from: from)` when Postgres
/// converts the values by itself, else `ALTER COLUMN … TYPE … USING c::to`.
pub fn change_type(
    plan: &TablePlan,
    column: &str,
    from: (&Expr, &str),
    to: (&Expr, &str),
) -> Option<TypeChange> {
    if casts_by_itself(&pg_family(from.1), &pg_family(to.1)) {
        return Some(TypeChange::Modify(Stmt::Call(
            Expr::call("modify", vec![Expr::atom(column), to.0.clone()]).kw("from", from.0.clone()),
        )));
    }
    let plain_type =
        to.1.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '(' | ')' | '[' | ']' | ','));
    if !plain_identifier(column) || !plain_type {
        return None;
    }
    let table = plan.sql_table()?;
    Some(TypeChange::Using(Stmt::Call(Expr::call(
        "execute",
        vec![Expr::string_with_interpolation(&format!(
            "ALTER TABLE {table} ALTER COLUMN {column} TYPE {ty} USING {column}::{ty}",
            ty = to.1
        ))],
    ))))
}

/// How a column's type is changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeChange {
    /// A `modify` for inside `alter table`.
    Modify(Stmt),
    /// An `execute` for outside it.
    Using(Stmt),
}
