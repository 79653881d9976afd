//! Type families: Postgres column types (as Ecto renders them or as raw SQL
//! writes them), Ash attribute types and Ecto field types, reduced to the
//! family a value is stored as, so drift checks compare like with like and
//! never flag `varchar(255)` against `text` for a string.

/// What kind of value a column stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeFamily {
    Text,
    /// `citext`: text compared case-insensitively.
    CiText,
    Integer,
    Float,
    Numeric,
    Boolean,
    Uuid,
    Json,
    Timestamp,
    Date,
    Time,
    Binary,
    Interval,
    Array(Box<TypeFamily>),
    /// Any other Postgres type, by its canonical name (`inet`, `vector`, `tsvector`).
    Other(String),
}

impl TypeFamily {
    /// Short name for messages.
    pub fn describe(&self) -> String {
        match self {
            TypeFamily::Text => "text".into(),
            TypeFamily::CiText => "citext".into(),
            TypeFamily::Integer => "integer".into(),
            TypeFamily::Float => "float".into(),
            TypeFamily::Numeric => "numeric".into(),
            TypeFamily::Boolean => "boolean".into(),
            TypeFamily::Uuid => "uuid".into(),
            TypeFamily::Json => "json".into(),
            TypeFamily::Timestamp => "timestamp".into(),
            TypeFamily::Date => "date".into(),
            TypeFamily::Time => "time".into(),
            TypeFamily::Binary => "binary".into(),
            TypeFamily::Interval => "interval".into(),
            TypeFamily::Array(inner) => format!("{}[]", inner.describe()),
            TypeFamily::Other(name) => name.clone(),
        }
    }
}

/// Lowercase, collapse white space, drop spaces before `(` and inside `( … )`.
pub fn normalize_pg_type(pg: &str) -> String {
    let lower = pg.trim().to_ascii_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut last_space = false;
    for ch in lower.chars() {
        if ch.is_whitespace() {
            last_space = true;
            continue;
        }
        if last_space
            && !out.is_empty()
            && !matches!(ch, '(' | ')' | ',' | '[')
            && !out.ends_with(['(', ','])
        {
            out.push(' ');
        }
        last_space = false;
        out.push(ch);
    }
    out
}

/// The family of a Postgres type name (`varchar(255)`, `timestamp(0)`,
/// `character varying`, `int8`, `text[]`, `double precision`).
pub fn pg_family(pg: &str) -> TypeFamily {
    let t = normalize_pg_type(pg);
    let t = t.trim_matches('"');
    if let Some(inner) = t.strip_suffix("[]") {
        return TypeFamily::Array(Box::new(pg_family(inner)));
    }
    let base = t.split('(').next().unwrap_or(t).trim();
    // `timestamp(0) with time zone`: the words after the parentheses.
    let rest = t.split(')').nth(1).unwrap_or("").trim();
    let base_full = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base} {rest}")
    };
    let base = base_full.as_str();
    match base {
        "text" | "varchar" | "character varying" | "char" | "character" | "bpchar" | "string"
        | "name" => TypeFamily::Text,
        "citext" => TypeFamily::CiText,
        "integer" | "int" | "int2" | "int4" | "int8" | "smallint" | "bigint" | "serial"
        | "bigserial" | "smallserial" | "serial4" | "serial8" | "id" => TypeFamily::Integer,
        "float" | "float4" | "float8" | "real" | "double precision" | "double" => TypeFamily::Float,
        "numeric" | "decimal" | "money" => TypeFamily::Numeric,
        "boolean" | "bool" => TypeFamily::Boolean,
        "uuid" => TypeFamily::Uuid,
        "jsonb" | "json" => TypeFamily::Json,
        b if b.starts_with("timestamp") => TypeFamily::Timestamp,
        "timestamptz"
        | "utc_datetime"
        | "utc_datetime_usec"
        | "naive_datetime"
        | "naive_datetime_usec" => TypeFamily::Timestamp,
        "date" => TypeFamily::Date,
        b if b.starts_with("time") => TypeFamily::Time,
        "timetz" => TypeFamily::Time,
        "bytea" | "binary" => TypeFamily::Binary,
        "interval" => TypeFamily::Interval,
        other => TypeFamily::Other(other.to_string()),
    }
}

/// The family an Ash attribute type is stored as (AshPostgres's storage
/// types), or `None` when it is a custom type whose storage we cannot know
/// without compiling it.
pub fn ash_family(written: &str) -> Option<TypeFamily> {
    let t = written.trim();
    if let Some(inner) = array_inner(t) {
        // Arrays of unknown (custom) types are unknown too.
        return ash_family(inner.trim()).map(|f| TypeFamily::Array(Box::new(f)));
    }
    let name = t.trim_start_matches(':');
    let name = name.strip_prefix("Ash.Type.").unwrap_or(name);
    let family = match name {
        "string" | "String" | "atom" | "Atom" | "duration_name" | "DurationName" => {
            TypeFamily::Text
        }
        "ci_string" | "CiString" => TypeFamily::CiText,
        "integer" | "Integer" => TypeFamily::Integer,
        "float" | "Float" => TypeFamily::Float,
        "decimal" | "Decimal" => TypeFamily::Numeric,
        "boolean" | "Boolean" => TypeFamily::Boolean,
        "uuid" | "UUID" | "uuid_v7" | "UUIDv7" => TypeFamily::Uuid,
        "map" | "Map" | "keyword" | "Keyword" | "struct" | "Struct" | "union" | "Union"
        | "tuple" | "Tuple" => TypeFamily::Json,
        "utc_datetime"
        | "UtcDatetime"
        | "utc_datetime_usec"
        | "UtcDatetimeUsec"
        | "datetime"
        | "DateTime"
        | "naive_datetime"
        | "NaiveDatetime"
        | "naive_datetime_usec" => TypeFamily::Timestamp,
        "date" | "Date" => TypeFamily::Date,
        "time" | "Time" | "time_usec" | "TimeUsec" => TypeFamily::Time,
        "binary" | "Binary" | "term" | "Term" | "url_encoded_binary" | "UrlEncodedBinary" => {
            TypeFamily::Binary
        }
        "duration" | "Duration" => TypeFamily::Interval,
        "integer_primary_key" => TypeFamily::Integer,
        "module" | "Module" => TypeFamily::Text,
        // AshPostgres's own types, stored as the Postgres type they name.
        "timestamptz"
        | "timestamptz_usec"
        | "AshPostgres.Timestamptz"
        | "AshPostgres.TimestamptzUsec" => TypeFamily::Timestamp,
        "ltree" | "AshPostgres.Ltree" => TypeFamily::Other("ltree".into()),
        "tsvector" | "AshPostgres.Tsvector" => TypeFamily::Other("tsvector".into()),
        "vector" | "Vector" => TypeFamily::Other("vector".into()),
        // AshMoney's composite type (from ex_money_sql).
        "money" | "AshMoney.Types.Money" => TypeFamily::Other("money_with_currency".into()),
        _ => return None,
    };
    Some(family)
}

/// The family an Ecto schema field type is stored as, or `None` for custom
/// types (`Ecto.Enum` is stored as text unless it says otherwise; we do not
/// guess).
pub fn ecto_family(written: &str) -> Option<TypeFamily> {
    let t = written.trim();
    if let Some(inner) = array_inner(t) {
        return ecto_family(inner).map(|f| TypeFamily::Array(Box::new(f)));
    }
    if t.starts_with("{:map") {
        return Some(TypeFamily::Json);
    }
    let family = match t.trim_start_matches(':') {
        "string" => TypeFamily::Text,
        "id" | "integer" => TypeFamily::Integer,
        "binary_id" | "Ecto.UUID" => TypeFamily::Uuid,
        "float" => TypeFamily::Float,
        "decimal" => TypeFamily::Numeric,
        "boolean" => TypeFamily::Boolean,
        "map" => TypeFamily::Json,
        "binary" => TypeFamily::Binary,
        "date" => TypeFamily::Date,
        "time" | "time_usec" => TypeFamily::Time,
        "naive_datetime" | "naive_datetime_usec" | "utc_datetime" | "utc_datetime_usec" => {
            TypeFamily::Timestamp
        }
        "duration" => TypeFamily::Interval,
        _ => return None,
    };
    Some(family)
}

/// `{:array, :string}` → `:string`.
pub fn array_inner(t: &str) -> Option<&str> {
    let inner = t.strip_prefix('{')?.strip_suffix('}')?.trim();
    let rest = inner
        .strip_prefix(":array")?
        .trim_start()
        .strip_prefix(',')?;
    Some(rest.trim())
}

/// Whether a column of family `column` can hold an attribute of family
/// `attribute` without the type being wrong. `citext` holds text and the
/// other way round only counts as a mismatch when the attribute is
/// case-insensitive and the column is not.
pub fn compatible(attribute: &TypeFamily, column: &TypeFamily) -> bool {
    match (attribute, column) {
        (TypeFamily::Text, TypeFamily::CiText) => true,
        (TypeFamily::Array(a), TypeFamily::Array(c)) => compatible(a, c),
        // Embedded resources and maps stored in json[] / jsonb[] columns.
        (TypeFamily::Array(a), TypeFamily::Json) => **a == TypeFamily::Json,
        (a, c) => a == c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(pg_family("varchar(255)"), TypeFamily::Text);
        assert_eq!(pg_family("character varying"), TypeFamily::Text);
        assert_eq!(
            pg_family("timestamp(0) with time zone"),
            TypeFamily::Timestamp
        );
        assert_eq!(pg_family("TIMESTAMPTZ"), TypeFamily::Timestamp);
        assert_eq!(pg_family("double precision"), TypeFamily::Float);
        assert_eq!(
            pg_family("text[]"),
            TypeFamily::Array(Box::new(TypeFamily::Text))
        );
        assert_eq!(pg_family("numeric(10, 2)"), TypeFamily::Numeric);
        assert_eq!(pg_family("time(0)"), TypeFamily::Time);
        assert_eq!(pg_family("vector(3)"), TypeFamily::Other("vector".into()));
        assert_eq!(ash_family(":string"), Some(TypeFamily::Text));
        assert_eq!(ash_family("Ash.Type.UUID"), Some(TypeFamily::Uuid));
        assert_eq!(
            ash_family("{:array, :string}"),
            Some(TypeFamily::Array(Box::new(TypeFamily::Text)))
        );
        assert_eq!(ash_family("MyApp.Types.Status"), None);
        assert_eq!(ash_family(":timestamptz"), Some(TypeFamily::Timestamp));
        assert_eq!(
            ash_family("AshPostgres.Ltree"),
            Some(TypeFamily::Other("ltree".into()))
        );
        assert_eq!(ash_family(":money"), Some(pg_family("money_with_currency")));
        assert_eq!(ash_family(":vector"), Some(pg_family("vector(1536)")));
        assert_eq!(ecto_family(":binary_id"), Some(TypeFamily::Uuid));
        assert_eq!(ecto_family("{:map, :string}"), Some(TypeFamily::Json));
    }

    #[test]
    fn compatibility() {
        assert!(compatible(&TypeFamily::Text, &pg_family("varchar(255)")));
        assert!(compatible(&TypeFamily::Text, &pg_family("citext")));
        assert!(!compatible(&TypeFamily::CiText, &pg_family("text")));
        assert!(!compatible(&TypeFamily::Integer, &pg_family("uuid")));
        assert_eq!(normalize_pg_type("  NUMERIC ( 10 , 2 )"), "numeric(10,2)");
    }
}
