//! Base modules: `defmacro __using__(opts)` whose quote uses `Ash.Resource`
//! or `Ecto.Schema` (or another base) → a [`ResourceTemplate`] holding what
//! the quote declares, with settings read from the macro's options recorded
//! as option keys.

use super::{
    ash, base_use_of, captures, ecto, first_line, pick_base, resource_query, use_calls, Dsl,
    MacroOptions, Reader,
};
use crate::model::facts::{ResourceTemplate, Unresolved};
use crate::syntax::elixir::{
    self, body_statements, call_name, do_block, positional_args, text, ModuleAttributes, ModuleNode,
};
use std::collections::{HashMap, HashSet};
use tree_sitter::Node;

/// The template a module's `__using__` defines, if its quote declares a
/// resource, and what in it could not be followed (reported in this file).
pub(super) fn read(
    src: &str,
    module: &ModuleNode,
    aliases: &HashMap<String, String>,
) -> (Option<ResourceTemplate>, Vec<Unresolved>) {
    let Some(q) = resource_query() else {
        return (None, Vec::new());
    };
    let ids: HashSet<usize> = module.body.iter().map(|s| s.id()).collect();
    for (definition, _) in captures(module.node, src, q.using_definition, &[]) {
        if !ids.contains(&definition.id()) {
            continue;
        }
        if let Some(found) = read_definition(src, module, aliases, definition) {
            return found;
        }
    }
    (None, Vec::new())
}

fn read_definition(
    src: &str,
    module: &ModuleNode,
    aliases: &HashMap<String, String>,
    definition: Node,
) -> Option<(Option<ResourceTemplate>, Vec<Unresolved>)> {
    let mut head = positional_args(definition).first().copied()?;
    if head.kind() == "binary_operator" {
        // `__using__(opts) when is_list(opts)`.
        head = head.child_by_field_name("left")?;
    }
    let mut macro_options = MacroOptions {
        var: positional_args(head)
            .first()
            .and_then(|p| options_variable(*p, src)),
        bindings: HashMap::new(),
    };
    let body = body_statements(definition, src);
    let mut quote = None;
    // `opts = Keyword.put(opts, :extensions, …)` before the quote: what it
    // passes on to `use Ash.Resource` is no longer the user's own list.
    let mut extensions_computed = false;
    for stmt in &body {
        if call_name(*stmt, src) == Some("quote") && do_block(*stmt).is_some() {
            quote = Some(*stmt);
            break;
        }
        if let Some(var) = macro_options.var.as_deref() {
            if rebinds(*stmt, var, src) && text(*stmt, src).contains("extensions") {
                extensions_computed = true;
            }
        }
        if let Some((name, value)) = binding(*stmt, src) {
            if let Some(Dsl::Option(r)) =
                macro_options.read(value, src, &ModuleAttributes::default())
            {
                macro_options.bindings.insert(name, r);
            }
        }
    }
    let quote = quote?;
    let statements = body_statements(quote, src);
    let mut scope = aliases.clone();
    for (short, full) in elixir::aliases(&statements, src) {
        let full = elixir::expand_alias(&full, aliases, &module.name);
        scope.insert(short, full);
    }
    let attrs = ModuleAttributes::collect(&statements, src);
    let mut reader = Reader::new(src, &module.name, scope, attrs);
    reader.macro_options = Some(macro_options);
    let uses = use_calls(quote, &statements, &reader);
    let ash_use = uses.iter().find(|u| u.module == "Ash.Resource");
    let ecto_use = uses.iter().find(|u| u.module == "Ecto.Schema");
    let (mut resource, foreign_key_type) = if let Some(u) = ash_use {
        let r = ash::read_resource(&mut reader, module, &statements, Some(u.call), None);
        (r, None)
    } else if let Some(u) = ecto_use {
        let span = first_line(u.call, src);
        ecto::read_template(&mut reader, module, &statements, span, None)
    } else {
        // A base built on another base: `use MyApp.Resource, table: unquote(opts[:table])`.
        let chained = pick_base(&uses, &module.name, src)?;
        let base = base_use_of(&reader, chained);
        let ecto_like = statements.iter().any(|s| {
            call_name(*s, src) == Some("schema")
                || ["@primary_key", "@foreign_key_type", "@schema_prefix"]
                    .iter()
                    .any(|a| text(*s, src).starts_with(a))
        });
        if ecto_like {
            ecto::read_template(
                &mut reader,
                module,
                &statements,
                base.span.clone(),
                Some(base),
            )
        } else {
            let r = ash::read_resource(&mut reader, module, &statements, None, Some(base));
            (r, None)
        }
    };
    if extensions_computed && !resource.extensions.iter().any(|e| e == "?") {
        resource.extensions.push("?".to_string());
    }
    let unresolved = std::mem::take(&mut reader.unresolved);
    resource.unresolved.clear();
    let read = reader.options_read;
    let template = ResourceTemplate {
        module: module.name.clone(),
        module_span: module.name_span.clone(),
        resource,
        table_option: read.table,
        schema_option: read.schema,
        repo_option: read.repo,
        data_layer_option: read.data_layer,
        foreign_key_type,
    };
    Some((Some(template), unresolved))
}

/// `opts` in `__using__(opts)` or `__using__(opts \\ [])`.
fn options_variable(param: Node, src: &str) -> Option<String> {
    match param.kind() {
        "identifier" => Some(text(param, src).to_string()),
        "binary_operator" => options_variable(param.child_by_field_name("left")?, src),
        _ => None,
    }
}

/// Whether `stmt` assigns to `var` (`opts = …`, `{x, opts} = …`).
fn rebinds(stmt: Node, var: &str, src: &str) -> bool {
    if stmt.kind() != "binary_operator"
        || stmt.child_by_field_name("operator").map(|o| text(o, src)) != Some("=")
    {
        return false;
    }
    let Some(left) = stmt.child_by_field_name("left") else {
        return false;
    };
    let mut stack = vec![left];
    let mut cursor = left.walk();
    while let Some(n) = stack.pop() {
        if n.kind() == "identifier" && text(n, src) == var {
            return true;
        }
        stack.extend(n.named_children(&mut cursor));
    }
    false
}

/// `name = expr` → (name, expr).
fn binding<'t>(stmt: Node<'t>, src: &str) -> Option<(String, Node<'t>)> {
    if stmt.kind() != "binary_operator" {
        return None;
    }
    if stmt.child_by_field_name("operator").map(|o| text(o, src)) != Some("=") {
        return None;
    }
    let left = stmt.child_by_field_name("left")?;
    if left.kind() != "identifier" {
        return None;
    }
    Some((
        text(left, src).to_string(),
        stmt.child_by_field_name("right")?,
    ))
}
