//! Ecto schemas: `schema "t" do … end` with `field`, `belongs_to`,
//! `embeds_one`/`embeds_many` and `timestamps`, shaped by the module
//! attributes Ecto reads when `schema` runs (`@primary_key`,
//! `@foreign_key_type`, `@schema_prefix`, `@timestamps_opts`).

use super::{
    belongs_to_with_key, collapse, empty_resource, first_line, option, Dsl, Reader, Setting,
};
use crate::model::facts::{
    AttributeFacts, AttributeOrigin, BaseUse, BelongsToFacts, ResourceFacts, ResourceKind, Span,
    Valued,
};
use crate::syntax::elixir::{
    atom_name, body_statements, call_name, keyword_args, keyword_pairs, positional_args, text,
    ModuleNode, Value,
};
use tree_sitter::Node;

/// The key a base user's options record `@primary_key false` under, so a
/// base's primary key is not applied to a schema that turned it off.
pub const PRIMARY_KEY_OFF: &str = "@primary_key";

/// Ecto's primary key when `@primary_key` is not set: `{:id, :id, autogenerate: true}`.
const DEFAULT_PRIMARY_KEY_TYPE: &str = ":id";

/// What the module attributes before `schema` say.
#[derive(Default)]
struct ModuleSettings {
    primary_key: PrimaryKey,
    foreign_key_type: Option<String>,
    schema_prefix: Option<Valued<String>>,
    timestamps: Vec<(String, Value)>,
    /// `@timestamps_opts` was written but is not a literal keyword list.
    timestamps_unknown: bool,
}

#[derive(Default)]
enum PrimaryKey {
    /// Not set: Ecto's default `id` key.
    #[default]
    Default,
    /// `@primary_key false`.
    Off,
    Declared(AttributeFacts),
    /// Written but not a literal (already recorded as unresolved).
    Unknown,
}

/// A module's `schema "t" do … end`. `base` is the base module it uses
/// instead of `Ecto.Schema` itself (which then sets the primary key and
/// foreign key type, applied in `model::bases`).
pub(super) fn read_schema(
    reader: &mut Reader,
    module: &ModuleNode,
    schema_call: Node,
    base: Option<BaseUse>,
) -> ResourceFacts {
    let mut r = empty_resource(module, ResourceKind::Ecto);
    r.base = base;
    r.postgres = true;
    r.postgres_span = Some(schema_call.byte_range());
    let before: Vec<Node> = module
        .body
        .iter()
        .copied()
        .take_while(|s| s.id() != schema_call.id())
        .collect();
    let settings = module_settings(reader, &before);
    let direct = r.base.is_none();
    match &settings.primary_key {
        PrimaryKey::Declared(a) => r.attributes.push(a.clone()),
        PrimaryKey::Default if direct => r
            .attributes
            .push(default_primary_key(first_line(schema_call, reader.src))),
        PrimaryKey::Off => {
            if let Some(base) = r.base.as_mut() {
                base.options.insert(PRIMARY_KEY_OFF.into(), "false".into());
            }
        }
        PrimaryKey::Default | PrimaryKey::Unknown => {}
    }
    r.schema = settings.schema_prefix.clone();
    read_schema_block(reader, schema_call, &settings, direct, &mut r);
    r
}

/// The Ecto part of a base module's quote: its module attributes and, when
/// the quote writes one, its `schema` block. Returns the resource and the
/// `@foreign_key_type` the quote sets.
pub(super) fn read_template(
    reader: &mut Reader,
    module: &ModuleNode,
    quote_statements: &[Node],
    use_span: Span,
    base: Option<BaseUse>,
) -> (ResourceFacts, Option<String>) {
    let src = reader.src;
    let mut r = empty_resource(module, ResourceKind::Ecto);
    r.base = base;
    let schema_call = quote_statements
        .iter()
        .copied()
        .find(|s| call_name(*s, src) == Some("schema"));
    let before: Vec<Node> = quote_statements
        .iter()
        .copied()
        .take_while(|s| Some(s.id()) != schema_call.map(|c| c.id()))
        .collect();
    let settings = module_settings(reader, &before);
    match &settings.primary_key {
        PrimaryKey::Declared(a) => r.attributes.push(a.clone()),
        PrimaryKey::Default if r.base.is_none() => r.attributes.push(default_primary_key(use_span)),
        _ => {}
    }
    if settings
        .timestamps
        .iter()
        .any(|(k, _)| k.starts_with("inserted_at") || k.starts_with("updated_at"))
    {
        if let Some(stmt) = before
            .iter()
            .find(|s| text(**s, src).starts_with("@timestamps_opts"))
        {
            reader.unresolved(
                stmt.byte_range(),
                "timestamp column names set by `@timestamps_opts` in a base module are not applied to the schemas using it".into(),
            );
        }
    }
    r.schema = settings.schema_prefix.clone();
    if let Some(call) = schema_call {
        r.postgres = true;
        r.postgres_span = Some(call.byte_range());
        read_schema_block(reader, call, &settings, r.base.is_none(), &mut r);
    }
    let foreign_key_type = settings.foreign_key_type.clone();
    (r, foreign_key_type)
}

fn default_primary_key(span: Span) -> AttributeFacts {
    AttributeFacts {
        name: "id".into(),
        span: span.clone(),
        name_span: span,
        written_type: DEFAULT_PRIMARY_KEY_TYPE.into(),
        column: "id".into(),
        allow_nil: None,
        primary_key: true,
        default: None,
        origin: AttributeOrigin::PrimaryKey,
    }
}

/// `@name value` statements among `statements`, later ones winning.
fn module_settings(reader: &mut Reader, statements: &[Node]) -> ModuleSettings {
    let src = reader.src;
    let mut settings = ModuleSettings::default();
    for stmt in statements {
        let Some((name, value)) = attribute_statement(*stmt, src) else {
            continue;
        };
        match name {
            "primary_key" => settings.primary_key = primary_key(reader, *stmt, value),
            "foreign_key_type" => {
                settings.foreign_key_type =
                    Some(reader.type_or_unknown(value, "`@foreign_key_type`"));
            }
            "schema_prefix" => settings.schema_prefix = reader.setting(value, Setting::Schema),
            "timestamps_opts" => match reader.value(value) {
                Dsl::Known(Value::Keyword(pairs)) => settings.timestamps = pairs,
                Dsl::Known(Value::List(items)) if items.is_empty() => settings.timestamps.clear(),
                _ => {
                    settings.timestamps_unknown = true;
                    reader.unresolved(
                        stmt.byte_range(),
                        "`@timestamps_opts` is not a literal keyword list; timestamp columns are not checked".into(),
                    );
                }
            },
            _ => {}
        }
    }
    settings
}

/// `@name value` → (name, value node).
fn attribute_statement<'t>(stmt: Node<'t>, src: &'t str) -> Option<(&'t str, Node<'t>)> {
    if stmt.kind() != "unary_operator" || !text(stmt, src).starts_with('@') {
        return None;
    }
    let operand = stmt.child_by_field_name("operand")?;
    let name = call_name(operand, src)?;
    let value = positional_args(operand).first().copied()?;
    Some((name, value))
}

/// `@primary_key {:id, :binary_id, autogenerate: true}` / `@primary_key false`.
fn primary_key(reader: &mut Reader, stmt: Node, value: Node) -> PrimaryKey {
    let src = reader.src;
    if let Dsl::Known(Value::Bool(false)) = reader.value(value) {
        return PrimaryKey::Off;
    }
    if value.kind() == "tuple" {
        let mut cursor = value.walk();
        let items: Vec<Node> = value
            .named_children(&mut cursor)
            .filter(|c| c.kind() != "comment")
            .collect();
        if let (Some(name_node), Some(type_node)) = (items.first(), items.get(1)) {
            if let (Some(name), Some(written_type)) =
                (atom_name(*name_node, src), reader.written_type(*type_node))
            {
                let options: Vec<(String, Node)> = items
                    .iter()
                    .skip(2)
                    .filter(|i| i.kind() == "keywords")
                    .flat_map(|k| keyword_pairs(*k, src))
                    .collect();
                let column = source(reader, &options).unwrap_or_else(|| name.clone());
                return PrimaryKey::Declared(AttributeFacts {
                    name,
                    span: stmt.byte_range(),
                    name_span: name_node.byte_range(),
                    written_type,
                    column,
                    allow_nil: None,
                    primary_key: true,
                    default: None,
                    origin: AttributeOrigin::PrimaryKey,
                });
            }
        }
    }
    let written = collapse(text(value, src));
    reader.unresolved(
        stmt.byte_range(),
        format!("`@primary_key {written}` cannot be followed statically; the primary key is not checked"),
    );
    PrimaryKey::Unknown
}

fn read_schema_block(
    reader: &mut Reader,
    schema_call: Node,
    settings: &ModuleSettings,
    direct: bool,
    r: &mut ResourceFacts,
) {
    let src = reader.src;
    if let Some(table) = positional_args(schema_call).first().copied() {
        r.table = reader.setting(table, Setting::Table);
    }
    // Without `@foreign_key_type` here, a base module may set it (applied
    // when bases are resolved); using Ecto.Schema directly means `:id`.
    let foreign_key_type = settings
        .foreign_key_type
        .clone()
        .or_else(|| direct.then(|| DEFAULT_PRIMARY_KEY_TYPE.to_string()));
    for stmt in body_statements(schema_call, src) {
        if reader.dynamic_statement(stmt, "schema") {
            continue;
        }
        let form = match stmt.kind() {
            "identifier" => Some(text(stmt, src)),
            _ => call_name(stmt, src),
        };
        match form {
            Some("field") => r.attributes.extend(field(reader, stmt)),
            Some("belongs_to") => {
                if let Some((rel, key)) = belongs_to(reader, stmt, foreign_key_type.as_deref()) {
                    r.belongs_to.push(rel);
                    r.attributes.extend(key);
                }
            }
            Some(form @ ("embeds_one" | "embeds_many")) => {
                r.attributes.extend(embed(reader, stmt, form))
            }
            Some("timestamps") => {
                if !settings.timestamps_unknown {
                    r.attributes
                        .extend(timestamps(reader, stmt, &settings.timestamps));
                }
            }
            Some("has_many" | "has_one" | "many_to_many") | None => {}
            Some(other) => {
                let other = other.to_string();
                reader.unresolved(
                    first_line(stmt, src),
                    format!("`{other}` in the schema block is not a field form we know; what it declares is not checked"),
                );
            }
        }
    }
}

/// `field :name, type \\ :string, opts`; virtual fields have no column.
fn field(reader: &mut Reader, stmt: Node) -> Option<AttributeFacts> {
    let src = reader.src;
    let args = positional_args(stmt);
    let name_node = args.first().copied()?;
    let name = reader.name(name_node, "field")?;
    let options = keyword_args(stmt, src);
    if reader
        .bool_option(option(&options, "virtual"), "`virtual`")
        .flatten()
        == Some(true)
    {
        return None;
    }
    let written_type = match args.get(1) {
        Some(t) => reader.type_or_unknown(*t, &format!("field :{name}")),
        None => ":string".into(),
    };
    let primary_key = reader
        .bool_option(option(&options, "primary_key"), "`primary_key`")
        .flatten()
        .unwrap_or(false);
    let column = source(reader, &options).unwrap_or_else(|| name.clone());
    Some(AttributeFacts {
        name,
        span: stmt.byte_range(),
        name_span: name_node.byte_range(),
        written_type,
        column,
        allow_nil: None,
        primary_key,
        default: option(&options, "default").map(|d| collapse(text(d, src))),
        origin: AttributeOrigin::Attribute,
    })
}

/// `belongs_to :org, Org, foreign_key:, type:, define_field:, source:`.
/// `foreign_key_type` is the key type when `type:` is not given (`None`
/// when a base module decides it).
fn belongs_to(
    reader: &mut Reader,
    stmt: Node,
    foreign_key_type: Option<&str>,
) -> Option<(BelongsToFacts, Option<AttributeFacts>)> {
    let src = reader.src;
    let args = positional_args(stmt);
    let name_node = args.first().copied()?;
    let name = reader.name(name_node, "belongs_to")?;
    let destination = match args.get(1).copied() {
        Some(d) => match reader.value(d) {
            Dsl::Known(Value::Alias(a)) => a,
            _ => collapse(text(d, src)),
        },
        None => return None,
    };
    let options = keyword_args(stmt, src);
    let attribute = match option(&options, "foreign_key") {
        Some(node) => reader.name(node, "belongs_to foreign_key")?,
        None => format!("{name}_id"),
    };
    let attribute_type = match option(&options, "type") {
        Some(t) => Some(reader.type_or_unknown(t, &format!("belongs_to :{name}"))),
        None => foreign_key_type.map(str::to_string),
    };
    let define_attribute = reader
        .bool_option(option(&options, "define_field"), "`define_field`")
        .flatten()
        .unwrap_or(true);
    let primary_key = reader
        .bool_option(option(&options, "primary_key"), "`primary_key`")
        .flatten()
        .unwrap_or(false);
    let column = source(reader, &options).unwrap_or_else(|| attribute.clone());
    let rel = BelongsToFacts {
        name,
        span: stmt.byte_range(),
        destination,
        attribute,
        attribute_type,
        allow_nil: None,
        define_attribute,
        primary_key,
    };
    Some(belongs_to_with_key(rel, name_node.byte_range(), column))
}

/// `embeds_one` / `embeds_many`: stored as a map (an array of maps).
fn embed(reader: &mut Reader, stmt: Node, form: &str) -> Option<AttributeFacts> {
    let src = reader.src;
    let name_node = positional_args(stmt).first().copied()?;
    let name = reader.name(name_node, form)?;
    let options = keyword_args(stmt, src);
    let column = source(reader, &options).unwrap_or_else(|| name.clone());
    let written_type = if form == "embeds_many" {
        "{:array, :map}"
    } else {
        ":map"
    };
    Some(AttributeFacts {
        name,
        span: stmt.byte_range(),
        name_span: name_node.byte_range(),
        written_type: written_type.into(),
        column,
        allow_nil: None,
        primary_key: false,
        default: None,
        origin: AttributeOrigin::Attribute,
    })
}

/// `timestamps(opts)` over `@timestamps_opts`: `inserted_at`/`updated_at`
/// (renamed or turned off with `inserted_at:`/`updated_at:`), of `type:`
/// (`:naive_datetime` by default).
fn timestamps(
    reader: &mut Reader,
    stmt: Node,
    module_opts: &[(String, Value)],
) -> Vec<AttributeFacts> {
    let src = reader.src;
    let mut opts: Vec<(String, Value)> = module_opts.to_vec();
    for (key, node) in keyword_args(stmt, src) {
        let value = match reader.value(node) {
            Dsl::Known(v) => v,
            _ => {
                let written = collapse(text(node, src));
                reader.unresolved(
                    node.byte_range(),
                    format!("`timestamps` option `{key}: {written}` cannot be followed statically; timestamp columns are not checked"),
                );
                return Vec::new();
            }
        };
        opts.push((key, value));
    }
    let get = |key: &str| opts.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v);
    let written_type = match get("type") {
        Some(Value::Atom(t)) => format!(":{t}"),
        Some(Value::Alias(t)) => reader.expand(t),
        _ => ":naive_datetime".into(),
    };
    let mut out = Vec::new();
    for default_name in ["inserted_at", "updated_at"] {
        let name = match get(default_name) {
            Some(Value::Bool(false)) => continue,
            Some(Value::Atom(n)) => n.clone(),
            _ => default_name.to_string(),
        };
        let column = match get(&format!("{default_name}_source")) {
            Some(Value::Atom(c)) | Some(Value::Str(c)) => c.clone(),
            _ => name.clone(),
        };
        out.push(AttributeFacts {
            name,
            span: stmt.byte_range(),
            name_span: first_line(stmt, src),
            written_type: written_type.clone(),
            column,
            allow_nil: None,
            primary_key: false,
            default: None,
            origin: AttributeOrigin::Timestamp,
        });
    }
    out
}

/// `source: :column`.
fn source(reader: &mut Reader, options: &[(String, Node)]) -> Option<String> {
    let node = option(options, "source")?;
    match reader.value(node) {
        Dsl::Known(Value::Atom(s)) | Dsl::Known(Value::Str(s)) => Some(s),
        _ => {
            let written = collapse(text(node, reader.src));
            reader.unresolved(
                node.byte_range(),
                format!("the column name `source: {written}` cannot be followed statically"),
            );
            None
        }
    }
}
