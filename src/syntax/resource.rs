//! Ash resources, Ecto schemas, resource base modules, repos and repo config → [`ElixirFacts`].
//!
//! Every `defmodule` of a file (nested ones under their full name) is read on
//! its own: `use Ash.Resource` makes an Ash resource, `use Ecto.Schema` with a
//! `schema "t" do … end` block an Ecto schema, a `defmacro __using__` whose
//! quote uses one of them a base-module template, `use Some.Base, table: "x"`
//! a base user (merged with its template in `model::bases`), and `use
//! Ecto.Repo` / `use AshPostgres.Repo` a repo. `config :app, Repo, …` entries
//! of config files give repo config. Only literals are evaluated; whatever
//! cannot be followed statically becomes an [`Unresolved`].

mod ash;
mod ecto;
mod repo;
mod template;
mod types;

use crate::model::facts::{
    AttributeFacts, AttributeOrigin, BaseUse, BelongsToFacts, ElixirFacts, ResourceFacts,
    ResourceKind, Span, Unresolved,
};
use crate::syntax::elixir::{
    self, alias_name, atom_name, call_name, do_block, eval, keyword_args, positional_args, text,
    ModuleAttributes, ModuleNode, Value,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;
use tree_sitter::{Node, Query, QueryCursor, StreamingIterator, Tree};

/// How deep the extractor follows nested expressions (tuple types, `||`
/// chains) before giving up on them.
const MAX_NESTING: usize = 16;

/// The tree-sitter query the extractor starts from (`use` calls, `__using__`
/// definitions, `config` entries).
pub const QUERY_SOURCE: &str = include_str!("../../queries/resource.scm");

/// Extract every resource, schema, base-module template, repo and repo
/// config entry in the file.
pub fn extract(src: &str, tree: &Tree) -> ElixirFacts {
    let mut facts = ElixirFacts::default();
    let modules = elixir::modules(tree, src);
    let scopes = alias_scopes(&modules, tree, src);
    for (module, aliases) in modules.iter().zip(scopes) {
        read_module(src, module, aliases, &mut facts);
    }
    repo::read_config(src, tree, &mut facts);
    facts
}

/// Read one module: a repo, a base-module template, and at most one resource.
fn read_module(
    src: &str,
    module: &ModuleNode,
    aliases: HashMap<String, String>,
    facts: &mut ElixirFacts,
) {
    let attrs = ModuleAttributes::collect(&module.body, src);
    let mut reader = Reader::new(src, &module.name, aliases, attrs);
    let uses = use_calls(module.node, &module.body, &reader);

    if let Some(repo) = repo::read_repo(&mut reader, &uses) {
        facts.repos.push(repo);
    }
    if let Some(t) = types::read(&reader, module, &uses) {
        facts.types.push(t);
    }
    let (found, template_unresolved) = template::read(src, module, &reader.aliases);
    facts.templates.extend(found);
    facts.unresolved.extend(template_unresolved);

    let ash_use = uses.iter().find(|u| u.module == "Ash.Resource");
    let ecto_use = uses.iter().find(|u| u.module == "Ecto.Schema");
    let base_use = pick_base(&uses, &module.name, src);
    let schema_call = module
        .body
        .iter()
        .copied()
        .find(|s| call_name(*s, src) == Some("schema") && do_block(*s).is_some());

    let resource = if let Some(ash_use) = ash_use {
        let r = ash::read_resource(&mut reader, module, &module.body, Some(ash_use.call), None);
        // Non-Postgres resources still give belongs_to their key type.
        (r.postgres || !r.attributes.is_empty()).then_some(r)
    } else if let Some(schema_call) =
        schema_call.filter(|_| ecto_use.is_some() || base_use.is_some())
    {
        let base = match (ecto_use, base_use) {
            (None, Some(b)) => Some(base_use_of(&reader, b)),
            _ => None,
        };
        Some(ecto::read_schema(&mut reader, module, schema_call, base))
    } else if let Some(b) = base_use {
        let has_options = !keyword_args(b.call, src).is_empty();
        if has_options || ash::has_sections(&module.body, src) {
            let base = base_use_of(&reader, b);
            let mut r = ash::read_resource(&mut reader, module, &module.body, None, Some(base));
            // Bases usually pass `extensions:` on to `use Ash.Resource`.
            if let Some(list) = option(&keyword_args(b.call, src), "extensions") {
                r.extensions = ash::extensions(&reader, list);
            }
            Some(r)
        } else {
            None
        }
    } else {
        None
    };
    if let Some(mut r) = resource {
        r.unresolved.append(&mut reader.unresolved);
        facts.resources.push(r);
    }
}

/// `use` calls among `statements` (direct children of `scope`'s body), with
/// the module alias-expanded.
fn use_calls<'t>(scope: Node<'t>, statements: &[Node<'t>], reader: &Reader) -> Vec<UseCall<'t>> {
    let Some(q) = resource_query() else {
        return Vec::new();
    };
    let ids: HashSet<usize> = statements.iter().map(|s| s.id()).collect();
    captures(scope, reader.src, q.use_call, &[q.use_module])
        .into_iter()
        .filter(|(call, _)| ids.contains(&call.id()))
        .filter_map(|(call, parts)| {
            let module_node = parts.first().copied().flatten()?;
            let written = alias_name(module_node, reader.src)?;
            Some(UseCall {
                call,
                module_node,
                module: reader.expand(&written),
            })
        })
        .collect()
}

/// A `use Some.Module` call written directly in a body, with the module
/// alias-expanded.
pub(super) struct UseCall<'t> {
    pub call: Node<'t>,
    pub module_node: Node<'t>,
    pub module: String,
}

/// The `use` of a module that may be a resource base: not a library we know,
/// not the module itself. One written with options wins over one without.
fn pick_base<'a, 't>(uses: &'a [UseCall<'t>], current: &str, src: &str) -> Option<&'a UseCall<'t>> {
    let candidates: Vec<&UseCall> = uses
        .iter()
        .filter(|u| !is_library(&u.module) && u.module != current)
        .collect();
    candidates
        .iter()
        .find(|u| !keyword_args(u.call, src).is_empty() || positional_args(u.call).len() > 1)
        .or_else(|| candidates.first())
        .copied()
}

/// Modules of libraries whose `use` never declares a resource base.
fn is_library(module: &str) -> bool {
    const ROOTS: &[&str] = &[
        "Ash",
        "AshPostgres",
        "AshSql",
        "AshPhoenix",
        "AshAuthentication",
        "AshGraphql",
        "AshJsonApi",
        "AshAdmin",
        "AshOban",
        "AshStateMachine",
        "AshPaperTrail",
        "AshArchival",
        "AshCloak",
        "AshMoney",
        "AshDoubleEntry",
        "AshEvents",
        "AshAi",
        "Spark",
        "Ecto",
        "Phoenix",
        "Plug",
        "ExUnit",
        "Mix",
        "Oban",
        "Absinthe",
        "Broadway",
        "GenStage",
        "Commanded",
        "Surface",
        "Tesla",
        "Gettext",
        "GenServer",
        "Supervisor",
        "Application",
        "Agent",
        "Task",
        "DynamicSupervisor",
        "Registry",
        "Config",
        "Bitwise",
        "Logger",
        "Kernel",
        "Protocol",
        "Exception",
        "Swoosh",
        "Cloak",
        "Boundary",
        "Nebulex",
    ];
    let root = module.split('.').next().unwrap_or(module);
    ROOTS.contains(&root)
}

/// `use Some.Base, key: literal, …` → [`BaseUse`].
fn base_use_of(reader: &Reader, u: &UseCall) -> BaseUse {
    let mut options = BTreeMap::new();
    let mut unresolved_options = Vec::new();
    for (key, value) in keyword_args(u.call, reader.src) {
        match reader.value(value) {
            // Lists and other composite literals are kept as their source text.
            Dsl::Known(v) => {
                let t = option_text(&v).unwrap_or_else(|| collapse(text(value, reader.src)));
                options.insert(key, t);
            }
            // In a base built on another base, `key: unquote(opts[:key])`
            // passes its user's option on unchanged.
            Dsl::Option(r) if r.key == key => {}
            _ => unresolved_options.push(key),
        }
    }
    BaseUse {
        module: u.module.clone(),
        span: u.call.start_byte()..u.module_node.end_byte(),
        options,
        unresolved_options,
    }
}

/// A scalar literal as the text a base user's option is recorded with.
fn option_text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) | Value::Atom(s) | Value::Alias(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Nil => Some("nil".into()),
        _ => None,
    }
}

/// Aliases visible in each module: the file's top-level ones, those of every
/// enclosing module (including the implicit alias of a nested module), then
/// its own.
fn alias_scopes(modules: &[ModuleNode], tree: &Tree, src: &str) -> Vec<HashMap<String, String>> {
    let root = tree.root_node();
    let mut cursor = root.walk();
    let top: Vec<Node> = root.named_children(&mut cursor).collect();
    let file_aliases = elixir::aliases(&top, src);
    let own: Vec<HashMap<String, String>> = modules
        .iter()
        .map(|m| own_aliases(m, modules, &file_aliases, src))
        .collect();
    modules
        .iter()
        .map(|m| {
            let mut enclosing: Vec<usize> = (0..modules.len())
                .filter(|&j| {
                    let o = modules[j].node;
                    o.id() != m.node.id()
                        && o.start_byte() <= m.node.start_byte()
                        && m.node.end_byte() <= o.end_byte()
                })
                .collect();
            enclosing.sort_by_key(|&j| std::cmp::Reverse(modules[j].node.byte_range().len()));
            let mut scope = file_aliases.clone();
            for j in enclosing {
                scope.extend(own[j].clone());
            }
            if let Some(o) = own
                .iter()
                .zip(modules)
                .find(|(_, x)| x.node.id() == m.node.id())
            {
                scope.extend(o.0.clone());
            }
            scope
        })
        .collect()
}

/// A module's own aliases: `alias` statements (with `__MODULE__` expanded)
/// and the implicit alias each nested `defmodule Inner` creates.
fn own_aliases(
    m: &ModuleNode,
    modules: &[ModuleNode],
    outer: &HashMap<String, String>,
    src: &str,
) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for nested in modules {
        let Some(rest) = nested
            .name
            .strip_prefix(&m.name)
            .and_then(|r| r.strip_prefix('.'))
        else {
            continue;
        };
        let is_direct = m.body.iter().any(|s| s.id() == nested.node.id());
        if is_direct {
            if let Some(head) = rest.split('.').next() {
                out.insert(head.to_string(), format!("{}.{head}", m.name));
            }
        }
    }
    for (short, full) in elixir::aliases(&m.body, src) {
        out.insert(short, elixir::expand_alias(&full, outer, &m.name));
    }
    out
}

/// What a DSL value is, statically.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Dsl {
    /// A literal (aliases expanded).
    Known(Value),
    /// `unquote(opts[:key])` (or a variable bound to it) inside a base
    /// module's quote.
    Option(OptionRef),
    /// `unquote(opts)`: every option of the user passed on.
    AllOptions,
    Unknown,
}

/// One option of a base module's `__using__(opts)`, with its literal default
/// (`Keyword.get(opts, :table, "items")`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct OptionRef {
    pub key: String,
    pub default: Option<Value>,
}

/// How a base module's quote can read its options.
#[derive(Debug, Clone, Default)]
pub(super) struct MacroOptions {
    /// The `opts` of `defmacro __using__(opts)`.
    pub var: Option<String>,
    /// Variables bound before the quote: `table = Keyword.fetch!(opts, :table)`.
    pub bindings: HashMap<String, OptionRef>,
}

impl MacroOptions {
    /// What `expr` reads from the macro's options, if it is one of the
    /// forms people write (`opts[:k]`, `Keyword.get/fetch!(opts, :k[, d])`,
    /// `opts[:k] || d`, a variable bound to one of them, or `opts` itself).
    fn read(&self, expr: Node, src: &str, attrs: &ModuleAttributes) -> Option<Dsl> {
        self.read_within(expr, src, attrs, 0)
    }

    fn read_within(
        &self,
        expr: Node,
        src: &str,
        attrs: &ModuleAttributes,
        depth: usize,
    ) -> Option<Dsl> {
        if depth > MAX_NESTING {
            return None;
        }
        let is_opts =
            |n: Node| n.kind() == "identifier" && Some(text(n, src)) == self.var.as_deref();
        match expr.kind() {
            "identifier" if is_opts(expr) => Some(Dsl::AllOptions),
            "identifier" => self.bindings.get(text(expr, src)).cloned().map(Dsl::Option),
            "access_call" => {
                let target = expr.child_by_field_name("target")?;
                let key = expr.child_by_field_name("key")?;
                if !is_opts(target) {
                    return None;
                }
                Some(Dsl::Option(OptionRef {
                    key: atom_name(key, src)?,
                    default: None,
                }))
            }
            "call" => {
                let name = call_name(expr, src)?;
                if !matches!(name, "Keyword.get" | "Keyword.fetch!") {
                    return None;
                }
                let args = positional_args(expr);
                let (target, key) = (args.first()?, args.get(1)?);
                if !is_opts(*target) {
                    return None;
                }
                let default = match args.get(2) {
                    Some(d) => match eval(*d, src, attrs) {
                        Value::Unknown => return None,
                        v => Some(v),
                    },
                    None => None,
                };
                Some(Dsl::Option(OptionRef {
                    key: atom_name(*key, src)?,
                    default,
                }))
            }
            "binary_operator" => {
                let op = expr.child_by_field_name("operator").map(|o| text(o, src));
                if op != Some("||") {
                    return None;
                }
                let left =
                    self.read_within(expr.child_by_field_name("left")?, src, attrs, depth + 1)?;
                let Dsl::Option(mut r) = left else {
                    return None;
                };
                match eval(expr.child_by_field_name("right")?, src, attrs) {
                    Value::Unknown => None,
                    v => {
                        r.default = Some(v);
                        Some(Dsl::Option(r))
                    }
                }
            }
            _ => None,
        }
    }
}

/// Option keys a base module's quote reads its settings from.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct OptionsRead {
    pub table: Option<String>,
    pub schema: Option<String>,
    pub repo: Option<String>,
    pub data_layer: Option<String>,
}

/// Which setting of a resource a value is for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Setting {
    Table,
    Schema,
}

/// Reading state for one module (or one base module's quote): the source,
/// the names in scope, and the unresolved things found so far.
pub(super) struct Reader<'s> {
    pub src: &'s str,
    pub module: String,
    pub aliases: HashMap<String, String>,
    pub attrs: ModuleAttributes,
    /// Set while reading the quote of a base module's `__using__`.
    pub macro_options: Option<MacroOptions>,
    pub options_read: OptionsRead,
    pub unresolved: Vec<Unresolved>,
}

impl<'s> Reader<'s> {
    pub fn new(
        src: &'s str,
        module: &str,
        aliases: HashMap<String, String>,
        attrs: ModuleAttributes,
    ) -> Self {
        Reader {
            src,
            module: module.to_string(),
            aliases,
            attrs,
            macro_options: None,
            options_read: OptionsRead::default(),
            unresolved: Vec::new(),
        }
    }

    pub fn text(&self, node: Node) -> &'s str {
        text(node, self.src)
    }

    pub fn expand(&self, written: &str) -> String {
        elixir::expand_alias(written, &self.aliases, &self.module)
    }

    pub fn unresolved(&mut self, span: Span, message: String) {
        self.unresolved.push(Unresolved { span, message });
    }

    /// What a value node is: a literal, a base-module option, or unknown.
    pub fn value(&self, node: Node) -> Dsl {
        if call_name(node, self.src) == Some("unquote") {
            let args = positional_args(node);
            let [arg] = args.as_slice() else {
                return Dsl::Unknown;
            };
            if let Some(opts) = &self.macro_options {
                if let Some(read) = opts.read(*arg, self.src, &self.attrs) {
                    return read;
                }
            }
            return self.known(*arg);
        }
        self.known(node)
    }

    fn known(&self, node: Node) -> Dsl {
        match eval(node, self.src, &self.attrs) {
            Value::Unknown => Dsl::Unknown,
            Value::Alias(a) => Dsl::Known(Value::Alias(self.expand(&a))),
            v => Dsl::Known(v),
        }
    }

    /// An entity name (`:email` in `attribute :email, :string`); records an
    /// unresolved entry when it is not a literal.
    pub fn name(&mut self, node: Node, form: &str) -> Option<String> {
        match self.value(node) {
            Dsl::Known(Value::Atom(n)) | Dsl::Known(Value::Str(n)) => Some(n),
            _ => {
                let written = collapse(self.text(node));
                self.unresolved(
                    node.byte_range(),
                    format!("`{form} {written}`: the name is not a literal, so this declaration is not checked"),
                );
                None
            }
        }
    }

    /// A literal boolean option; `Some(None)` (and an unresolved entry) when
    /// it is written but not a literal.
    pub fn bool_option(&mut self, node: Option<Node>, what: &str) -> Option<Option<bool>> {
        let node = node?;
        match self.value(node) {
            Dsl::Known(Value::Bool(b)) => Some(Some(b)),
            _ => {
                self.unresolved(
                    node.byte_range(),
                    format!("{what} is not a literal boolean; it is treated as unknown"),
                );
                Some(None)
            }
        }
    }

    /// A type as written, normalized: `:string`, `{:array, :string}`, or the
    /// alias-expanded module name. `None` when it is not a literal.
    pub fn written_type(&self, node: Node) -> Option<String> {
        self.written_type_within(node, 0)
    }

    fn written_type_within(&self, node: Node, depth: usize) -> Option<String> {
        // Real types nest a few levels; bound the recursion on hostile input.
        if depth > MAX_NESTING {
            return None;
        }
        match node.kind() {
            "atom" | "quoted_atom" => atom_name(node, self.src).map(|n| format!(":{n}")),
            "alias" => alias_name(node, self.src).map(|a| self.expand(&a)),
            "tuple" => {
                let mut cursor = node.walk();
                let items: Vec<Node> = node
                    .named_children(&mut cursor)
                    .filter(|c| c.kind() != "comment")
                    .collect();
                let parts: Vec<String> = items
                    .iter()
                    .map(|i| {
                        self.written_type_within(*i, depth + 1)
                            .unwrap_or_else(|| collapse(self.text(*i)))
                    })
                    .collect();
                Some(format!("{{{}}}", parts.join(", ")))
            }
            "call" if call_name(node, self.src) == Some("unquote") => match self.value(node) {
                Dsl::Known(Value::Atom(a)) => Some(format!(":{a}")),
                Dsl::Known(Value::Alias(a)) => Some(a),
                _ => None,
            },
            _ => None,
        }
    }

    /// A type, or `"?"` with an unresolved entry when it is not a literal.
    pub fn type_or_unknown(&mut self, node: Node, owner: &str) -> String {
        match self.written_type(node) {
            Some(t) => t,
            None => {
                let written = collapse(self.text(node));
                self.unresolved(
                    node.byte_range(),
                    format!("the type `{written}` of {owner} is not a literal; its column type is not checked"),
                );
                "?".into()
            }
        }
    }

    /// `table "x"` / `schema "s"` / `schema @table do`: a literal, a base
    /// module option (recorded in `options_read`), or unresolved.
    pub fn setting(
        &mut self,
        node: Node,
        setting: Setting,
    ) -> Option<crate::model::facts::Valued<String>> {
        use crate::model::facts::Valued;
        let span = node.byte_range();
        let what = match setting {
            Setting::Table => "table",
            Setting::Schema => "schema",
        };
        match self.value(node) {
            Dsl::Known(Value::Str(s)) | Dsl::Known(Value::Atom(s)) => {
                Some(Valued::Literal { value: s, span })
            }
            Dsl::Option(r) if self.macro_options.is_some() => {
                let slot = match setting {
                    Setting::Table => &mut self.options_read.table,
                    Setting::Schema => &mut self.options_read.schema,
                };
                *slot = Some(r.key);
                match r.default {
                    Some(Value::Str(s)) | Some(Value::Atom(s)) => {
                        Some(Valued::Literal { value: s, span })
                    }
                    _ => None,
                }
            }
            _ => {
                let written = collapse(self.text(node));
                self.unresolved(
                    span.clone(),
                    format!("the {what} name `{written}` cannot be followed statically"),
                );
                Some(Valued::Unresolved { span })
            }
        }
    }

    /// `repo MyApp.Repo`: the expanded module, a base module option, or
    /// `None` with an unresolved entry.
    pub fn repo(&mut self, node: Node) -> Option<String> {
        match self.value(node) {
            Dsl::Known(Value::Alias(a)) => Some(a),
            Dsl::Option(r) if self.macro_options.is_some() => {
                self.options_read.repo = Some(r.key);
                match r.default {
                    Some(Value::Alias(a)) => Some(self.expand(&a)),
                    _ => None,
                }
            }
            _ => {
                let written = collapse(self.text(node));
                self.unresolved(
                    node.byte_range(),
                    format!("the repo `{written}` cannot be followed statically; the resource is linked by folder"),
                );
                None
            }
        }
    }

    /// Flag statements in a DSL block that declare things we cannot follow
    /// (`for`, `if`, `unquote`, …). Returns true when the statement was one.
    pub fn dynamic_statement(&mut self, stmt: Node, block: &str) -> bool {
        const DYNAMIC: &[&str] = &[
            "for",
            "if",
            "unless",
            "case",
            "cond",
            "with",
            "unquote",
            "unquote_splicing",
            "Enum.each",
            "Enum.map",
            "Enum.reduce",
            "Enum.flat_map",
        ];
        let Some(name) = call_name(stmt, self.src) else {
            return false;
        };
        if !DYNAMIC.contains(&name) {
            return false;
        }
        self.unresolved(
            first_line(stmt, self.src),
            format!("`{name}` inside the `{block}` block is not followed; what it declares is not checked"),
        );
        true
    }
}

/// Options of a DSL entity: its keyword arguments, then the `do key value
/// end` form (later entries win when looked up with [`option`]).
pub(super) fn entity_options<'t>(call: Node<'t>, src: &str) -> Vec<(String, Node<'t>)> {
    let mut out = keyword_args(call, src);
    if do_block(call).is_some() {
        for stmt in elixir::body_statements(call, src) {
            let Some(name) = call_name(stmt, src) else {
                continue;
            };
            if let [value] = positional_args(stmt).as_slice() {
                out.push((name.to_string(), *value));
            }
        }
    }
    out
}

/// The last value given for `key`.
pub(super) fn option<'t>(options: &[(String, Node<'t>)], key: &str) -> Option<Node<'t>> {
    options
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| *v)
}

/// Source text with runs of white space collapsed to one space.
pub(super) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The span of a node's first line (for statements with a `do` block).
pub(super) fn first_line(node: Node, src: &str) -> Span {
    let range = node.byte_range();
    let end = src
        .get(range.clone())
        .and_then(|t| t.find('\n'))
        .map(|i| range.start + i)
        .unwrap_or(range.end);
    range.start..end
}

/// A resource with nothing declared yet.
/// A `belongs_to` and, unless it says `define_attribute? false`
/// (`define_field: false`), the key attribute it declares: the column
/// `column`, typed by the relationship (`"belongs_to"` until the
/// destination's key type is known).
pub(super) fn belongs_to_with_key(
    rel: BelongsToFacts,
    name_span: Span,
    column: String,
) -> (BelongsToFacts, Option<AttributeFacts>) {
    let key = rel.define_attribute.then(|| AttributeFacts {
        name: rel.attribute.clone(),
        span: rel.span.clone(),
        name_span,
        written_type: rel
            .attribute_type
            .clone()
            .unwrap_or_else(|| "belongs_to".into()),
        column,
        allow_nil: rel.allow_nil,
        primary_key: rel.primary_key,
        default: None,
        origin: AttributeOrigin::BelongsTo,
    });
    (rel, key)
}

pub(super) fn empty_resource(module: &ModuleNode, kind: ResourceKind) -> ResourceFacts {
    ResourceFacts {
        module: module.name.clone(),
        module_span: module.name_span.clone(),
        kind,
        postgres: false,
        table: None,
        schema: None,
        repo: None,
        migrate: true,
        multitenancy: None,
        multitenancy_attribute: None,
        skip_unique_indexes: Vec::new(),
        ignored_references: Vec::new(),
        postgres_span: None,
        attributes: Vec::new(),
        identities: Vec::new(),
        belongs_to: Vec::new(),
        custom_indexes: Vec::new(),
        check_constraints: Vec::new(),
        identity_index_names: BTreeMap::new(),
        extensions: Vec::new(),
        base: None,
        unresolved: Vec::new(),
    }
}

/// The compiled resource query and the capture indices the extractor reads.
struct ResourceQuery {
    query: Query,
    use_call: u32,
    use_module: u32,
    using_definition: u32,
    config_call: u32,
    config_app: u32,
    config_module: u32,
}

/// Compile the query now (it takes tens of milliseconds), so a caller can
/// overlap that with other work instead of the first extraction waiting.
pub fn warm_up() {
    let _ = resource_query();
}

fn resource_query() -> Option<&'static ResourceQuery> {
    static QUERY: OnceLock<Option<ResourceQuery>> = OnceLock::new();
    QUERY
        .get_or_init(|| {
            let query = Query::new(&tree_sitter_elixir::LANGUAGE.into(), QUERY_SOURCE).ok()?;
            let index = |name: &str| query.capture_index_for_name(name);
            let (use_call, use_module, using_definition) = (
                index("use.call")?,
                index("use.module")?,
                index("using.definition")?,
            );
            let (config_call, config_app, config_module) = (
                index("config.call")?,
                index("config.app")?,
                index("config.module")?,
            );
            Some(ResourceQuery {
                query,
                use_call,
                use_module,
                using_definition,
                config_call,
                config_app,
                config_module,
            })
        })
        .as_ref()
}

/// Matches of the resource query under `node` that capture `whole`, with the
/// nodes of the `parts` captures (in order; `None` when absent).
fn captures<'t>(
    node: Node<'t>,
    src: &str,
    whole: u32,
    parts: &[u32],
) -> Vec<(Node<'t>, Vec<Option<Node<'t>>>)> {
    let Some(q) = resource_query() else {
        return Vec::new();
    };
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(&q.query, node, src.as_bytes());
    let mut out = Vec::new();
    while let Some(m) = matches.next() {
        let Some(w) = m.captures.iter().find(|c| c.index == whole) else {
            continue;
        };
        let found = parts
            .iter()
            .map(|p| m.captures.iter().find(|c| c.index == *p).map(|c| c.node))
            .collect();
        out.push((w.node, found));
    }
    out
}

#[cfg(test)]
mod tests;
