//! The Ash resource DSL: `use Ash.Resource` options and the `postgres`,
//! `attributes`, `relationships`, `identities`, `cloak` and `multitenancy`
//! sections, read into a [`ResourceFacts`].

use super::{
    belongs_to_with_key, collapse, empty_resource, entity_options, first_line, option, Dsl, Reader,
    Setting,
};
use crate::model::facts::{
    AttributeFacts, AttributeOrigin, BaseUse, BelongsToFacts, CheckConstraintFacts,
    CustomIndexFacts, IdentityFacts, Multitenancy, ResourceFacts, ResourceKind, Span,
};
use crate::syntax::elixir::{
    body_statements, call_name, do_block, keyword_args, positional_args, ModuleNode, Value,
};
use tree_sitter::Node;

/// The data layer module that makes a resource a Postgres table.
pub(super) const POSTGRES_DATA_LAYER: &str = "AshPostgres.DataLayer";

/// AshPostgres's column default for `create_timestamp`/`update_timestamp`.
const TIMESTAMP_DEFAULT: &str = "(now() AT TIME ZONE 'utc')";

const SECTIONS: &[&str] = &[
    "postgres",
    "attributes",
    "relationships",
    "identities",
    "cloak",
    "multitenancy",
];

/// Whether a body writes any Ash DSL section we read.
pub(super) fn has_sections(statements: &[Node], src: &str) -> bool {
    statements.iter().any(|s| {
        do_block(*s).is_some() && call_name(*s, src).is_some_and(|n| SECTIONS.contains(&n))
    })
}

/// A resource declared with `use Ash.Resource` (`use_call`) or through a base
/// module (`base`), from the DSL sections among `statements`.
pub(super) fn read_resource(
    reader: &mut Reader,
    module: &ModuleNode,
    statements: &[Node],
    use_call: Option<Node>,
    base: Option<BaseUse>,
) -> ResourceFacts {
    let mut r = empty_resource(module, ResourceKind::Ash);
    if let Some(call) = use_call {
        r.postgres = read_use_options(reader, call);
        if let Some(list) = option(&keyword_args(call, reader.src), "extensions") {
            r.extensions = extensions(reader, list);
        } else if let Some(passed) = positional_args(call).get(1).copied() {
            r.extensions = passed_extensions(reader, passed);
        }
    }
    r.base = base;
    read_sections(reader, statements, &mut r);
    if r.base.is_some() && r.postgres_span.is_some() {
        // The `postgres` section only exists with the AshPostgres data layer.
        r.postgres = true;
    }
    r
}

/// `use Ash.Resource, data_layer: …, fragments: …`: whether the data layer is
/// AshPostgres. Inside a base module's quote, a data layer taken from the
/// macro's options is recorded in `options_read`.
fn read_use_options(reader: &mut Reader, call: Node) -> bool {
    let src = reader.src;
    if let Some(passed) = positional_args(call).get(1).copied() {
        return passed_options(reader, passed);
    }
    let options = keyword_args(call, src);
    if let Some(fragments) = option(&options, "fragments") {
        reader.unresolved(
            fragments.byte_range(),
            "DSL fragments are not followed; what they declare is not checked".into(),
        );
    }
    let Some(layer) = option(&options, "data_layer") else {
        return false;
    };
    match reader.value(layer) {
        Dsl::Known(Value::Alias(a)) => a == POSTGRES_DATA_LAYER,
        Dsl::Known(_) => false,
        Dsl::Option(r) if reader.macro_options.is_some() => {
            reader.options_read.data_layer = Some(r.key);
            matches!(r.default, Some(Value::Alias(ref a)) if reader.expand(a) == POSTGRES_DATA_LAYER)
        }
        _ => {
            let written = collapse(reader.text(layer));
            reader.unresolved(
                layer.byte_range(),
                format!("the data layer `{written}` cannot be followed statically"),
            );
            false
        }
    }
}

/// The modules of an `extensions:` option, alias-expanded; `"?"` when the
/// list is computed, since then any extension may add attributes.
pub(super) fn extensions(reader: &Reader, list: Node) -> Vec<String> {
    let items = match reader.value(list) {
        Dsl::Known(Value::List(items)) => items,
        Dsl::Known(Value::Alias(one)) => return vec![one],
        // A base's quote passing its user's option on: the user's own
        // `extensions:` is read where the base is used.
        Dsl::Option(_) if reader.macro_options.is_some() => return Vec::new(),
        _ => return vec!["?".to_string()],
    };
    items
        .iter()
        .map(|item| match item {
            Value::Alias(a) => reader.expand(a),
            _ => "?".to_string(),
        })
        .collect()
}

/// The extensions of `use Ash.Resource, <computed options>` in a base's
/// quote: none of its own when its user's options are passed on unchanged
/// (the user's `extensions:` is read where the base is used), the literal
/// ones of a `Keyword.merge`, and `"?"` for anything else computed.
fn passed_extensions(reader: &Reader, passed: Node) -> Vec<String> {
    if reader.macro_options.is_none() {
        return vec!["?".to_string()];
    }
    if let Some(MergeSide::UserOptions) = merge_side(reader, passed) {
        return Vec::new();
    }
    let src = reader.src;
    let inner = match call_name(passed, src) {
        Some("unquote") => positional_args(passed).first().copied().unwrap_or(passed),
        _ => passed,
    };
    if call_name(inner, src) == Some("Keyword.merge") {
        let mut sides: Vec<Option<MergeSide>> = positional_args(inner)
            .into_iter()
            .map(|a| merge_side(reader, a))
            .collect();
        let trailing: Vec<(String, Value)> = keyword_args(inner, src)
            .into_iter()
            .map(|(k, v)| match reader.value(v) {
                Dsl::Known(v) => (k, v),
                _ => (k, Value::Unknown),
            })
            .collect();
        if !trailing.is_empty() {
            sides.push(Some(MergeSide::Literal(trailing)));
        }
        let mut found = Vec::new();
        for side in sides {
            match side {
                Some(MergeSide::UserOptions) => {}
                Some(MergeSide::Literal(pairs)) => {
                    for (key, value) in pairs {
                        if key != "extensions" {
                            continue;
                        }
                        match value {
                            Value::List(items) => found.extend(items.iter().map(|i| match i {
                                Value::Alias(a) => reader.expand(a),
                                _ => "?".to_string(),
                            })),
                            Value::Alias(a) => found.push(reader.expand(&a)),
                            _ => found.push("?".to_string()),
                        }
                    }
                }
                None => return vec!["?".to_string()],
            }
        }
        return found;
    }
    vec!["?".to_string()]
}

/// `use Ash.Resource, unquote(opts)` and `Keyword.merge` of literal defaults
/// with the macro's options, in a base module's quote: whether the data layer
/// is AshPostgres unless the user says otherwise (recorded as the
/// `data_layer` option). Anything else computed is unresolved.
fn passed_options(reader: &mut Reader, passed: Node) -> bool {
    let src = reader.src;
    if reader.macro_options.is_some() {
        let inner = match call_name(passed, src) {
            Some("unquote") => positional_args(passed).first().copied().unwrap_or(passed),
            _ => passed,
        };
        if let Some(MergeSide::UserOptions) = merge_side(reader, passed) {
            reader.options_read.data_layer = Some("data_layer".into());
            return false;
        }
        if call_name(inner, src) == Some("Keyword.merge") {
            let args = positional_args(inner);
            let sides = match args.as_slice() {
                [a, b] => merge_side(reader, *a).zip(merge_side(reader, *b)),
                // `Keyword.merge(opts, data_layer: …)`: trailing keywords.
                [a] => {
                    let forced = crate::syntax::elixir::keyword_args(inner, src)
                        .into_iter()
                        .map(|(k, v)| match reader.value(v) {
                            Dsl::Known(v) => (k, v),
                            _ => (k, Value::Unknown),
                        })
                        .collect();
                    merge_side(reader, *a).map(|a| (a, MergeSide::Literal(forced)))
                }
                _ => None,
            };
            // `Keyword.merge(a, b)`: `b` wins.
            match sides {
                Some((MergeSide::Literal(defaults), MergeSide::UserOptions)) => {
                    reader.options_read.data_layer = Some("data_layer".into());
                    return is_postgres(reader, &defaults);
                }
                Some((MergeSide::UserOptions, MergeSide::Literal(forced))) => {
                    if forced.iter().any(|(k, _)| k == "data_layer") {
                        return is_postgres(reader, &forced);
                    }
                    reader.options_read.data_layer = Some("data_layer".into());
                    return false;
                }
                _ => {}
            }
        }
    }
    reader.unresolved(
        passed.byte_range(),
        "the options of `use Ash.Resource` are computed, so its data layer is not known".into(),
    );
    false
}

/// One side of `Keyword.merge(a, b)` in a base module's `use Ash.Resource`.
enum MergeSide {
    Literal(Vec<(String, Value)>),
    /// The macro's own options.
    UserOptions,
}

fn merge_side(reader: &Reader, node: Node) -> Option<MergeSide> {
    let is_options_variable = node.kind() == "identifier"
        && reader.macro_options.as_ref().and_then(|m| m.var.as_deref()) == Some(reader.text(node));
    if is_options_variable {
        return Some(MergeSide::UserOptions);
    }
    match reader.value(node) {
        Dsl::AllOptions => Some(MergeSide::UserOptions),
        Dsl::Known(Value::Keyword(pairs)) => Some(MergeSide::Literal(pairs)),
        Dsl::Known(Value::List(items)) if items.is_empty() => Some(MergeSide::Literal(Vec::new())),
        _ => None,
    }
}

/// Whether literal `use` options name the AshPostgres data layer.
fn is_postgres(reader: &Reader, options: &[(String, Value)]) -> bool {
    options
        .iter()
        .rev()
        .find(|(k, _)| k == "data_layer")
        .is_some_and(
            |(_, v)| matches!(v, Value::Alias(a) if reader.expand(a) == POSTGRES_DATA_LAYER),
        )
}

/// Read the DSL sections among `statements` into `r`.
pub(super) fn read_sections(reader: &mut Reader, statements: &[Node], r: &mut ResourceFacts) {
    let src = reader.src;
    let mut cloaked = Vec::new();
    for stmt in statements {
        if conditional_declarations(reader, *stmt) || do_block(*stmt).is_none() {
            continue;
        }
        match call_name(*stmt, src) {
            Some("postgres") => {
                r.postgres_span = Some(stmt.byte_range());
                postgres(reader, *stmt, r);
            }
            Some("attributes") => attributes(reader, *stmt, r),
            Some("relationships") => relationships(reader, *stmt, r),
            Some("identities") => identities(reader, *stmt, r),
            Some("cloak") => cloaked.extend(cloak(reader, *stmt)),
            Some("multitenancy") => {
                (r.multitenancy, r.multitenancy_attribute) = multitenancy(reader, *stmt);
            }
            _ => {}
        }
    }
    apply_cloak(r, cloaked);
    drop_shadowed_belongs_to_keys(r);
}

/// Ash defines a belongs_to key attribute only when the resource does not
/// declare an attribute of that name itself; the declared one is the column.
fn drop_shadowed_belongs_to_keys(r: &mut ResourceFacts) {
    let declared: Vec<String> = r
        .attributes
        .iter()
        .filter(|a| a.origin != AttributeOrigin::BelongsTo)
        .map(|a| a.name.clone())
        .collect();
    r.attributes
        .retain(|a| a.origin != AttributeOrigin::BelongsTo || !declared.contains(&a.name));
}

/// DSL sections (or a `use`) under `if`/`case`/`for`, and a base module's
/// quote injecting code with a top-level `unquote(…)`: declarations that may
/// or may not exist. Records an unresolved entry and returns true for them.
fn conditional_declarations(reader: &mut Reader, stmt: Node) -> bool {
    const WRAPPERS: &[&str] = &["if", "unless", "case", "cond", "for", "with"];
    let src = reader.src;
    let Some(name) = call_name(stmt, src) else {
        return false;
    };
    let message = if name == "unquote" && reader.macro_options.is_some() {
        let written = collapse(reader.text(stmt));
        format!(
            "`{written}` in a base module's quote is not followed; what it injects is not checked"
        )
    } else if WRAPPERS.contains(&name) && declares_inside(stmt, src) {
        format!("DSL sections inside `{name}` are not followed; what they declare is not checked")
    } else {
        return false;
    };
    reader.unresolved(first_line(stmt, src), message);
    true
}

/// Whether a DSL section or a `use` is written anywhere under `node`.
fn declares_inside(node: Node, src: &str) -> bool {
    let mut stack = vec![node];
    let mut cursor = node.walk();
    while let Some(n) = stack.pop() {
        if n.id() != node.id() {
            let name = call_name(n, src);
            let section = do_block(n).is_some() && name.is_some_and(|c| SECTIONS.contains(&c));
            if section || name == Some("use") {
                return true;
            }
        }
        stack.extend(n.named_children(&mut cursor));
    }
    false
}

fn postgres(reader: &mut Reader, section: Node, r: &mut ResourceFacts) {
    let src = reader.src;
    for stmt in body_statements(section, src) {
        if reader.dynamic_statement(stmt, "postgres") {
            continue;
        }
        let Some(name) = call_name(stmt, src) else {
            continue;
        };
        let first = positional_args(stmt).first().copied();
        match (name, first) {
            ("table", Some(arg)) => r.table = reader.setting(arg, Setting::Table),
            ("schema", Some(arg)) => r.schema = reader.setting(arg, Setting::Schema),
            ("repo", Some(arg)) => r.repo = reader.repo(arg),
            ("migrate?", Some(arg)) => {
                if let Some(Some(b)) = reader.bool_option(Some(arg), "`migrate?`") {
                    r.migrate = b;
                }
            }
            ("custom_indexes", _) => custom_indexes(reader, stmt, r),
            ("check_constraints", _) => check_constraints(reader, stmt, r),
            ("identity_index_names", _) => identity_index_names(reader, stmt, r),
            ("references", _) => references(reader, stmt, r),
            ("skip_unique_indexes", Some(arg)) => {
                if let Some(names) = names(reader, arg, "`skip_unique_indexes`") {
                    r.skip_unique_indexes = names;
                }
            }
            _ => {}
        }
    }
}

fn custom_indexes(reader: &mut Reader, section: Node, r: &mut ResourceFacts) {
    let src = reader.src;
    for stmt in body_statements(section, src) {
        if reader.dynamic_statement(stmt, "custom_indexes") || call_name(stmt, src) != Some("index")
        {
            continue;
        }
        let Some(fields) = positional_args(stmt).first().copied() else {
            continue;
        };
        let Some(columns) = names(reader, fields, "the fields of a custom index") else {
            continue;
        };
        let options = entity_options(stmt, src);
        let name = option(&options, "name").and_then(|n| match reader.value(n) {
            Dsl::Known(Value::Str(s)) | Dsl::Known(Value::Atom(s)) => Some(s),
            _ => None,
        });
        let unique = reader
            .bool_option(option(&options, "unique"), "`unique` of a custom index")
            .flatten()
            .unwrap_or(false);
        r.custom_indexes.push(CustomIndexFacts {
            span: stmt.byte_range(),
            columns,
            name,
            unique,
        });
    }
}

/// `references do reference :org, ignore?: true end`: relationships
/// codegen makes no foreign key for.
fn references(reader: &mut Reader, section: Node, r: &mut ResourceFacts) {
    let src = reader.src;
    for stmt in body_statements(section, src) {
        if reader.dynamic_statement(stmt, "references") || call_name(stmt, src) != Some("reference")
        {
            continue;
        }
        let Some(name_node) = positional_args(stmt).first().copied() else {
            continue;
        };
        let Some(name) = reader.name(name_node, "reference") else {
            continue;
        };
        let options = entity_options(stmt, src);
        let ignored = reader
            .bool_option(option(&options, "ignore?"), "`ignore?` of a reference")
            .flatten()
            .unwrap_or(false);
        if ignored {
            r.ignored_references.push(name);
        }
    }
}

fn check_constraints(reader: &mut Reader, section: Node, r: &mut ResourceFacts) {
    let src = reader.src;
    for stmt in body_statements(section, src) {
        if reader.dynamic_statement(stmt, "check_constraints")
            || call_name(stmt, src) != Some("check_constraint")
        {
            continue;
        }
        let options = entity_options(stmt, src);
        let name_node = positional_args(stmt)
            .get(1)
            .copied()
            .or_else(|| option(&options, "name"));
        let Some(name_node) = name_node else {
            continue;
        };
        let Some(name) = reader.name(name_node, "check_constraint") else {
            continue;
        };
        let check = option(&options, "check").and_then(|c| match reader.value(c) {
            Dsl::Known(Value::Str(s)) => Some(s),
            _ => None,
        });
        r.check_constraints.push(CheckConstraintFacts {
            span: stmt.byte_range(),
            name,
            check,
        });
    }
}

/// `identity_index_names [name: "idx"]` (or the bare keyword form).
fn identity_index_names(reader: &mut Reader, stmt: Node, r: &mut ResourceFacts) {
    let src = reader.src;
    let pairs: Vec<(String, Value)> = match positional_args(stmt).first().copied() {
        Some(arg) => match reader.value(arg) {
            Dsl::Known(Value::Keyword(pairs)) => pairs,
            Dsl::Known(Value::List(items)) if items.is_empty() => Vec::new(),
            _ => {
                reader.unresolved(
                    arg.byte_range(),
                    "`identity_index_names` is not a literal keyword list; identity index names are assumed to be the defaults".into(),
                );
                return;
            }
        },
        None => keyword_args(stmt, src)
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    match reader.value(v) {
                        Dsl::Known(v) => v,
                        _ => Value::Unknown,
                    },
                )
            })
            .collect(),
    };
    for (identity, index) in pairs {
        if let Value::Str(index) | Value::Atom(index) = index {
            r.identity_index_names.insert(identity, index);
        }
    }
}

fn attributes(reader: &mut Reader, section: Node, r: &mut ResourceFacts) {
    let src = reader.src;
    for stmt in body_statements(section, src) {
        if reader.dynamic_statement(stmt, "attributes") {
            continue;
        }
        // `timestamps` written without parentheses is a bare identifier.
        let form = match stmt.kind() {
            "identifier" => Some(reader.text(stmt)),
            _ => call_name(stmt, src),
        };
        match form {
            Some("timestamps") => {
                let options = entity_options(stmt, src);
                for name in ["inserted_at", "updated_at"] {
                    let a = timestamp(reader, stmt, stmt.byte_range(), name.to_string(), &options);
                    r.attributes.push(a);
                }
            }
            Some(
                form @ ("attribute"
                | "uuid_primary_key"
                | "uuid_v7_primary_key"
                | "integer_primary_key"
                | "create_timestamp"
                | "update_timestamp"),
            ) => {
                if let Some(a) = attribute(reader, stmt, form) {
                    r.attributes.push(a);
                }
            }
            Some(other) => {
                let other = other.to_string();
                reader.unresolved(
                    first_line(stmt, src),
                    format!("`{other}` in the attributes block is not an attribute form we know; what it declares is not checked"),
                );
            }
            None => {}
        }
    }
}

/// `attribute :name, :type, opts`, its block form, and the primary-key and
/// timestamp shorthands.
fn attribute(reader: &mut Reader, stmt: Node, form: &str) -> Option<AttributeFacts> {
    let src = reader.src;
    let args = positional_args(stmt);
    let name_node = args.first().copied()?;
    let name = reader.name(name_node, form)?;
    let options = entity_options(stmt, src);
    if matches!(form, "create_timestamp" | "update_timestamp") {
        return Some(timestamp(
            reader,
            stmt,
            name_node.byte_range(),
            name,
            &options,
        ));
    }
    let (written_type, default, primary_key, origin) = match form {
        "uuid_primary_key" => (
            ":uuid".to_string(),
            Some("gen_random_uuid()".to_string()),
            true,
            AttributeOrigin::PrimaryKey,
        ),
        "uuid_v7_primary_key" => (
            ":uuid_v7".to_string(),
            Some("uuid_generate_v7()".to_string()),
            true,
            AttributeOrigin::PrimaryKey,
        ),
        "integer_primary_key" => (
            ":integer".to_string(),
            None,
            true,
            AttributeOrigin::PrimaryKey,
        ),
        _ => {
            let owner = format!("attribute :{name}");
            let written_type = match args.get(1).copied().or_else(|| option(&options, "type")) {
                Some(t) => reader.type_or_unknown(t, &owner),
                None => "?".to_string(),
            };
            let primary_key = reader
                .bool_option(option(&options, "primary_key?"), "`primary_key?`")
                .flatten()
                .unwrap_or(false);
            let default = option(&options, "default").map(|d| collapse(reader.text(d)));
            (
                written_type,
                default,
                primary_key,
                AttributeOrigin::Attribute,
            )
        }
    };
    let allow_nil = if origin == AttributeOrigin::PrimaryKey {
        Some(false)
    } else {
        // Ash makes primary keys non-nil unless told otherwise.
        reader
            .bool_option(option(&options, "allow_nil?"), "`allow_nil?`")
            .unwrap_or(Some(!primary_key))
    };
    let column = source_column(reader, &options).unwrap_or_else(|| name.clone());
    Some(AttributeFacts {
        name,
        span: stmt.byte_range(),
        name_span: name_node.byte_range(),
        written_type,
        column,
        allow_nil,
        primary_key,
        default,
        origin,
    })
}

/// `create_timestamp` / `update_timestamp` (and each half of `timestamps()`):
/// `utc_datetime_usec`, not nil, defaulting to now.
fn timestamp(
    reader: &mut Reader,
    stmt: Node,
    name_span: Span,
    name: String,
    options: &[(String, Node)],
) -> AttributeFacts {
    let written_type = match option(options, "type") {
        Some(t) => reader.type_or_unknown(t, &format!("timestamp :{name}")),
        None => ":utc_datetime_usec".to_string(),
    };
    let allow_nil = reader
        .bool_option(option(options, "allow_nil?"), "`allow_nil?`")
        .unwrap_or(Some(false));
    let column = source_column(reader, options).unwrap_or_else(|| name.clone());
    AttributeFacts {
        name,
        span: stmt.byte_range(),
        name_span,
        written_type,
        column,
        allow_nil,
        primary_key: false,
        default: Some(TIMESTAMP_DEFAULT.to_string()),
        origin: AttributeOrigin::Timestamp,
    }
}

/// `source: :column_name`.
fn source_column(reader: &mut Reader, options: &[(String, Node)]) -> Option<String> {
    let node = option(options, "source")?;
    match reader.value(node) {
        Dsl::Known(Value::Atom(s)) | Dsl::Known(Value::Str(s)) => Some(s),
        _ => {
            let written = collapse(reader.text(node));
            reader.unresolved(
                node.byte_range(),
                format!("the column name `source: {written}` cannot be followed statically"),
            );
            None
        }
    }
}

fn relationships(reader: &mut Reader, section: Node, r: &mut ResourceFacts) {
    let src = reader.src;
    for stmt in body_statements(section, src) {
        if reader.dynamic_statement(stmt, "relationships") {
            continue;
        }
        match call_name(stmt, src) {
            Some("belongs_to") => {
                if let Some((rel, attr)) = belongs_to(reader, stmt) {
                    r.belongs_to.push(rel);
                    r.attributes.extend(attr);
                }
            }
            Some("has_many" | "has_one" | "many_to_many") | None => {}
            Some(other) => {
                let other = other.to_string();
                reader.unresolved(
                    first_line(stmt, src),
                    format!("`{other}` in the relationships block is not a relationship form we know; what it declares is not checked"),
                );
            }
        }
    }
}

/// `belongs_to :org, Org, opts`: the relationship, and the key attribute it
/// defines unless `define_attribute? false`. Without `attribute_type` the key
/// attribute's type is the placeholder `"belongs_to"`: Ash takes it from
/// configuration (`:uuid` by default), and checks use the destination's
/// primary key type instead.
fn belongs_to(reader: &mut Reader, stmt: Node) -> Option<(BelongsToFacts, Option<AttributeFacts>)> {
    let src = reader.src;
    let args = positional_args(stmt);
    let name_node = args.first().copied()?;
    let name = reader.name(name_node, "belongs_to")?;
    let options = entity_options(stmt, src);
    let destination = match args
        .get(1)
        .copied()
        .or_else(|| option(&options, "destination"))
    {
        Some(d) => match reader.value(d) {
            Dsl::Known(Value::Alias(a)) => a,
            _ => {
                let written = collapse(reader.text(d));
                reader.unresolved(
                    d.byte_range(),
                    format!("the destination `{written}` of belongs_to :{name} cannot be followed statically"),
                );
                written
            }
        },
        None => return None,
    };
    let attribute = match option(&options, "source_attribute") {
        Some(node) => match reader.value(node) {
            Dsl::Known(Value::Atom(s)) => s,
            _ => {
                reader.name(node, "source_attribute");
                return None;
            }
        },
        None => format!("{name}_id"),
    };
    let attribute_type = option(&options, "attribute_type")
        .map(|t| reader.type_or_unknown(t, &format!("belongs_to :{name}")));
    let primary_key = reader
        .bool_option(option(&options, "primary_key?"), "`primary_key?`")
        .flatten()
        .unwrap_or(false);
    let allow_nil = reader
        .bool_option(option(&options, "allow_nil?"), "`allow_nil?`")
        .unwrap_or(Some(!primary_key));
    let define_attribute = reader
        .bool_option(option(&options, "define_attribute?"), "`define_attribute?`")
        .flatten()
        .unwrap_or(true);
    let column = attribute.clone();
    let rel = BelongsToFacts {
        name,
        span: stmt.byte_range(),
        destination,
        attribute,
        attribute_type,
        allow_nil,
        define_attribute,
        primary_key,
    };
    Some(belongs_to_with_key(rel, name_node.byte_range(), column))
}

fn identities(reader: &mut Reader, section: Node, r: &mut ResourceFacts) {
    let src = reader.src;
    for stmt in body_statements(section, src) {
        if reader.dynamic_statement(stmt, "identities") {
            continue;
        }
        match call_name(stmt, src) {
            Some("identity") => {
                let args = positional_args(stmt);
                let Some(name_node) = args.first().copied() else {
                    continue;
                };
                let Some(name) = reader.name(name_node, "identity") else {
                    continue;
                };
                let options = entity_options(stmt, src);
                let Some(keys_node) = args.get(1).copied().or_else(|| option(&options, "keys"))
                else {
                    continue;
                };
                let Some(keys) = names(reader, keys_node, &format!("the keys of identity :{name}"))
                else {
                    continue;
                };
                let all_tenants = reader
                    .bool_option(option(&options, "all_tenants?"), "`all_tenants?`")
                    .flatten()
                    .unwrap_or(false);
                r.identities.push(IdentityFacts {
                    name,
                    span: stmt.byte_range(),
                    keys,
                    all_tenants,
                });
            }
            None => {}
            Some(other) => {
                let other = other.to_string();
                reader.unresolved(
                    first_line(stmt, src),
                    format!("`{other}` in the identities block is not followed; what it declares is not checked"),
                );
            }
        }
    }
}

/// `cloak do attributes [:secret] end`: each encrypted attribute with the
/// span of its entry in the list.
fn cloak(reader: &mut Reader, section: Node) -> Vec<(String, Span)> {
    let src = reader.src;
    let mut out = Vec::new();
    for stmt in body_statements(section, src) {
        if reader.dynamic_statement(stmt, "cloak") || call_name(stmt, src) != Some("attributes") {
            continue;
        }
        let Some(arg) = positional_args(stmt).first().copied() else {
            continue;
        };
        match arg.kind() {
            "list" => {
                let mut cursor = arg.walk();
                let items: Vec<Node> = arg
                    .named_children(&mut cursor)
                    .filter(|c| c.kind() != "comment")
                    .collect();
                for item in items {
                    if let Some(name) = reader.name(item, "cloak attributes") {
                        out.push((name, item.byte_range()));
                    }
                }
            }
            _ => {
                if let Some(name) = reader.name(arg, "cloak attributes") {
                    out.push((name, arg.byte_range()));
                }
            }
        }
    }
    out
}

/// AshCloak stores each cloaked attribute in `encrypted_<name>` (binary, same
/// nullability) and turns the attribute itself into a calculation, so it has
/// no column. The replacement keeps the attribute's name (and its
/// declaration's span) so checks can say where the column comes from.
pub(super) fn apply_cloak(r: &mut ResourceFacts, cloaked: Vec<(String, Span)>) {
    for (name, entry_span) in cloaked {
        let declared = r
            .attributes
            .iter()
            .position(|a| a.name == name && a.origin == AttributeOrigin::Attribute);
        let (span, allow_nil, at) = match declared {
            Some(i) => {
                let plain = r.attributes.remove(i);
                (plain.span, plain.allow_nil, i)
            }
            None => (entry_span.clone(), None, r.attributes.len()),
        };
        r.attributes.insert(
            at,
            AttributeFacts {
                column: format!("encrypted_{name}"),
                name,
                span,
                name_span: entry_span,
                written_type: ":binary".into(),
                allow_nil,
                primary_key: false,
                default: None,
                origin: AttributeOrigin::Cloak,
            },
        );
    }
}

/// `multitenancy do strategy :attribute; attribute :org_id end`: the
/// strategy (Ash's default is `:context`) and the tenant attribute.
fn multitenancy(reader: &mut Reader, section: Node) -> (Option<Multitenancy>, Option<String>) {
    let src = reader.src;
    let mut strategy = Some(Multitenancy::Context);
    let mut attribute = None;
    for stmt in body_statements(section, src) {
        let name = call_name(stmt, src);
        if name == Some("attribute") {
            if let Some(arg) = positional_args(stmt).first().copied() {
                attribute = reader.name(arg, "multitenancy attribute");
            }
            continue;
        }
        if name != Some("strategy") {
            continue;
        }
        let Some(arg) = positional_args(stmt).first().copied() else {
            continue;
        };
        strategy = match reader.value(arg) {
            Dsl::Known(Value::Atom(s)) if s == "context" => Some(Multitenancy::Context),
            Dsl::Known(Value::Atom(s)) if s == "attribute" => Some(Multitenancy::Attribute),
            _ => {
                let written = collapse(reader.text(arg));
                reader.unresolved(
                    arg.byte_range(),
                    format!("the multitenancy strategy `{written}` cannot be followed statically"),
                );
                None
            }
        };
    }
    (strategy, attribute)
}

/// A list of field names (`[:a, :b]`), a single name, or an expression
/// string (`"lower(email)"`); unresolved when not a literal.
fn names(reader: &mut Reader, node: Node, what: &str) -> Option<Vec<String>> {
    let found = match reader.value(node) {
        Dsl::Known(Value::List(items)) => items
            .iter()
            .map(|i| i.as_name().map(str::to_string))
            .collect::<Option<Vec<_>>>(),
        Dsl::Known(Value::Atom(s)) | Dsl::Known(Value::Str(s)) => Some(vec![s]),
        _ => None,
    };
    if found.is_none() {
        let written = collapse(reader.text(node));
        reader.unresolved(
            node.byte_range(),
            format!("{what} (`{written}`) cannot be followed statically"),
        );
    }
    found
}
