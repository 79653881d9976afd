//! Ecto migration modules → [`MigrationFacts`]: the module, its
//! `change`/`up`/`down` functions and every migration statement they run —
//! the Ecto DSL and the SQL given to `execute` — followed through local
//! helpers, literal variables, module attributes, conditionals and loops over
//! literal lists, without running anything. What cannot be followed becomes an
//! [`Unresolved`].

mod dsl;
mod postgres;
mod raw_sql;

use crate::model::facts::{
    ColumnDef, Direction, MigrationFacts, MigrationFunction, MigrationOp, OpKind, OpSource,
    RawSqlText, Span, Spans, TableName, Unresolved,
};
use crate::syntax::elixir::{
    self, arguments, body_statements, call_name, keyword_args, positional_args, text,
    ModuleAttributes, Value,
};
use crate::syntax::sql::{parse_sql_remembered, SqlStatement};
use raw_sql::SqlText;
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use tree_sitter::{Node, Query, QueryCursor, StreamingIterator, Tree};

/// Nesting of blocks and helper calls followed before giving up.
const MAX_DEPTH: usize = 48;
/// Helper function bodies walked per file (guards against call fan-out).
const MAX_FOLLOWS: usize = 2_000;
/// Operations kept per file.
const MAX_OPS: usize = 20_000;
/// Elements of a literal list a loop is unrolled over.
const MAX_UNROLL: usize = 256;

/// The query finding `use` lines and function definitions.
fn migration_query() -> Option<&'static Query> {
    static QUERY: OnceLock<Option<Query>> = OnceLock::new();
    QUERY
        .get_or_init(|| {
            Query::new(
                &tree_sitter_elixir::LANGUAGE.into(),
                include_str!("../../queries/migration.scm"),
            )
            .ok()
        })
        .as_ref()
}

/// Compile the query now (it takes tens of milliseconds), so a caller can
/// overlap that with other work instead of the first extraction waiting.
pub fn warm_up() {
    let _ = migration_query();
}

/// Reads the SQL of an `execute` into statements.
type SqlReader = fn(&str) -> Vec<SqlStatement>;

/// Extract the operations of every migration statement in the file.
pub fn extract(src: &str, tree: &Tree) -> MigrationFacts {
    extract_with(src, tree, parse_sql_remembered)
}

/// [`extract`] for a file extracted before (an editor buffer after an
/// edit): statements whose text is unchanged are not walked again but taken
/// from `previous`, moved to where they now are. The facts are the same as
/// [`extract`]'s; the returned cache holds this text's statements, for the
/// next edit.
pub fn extract_reusing(
    src: &str,
    tree: &Tree,
    previous: Option<&StatementCache>,
) -> (MigrationFacts, StatementCache) {
    let mut cache = StatementCache::default();
    cache.walked.reserve(previous.map_or(0, |p| p.walked.len()));
    let facts = extract_into(src, tree, parse_sql_remembered, previous, Some(&mut cache));
    (facts, cache)
}

/// What walking one statement of a callback gave, when the walk read
/// nothing around the statement but module attribute values (no variable,
/// attribute definition or local function): the same text walked in the
/// same place of a callback, with the same attribute values, gives the same
/// facts, only moved.
#[derive(Debug)]
struct Walked {
    /// Where the statement started when it was walked.
    start: usize,
    /// The value of every `@name` written in the statement, when walked.
    attributes: Vec<(String, Option<Value>)>,
    ops: Vec<MigrationOp>,
    /// `first_op` counted from the statement's first operation.
    raw_sql: Vec<RawSqlText>,
    unresolved: Vec<Unresolved>,
}

/// Statements walked in one extraction of a file, by their text and where
/// they sit ([`Direction`], conditional), for [`extract_reusing`].
#[derive(Debug, Default)]
pub struct StatementCache {
    walked: foldhash::HashMap<Arc<str>, Vec<Placed>>,
}

/// A statement's walk, with the callback direction and conditionality it
/// was walked under.
type Placed = (Direction, bool, Arc<Walked>);

impl StatementCache {
    fn get(
        &self,
        text: &str,
        direction: Direction,
        conditional: bool,
        attrs: &ModuleAttributes,
    ) -> Option<(&Arc<str>, &Arc<Walked>)> {
        let (key, list) = self.walked.get_key_value(text)?;
        list.iter()
            .find(|(d, c, w)| {
                *d == direction
                    && *c == conditional
                    && w.attributes
                        .iter()
                        .all(|(name, value)| attrs.get(name) == value.as_ref())
            })
            .map(|(_, _, w)| (key, w))
    }

    fn insert(
        &mut self,
        text: Arc<str>,
        direction: Direction,
        conditional: bool,
        walked: Arc<Walked>,
    ) {
        let list = self.walked.entry(text).or_default();
        if !list.iter().any(|(d, c, w)| {
            *d == direction && *c == conditional && w.attributes == walked.attributes
        }) {
            list.push((direction, conditional, walked));
        }
    }
}

/// [`extract`] with the SQL reader given (tests use a stand-in).
fn extract_with(src: &str, tree: &Tree, read_sql: SqlReader) -> MigrationFacts {
    extract_into(src, tree, read_sql, None, None)
}

fn extract_into(
    src: &str,
    tree: &Tree,
    read_sql: SqlReader,
    previous: Option<&StatementCache>,
    next: Option<&mut StatementCache>,
) -> MigrationFacts {
    let mut facts = MigrationFacts::default();
    let modules = elixir::modules(tree, src);
    // `use` lines and callbacks count only as direct statements of a module
    // body, so the query runs on those alone, never over the whole tree.
    let scans: Vec<Scan> = modules.iter().map(|m| scan(&m.body, src)).collect();
    let uses_migration = |i: usize| {
        scans
            .get(i)
            .is_some_and(|scan| scan.uses.iter().any(|module| module == "Ecto.Migration"))
    };
    let migration_modules: Vec<usize> = (0..modules.len()).filter(|i| uses_migration(*i)).collect();
    let chosen = match migration_modules.first() {
        Some(i) => *i,
        None if modules.is_empty() => return facts,
        None => 0,
    };
    let Some(module) = modules.get(chosen) else {
        return facts;
    };
    for other in migration_modules.iter().skip(1) {
        if let Some(m) = modules.get(*other) {
            facts.unresolved.push(Unresolved {
                span: m.name_span.clone(),
                message: format!(
                    "migration module {} is not indexed: only the first migration module of a file is",
                    m.name
                ),
            });
        }
    }
    facts.module = Some(module.name.clone());
    facts.module_span = Some(module.name_span.clone());
    facts.uses_ecto_migration = uses_migration(chosen);

    let functions: Vec<FunctionDef> = scans
        .get(chosen)
        .map(|scan| {
            scan.functions
                .iter()
                .map(|(def, name)| FunctionDef::read(*def, name.clone(), src))
                .collect()
        })
        .unwrap_or_default();

    let mut ex = Extractor {
        src,
        read_sql,
        attrs: ModuleAttributes::collect(&module.body, src),
        attr_defs: attribute_definitions(&module.body, src),
        functions,
        facts,
        active: Vec::new(),
        reached: HashSet::new(),
        open_tables: Vec::new(),
        follows: 0,
        over_budget: false,
        context_read: Cell::new(false),
        previous,
        next,
    };
    ex.run();
    let mut facts = ex.facts;
    dedup_unresolved(&mut facts.unresolved);
    facts
}

/// What the query found among a module body's statements.
#[derive(Default)]
struct Scan<'t> {
    /// The modules of `use X` lines, as written.
    uses: Vec<String>,
    /// `def`/`defp` calls with the function name.
    functions: Vec<(Node<'t>, String)>,
}

/// Match the query against each statement itself (start depth 0): what
/// nests inside a statement is not a `use` line or callback of the module.
fn scan<'t>(statements: &[Node<'t>], src: &str) -> Scan<'t> {
    let mut out = Scan::default();
    let Some(query) = migration_query() else {
        return out;
    };
    let names = query.capture_names();
    let mut cursor = QueryCursor::new();
    cursor.set_max_start_depth(Some(0));
    let mut seen = HashSet::new();
    for stmt in statements {
        let mut matches = cursor.matches(query, *stmt, src.as_bytes());
        while let Some(m) = matches.next() {
            let mut use_call = false;
            let mut use_module = None;
            let mut function = None;
            let mut function_name = None;
            for capture in m.captures {
                match names.get(capture.index as usize).copied() {
                    Some("migration.use") => use_call = true,
                    Some("migration.use.module") => use_module = Some(capture.node),
                    Some("migration.function") => function = Some(capture.node),
                    Some("migration.function.name") => function_name = Some(capture.node),
                    _ => {}
                }
            }
            if let (true, Some(module)) = (use_call, use_module) {
                out.uses
                    .push(text(module, src).split_whitespace().collect::<String>());
            }
            if let (Some(def), Some(name)) = (function, function_name) {
                if seen.insert(def.id()) {
                    out.functions.push((def, text(name, src).to_string()));
                }
            }
        }
    }
    out
}

/// `@name value` definitions of a module body, in order, with their value
/// nodes (SQL in an attribute is read from its source for span mapping).
fn attribute_definitions<'t>(
    body: &[Node<'t>],
    src: &str,
) -> HashMap<String, Vec<(usize, Node<'t>)>> {
    let mut out: HashMap<String, Vec<(usize, Node<'t>)>> = HashMap::new();
    for stmt in body {
        if stmt.kind() != "unary_operator" || !text(*stmt, src).starts_with('@') {
            continue;
        }
        let Some(operand) = stmt.child_by_field_name("operand") else {
            continue;
        };
        let Some(name) = call_name(operand, src) else {
            continue;
        };
        if let [value] = positional_args(operand).as_slice() {
            out.entry(name.to_string())
                .or_default()
                .push((stmt.start_byte(), *value));
        }
    }
    out
}

/// The `name` of every `@name` in `text` (in code, strings or comments
/// alike: one too many only makes reuse rarer).
fn attribute_names(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for (at, _) in text.match_indices('@') {
        let rest = text.get(at + 1..).unwrap_or_default();
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = rest.get(..end).unwrap_or_default();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

fn dedup_unresolved(list: &mut Vec<Unresolved>) {
    let mut seen = HashSet::new();
    list.retain(|u| seen.insert((u.span.start, u.span.end, u.message.clone())));
}

/// One `def`/`defp` clause of the migration module.
#[derive(Debug, Clone)]
struct FunctionDef<'t> {
    name: String,
    node: Node<'t>,
    params: Vec<Param<'t>>,
    body: Vec<Node<'t>>,
    /// Has a `when` guard: it may not match.
    guarded: bool,
}

#[derive(Debug, Clone)]
struct Param<'t> {
    /// The variable name, when the parameter is a plain variable.
    name: Option<String>,
    /// `name \\ default`.
    default: Option<Node<'t>>,
}

impl<'t> FunctionDef<'t> {
    fn read(def: Node<'t>, name: String, src: &str) -> Self {
        let mut head = positional_args(def).into_iter().next();
        let mut guarded = false;
        if let Some(h) = head {
            if h.kind() == "binary_operator" && operator(h, src) == Some("when") {
                head = h.child_by_field_name("left");
                guarded = true;
            }
        }
        let params = match head {
            Some(h) if h.kind() == "call" => positional_args(h)
                .into_iter()
                .map(|p| Param::read(p, src))
                .collect(),
            _ => Vec::new(),
        };
        FunctionDef {
            name,
            node: def,
            params,
            body: body_statements(def, src),
            guarded,
        }
    }

    fn accepts(&self, arity: usize) -> bool {
        let required = self.params.iter().filter(|p| p.default.is_none()).count();
        arity >= required && arity <= self.params.len()
    }

    fn is_callback(&self) -> bool {
        self.params.is_empty() && matches!(self.name.as_str(), "change" | "up" | "down")
    }
}

impl<'t> Param<'t> {
    fn read(node: Node<'t>, src: &str) -> Self {
        match node.kind() {
            "identifier" => Param {
                name: Some(text(node, src).to_string()),
                default: None,
            },
            "binary_operator" if operator(node, src) == Some("\\\\") => {
                let left = node.child_by_field_name("left");
                Param {
                    name: left
                        .filter(|l| l.kind() == "identifier")
                        .map(|l| text(l, src).to_string()),
                    default: node.child_by_field_name("right"),
                }
            }
            _ => Param {
                name: None,
                default: None,
            },
        }
    }
}

/// The operator of a `binary_operator` node (`=`, `<-`, `|>`, `when`).
fn operator<'s>(node: Node, src: &'s str) -> Option<&'s str> {
    node.child_by_field_name("operator").map(|o| text(o, src))
}

/// A variable's statically known content.
#[derive(Debug, Clone)]
struct Binding {
    value: Value,
    /// The string as SQL text mapped to where it is written.
    sql: Option<SqlText>,
    /// The elements, when it is a literal list (for loop unrolling).
    elements: Option<Vec<Binding>>,
}

impl Binding {
    fn unknown() -> Self {
        Binding {
            value: Value::Unknown,
            sql: None,
            elements: None,
        }
    }
}

/// Local variables with literal values (`table = "events"`).
#[derive(Debug, Clone, Default)]
struct Scope {
    vars: HashMap<String, Binding>,
}

impl Scope {
    fn get(&self, name: &str) -> Option<&Binding> {
        self.vars.get(name)
    }
}

/// The `create table`/`alter table` block statements sit in.
#[derive(Debug, Clone)]
struct TableFrame {
    table: TableName,
    /// Index into `Extractor::open_tables` inside `create table`.
    create_slot: Option<usize>,
    /// Whether the block itself was conditional.
    conditional: bool,
}

/// Where a statement sits: which callback runs it, whether it may not run,
/// the variables known there, the table block around it.
#[derive(Debug, Clone)]
struct Ctx {
    direction: Direction,
    conditional: bool,
    scope: Scope,
    table: Option<TableFrame>,
    depth: usize,
}

impl Ctx {
    fn top(direction: Direction) -> Self {
        Ctx {
            direction,
            conditional: false,
            scope: Scope::default(),
            table: None,
            depth: 0,
        }
    }

    fn nested(&self) -> Self {
        let mut inner = self.clone();
        inner.depth += 1;
        inner
    }

    fn branch(&self) -> Self {
        let mut inner = self.nested();
        inner.conditional = true;
        inner
    }
}

struct Extractor<'s, 't> {
    src: &'s str,
    read_sql: SqlReader,
    attrs: ModuleAttributes,
    attr_defs: HashMap<String, Vec<(usize, Node<'t>)>>,
    functions: Vec<FunctionDef<'t>>,
    facts: MigrationFacts,
    /// Functions being walked (recursion guard).
    active: Vec<usize>,
    /// Functions walked from a callback.
    reached: HashSet<usize>,
    /// Columns of the `create table` blocks being walked.
    open_tables: Vec<Vec<ColumnDef>>,
    follows: usize,
    over_budget: bool,
    /// Set when a walk reads what surrounds its statement: a variable, a
    /// module attribute, the local functions (even to learn a name is not
    /// one), or binds a variable for the statements after it.
    context_read: Cell<bool>,
    /// Statements walked by an earlier extraction of this file.
    previous: Option<&'s StatementCache>,
    /// Where this extraction's statements are kept, when asked to.
    next: Option<&'s mut StatementCache>,
}

impl<'s, 't> Extractor<'s, 't> {
    fn run(&mut self) {
        let callbacks: Vec<usize> = (0..self.functions.len())
            .filter(|i| self.functions.get(*i).is_some_and(FunctionDef::is_callback))
            .collect();
        for i in &callbacks {
            let Some(f) = self.functions.get(*i) else {
                continue;
            };
            let direction = match f.name.as_str() {
                "change" => Direction::Change,
                "up" => Direction::Up,
                _ => Direction::Down,
            };
            let (id, body) = (f.node.id(), f.body.clone());
            self.facts.functions.push(MigrationFunction {
                name: f.name.clone(),
                span: f.node.byte_range(),
            });
            self.active.push(id);
            self.walk_top(&body, &mut Ctx::top(direction));
            self.active.pop();
        }
        // Helpers no callback reaches still say what they would do.
        for i in 0..self.functions.len() {
            let Some(f) = self.functions.get(i) else {
                continue;
            };
            if callbacks.contains(&i) || self.reached.contains(&f.node.id()) {
                continue;
            }
            let body = f.body.clone();
            let mut ctx = Ctx::top(Direction::Other);
            ctx.conditional = f.guarded;
            self.walk_top(&body, &mut ctx);
        }
    }

    /// The statements of a function body walked from the top, each taken
    /// from the previous extraction when it was walked there already.
    fn walk_top(&mut self, statements: &[Node<'t>], ctx: &mut Ctx) {
        let caching = self.previous.is_some() || self.next.is_some();
        for stmt in statements {
            let statement = *stmt;
            if !caching || statement.has_error() {
                self.walk_statement(statement, ctx);
                continue;
            }
            let src = self.src;
            let Some(text) = src.get(statement.byte_range()) else {
                self.walk_statement(statement, ctx);
                continue;
            };
            let kept = self
                .previous
                .and_then(|p| p.get(text, ctx.direction, ctx.conditional, &self.attrs))
                .map(|(key, walked)| (key.clone(), walked.clone()));
            if let Some((key, walked)) = kept {
                if self.replay(&walked, statement.start_byte()) {
                    if let Some(next) = self.next.as_deref_mut() {
                        next.insert(key, ctx.direction, ctx.conditional, walked);
                    }
                    continue;
                }
            }
            let (ops, raw_sql, unresolved) = (
                self.facts.ops.len(),
                self.facts.raw_sql.len(),
                self.facts.unresolved.len(),
            );
            let was_over = self.over_budget;
            self.context_read.set(false);
            self.walk_statement(statement, ctx);
            let pure = !self.context_read.get() && !self.over_budget;
            if !pure || was_over {
                continue;
            }
            let Some(next) = self.next.as_deref_mut() else {
                continue;
            };
            let walked = Walked {
                start: statement.start_byte(),
                attributes: attribute_names(text)
                    .into_iter()
                    .map(|name| (name.to_string(), self.attrs.get(name).cloned()))
                    .collect(),
                ops: self.facts.ops.get(ops..).unwrap_or_default().to_vec(),
                raw_sql: self
                    .facts
                    .raw_sql
                    .get(raw_sql..)
                    .unwrap_or_default()
                    .iter()
                    .map(|r| RawSqlText {
                        first_op: r.first_op.saturating_sub(ops),
                        ..r.clone()
                    })
                    .collect(),
                unresolved: self
                    .facts
                    .unresolved
                    .get(unresolved..)
                    .unwrap_or_default()
                    .to_vec(),
            };
            next.insert(
                Arc::from(text),
                ctx.direction,
                ctx.conditional,
                Arc::new(walked),
            );
        }
    }

    /// Add what a statement gave when walked at another offset, moved to
    /// `start`; false (nothing added) when it would go over the budgets.
    fn replay(&mut self, walked: &Walked, start: usize) -> bool {
        if self.facts.ops.len() + walked.ops.len() >= MAX_OPS
            || self.facts.raw_sql.len() + walked.raw_sql.len() >= MAX_OPS
        {
            return false;
        }
        let by = start as isize - walked.start as isize;
        let first = self.facts.ops.len();
        self.facts.ops.extend(walked.ops.iter().map(|op| {
            let mut op = op.clone();
            op.move_by(by);
            op
        }));
        self.facts.raw_sql.extend(walked.raw_sql.iter().map(|r| {
            let mut r = r.clone();
            r.move_by(by);
            r.first_op += first;
            r
        }));
        self.facts
            .unresolved
            .extend(walked.unresolved.iter().map(|u| {
                let mut u = u.clone();
                u.move_by(by);
                u
            }));
        true
    }

    /// A variable as the statement sees it (marks the walk as reading
    /// around its statement).
    fn var<'a>(&self, scope: &'a Scope, name: &str) -> Option<&'a Binding> {
        self.context_read.set(true);
        scope.get(name)
    }

    /// Whether `name` is a function of this module (marks the walk as
    /// reading around its statement: the answer depends on the module).
    fn is_local_function(&self, name: &str) -> bool {
        self.context_read.set(true);
        self.functions.iter().any(|f| f.name == name)
    }

    fn walk_body(&mut self, statements: &[Node<'t>], ctx: &mut Ctx) {
        for stmt in statements {
            self.walk_statement(*stmt, ctx);
        }
    }

    fn walk_statement(&mut self, node: Node<'t>, ctx: &mut Ctx) {
        if ctx.depth > MAX_DEPTH {
            self.unresolved(node, "statements nested this deeply are not followed");
            return;
        }
        match node.kind() {
            "call" => self.walk_call(node, ctx),
            "binary_operator" => self.walk_operator(node, ctx),
            "block" => {
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                self.walk_body(&children, ctx);
            }
            _ => {}
        }
    }

    fn walk_call(&mut self, node: Node<'t>, ctx: &mut Ctx) {
        let Some(name) = call_name(node, self.src) else {
            return;
        };
        // `Ecto.Migration.execute(…)` written out in full is the same DSL.
        let name = name.strip_prefix("Ecto.Migration.").unwrap_or(name);
        let verb = node
            .child_by_field_name("target")
            .map(|t| t.byte_range())
            .unwrap_or_else(|| node.byte_range());
        match name {
            "create" | "create_if_not_exists" => {
                self.create(node, verb, name == "create_if_not_exists", ctx)
            }
            "alter" => self.alter(node, ctx),
            "drop" | "drop_if_exists" => self.drop(node, verb, name == "drop_if_exists", ctx),
            "rename" => self.rename(node, verb, ctx),
            "execute" => self.execute(node, verb, ctx),
            "execute_file" => self.unresolved(
                node,
                "`execute_file` runs SQL from a file, which is not read",
            ),
            "add" | "add_if_not_exists" | "remove" | "remove_if_exists" | "modify"
            | "timestamps" => {
                if let Some(frame) = ctx.table.clone() {
                    self.column_statement(node, verb, name, &frame, ctx);
                }
            }
            "if" | "unless" | "case" | "cond" | "with" | "try" | "receive" => {
                self.walk_branches(node, ctx)
            }
            "for" => self.walk_for(node, ctx),
            "Enum.each" | "Enum.map" => self.walk_each(node, None, ctx),
            "flush" => {}
            _ if name.ends_with(".query") || name.ends_with(".query!") => {
                self.query(node, name, verb, ctx)
            }
            _ if !name.contains('.') && self.is_local_function(name) => {
                let name = name.to_string();
                let args = self.call_arguments(node, &ctx.scope);
                self.follow(&name, args, node, ctx);
            }
            _ => self.foreign_call(node, name, ctx),
        }
    }

    /// A call to a function this file does not define: another module's
    /// (`Oban.Migrations.up()`, `StatusEnum.create_type()`) or an imported
    /// one (`create_hypertable(:events, :at)`). When its name says it changes
    /// the schema, what it does is unknown: say so once, at the call. Data
    /// work (`Repo.update_all`, changesets, logging) changes no table.
    fn foreign_call(&mut self, node: Node<'t>, name: &str, ctx: &Ctx) {
        // The model folds `change`/`up`; a rollback's library call adds nothing.
        if ctx.direction == Direction::Down {
            return;
        }
        let (module, function) = match name.rsplit_once('.') {
            Some((module, function)) => (Some(module), function),
            None => (None, name),
        };
        if module.is_some_and(changes_no_schema) || !changes_schema(module, function) {
            return;
        }
        let call = self.snippet(&node.byte_range());
        let message = match module {
            Some(_) => format!(
                "`{call}` runs schema changes in another module, which is not read; what it creates is not in the model"
            ),
            None => format!(
                "`{call}` is not an Ecto.Migration function: it comes from an imported module, which is not read; what it changes is not in the model"
            ),
        };
        self.unresolved(node, message);
    }

    fn walk_operator(&mut self, node: Node<'t>, ctx: &mut Ctx) {
        let (Some(left), Some(right)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
            return;
        };
        match operator(node, self.src) {
            Some("=") => {
                // What it binds is read by the statements after it.
                self.context_read.set(true);
                self.walk_statement(right, ctx);
                if left.kind() == "identifier" {
                    let binding = self.binding(right, &ctx.scope);
                    ctx.scope
                        .vars
                        .insert(text(left, self.src).to_string(), binding);
                } else {
                    self.forget_pattern(left, &mut ctx.scope);
                }
            }
            Some("|>") => {
                if matches!(call_name(right, self.src), Some("Enum.each" | "Enum.map")) {
                    self.walk_each(right, Some(left), ctx);
                }
            }
            _ => {}
        }
    }

    /// `if`/`unless`/`case`/`cond`/`with`/`try`/`receive`, and loops we do
    /// not unroll: every branch is walked as conditional.
    fn walk_branches(&mut self, node: Node<'t>, ctx: &Ctx) {
        let mut base = ctx.branch();
        if let Some(args) = arguments(node) {
            let mut cursor = args.walk();
            for arg in args.named_children(&mut cursor) {
                if arg.kind() == "binary_operator" && operator(arg, self.src) == Some("<-") {
                    if let Some(pattern) = arg.child_by_field_name("left") {
                        self.forget_pattern(pattern, &mut base.scope);
                    }
                }
            }
        }
        let Some(block) = elixir::do_block(node) else {
            // `if x, do: a, else: b`
            for (key, value) in keyword_args(node, self.src) {
                if key == "do" || key == "else" {
                    let mut inner = base.clone();
                    self.walk_statement(value, &mut inner);
                }
            }
            return;
        };
        let mut sequence = base.clone();
        let mut cursor = block.walk();
        let children: Vec<Node<'t>> = block.named_children(&mut cursor).collect();
        for child in children {
            match child.kind() {
                "stab_clause" => self.walk_clause(child, &base),
                "else_block" | "after_block" | "rescue_block" | "catch_block" => {
                    let mut inner = base.clone();
                    let mut c2 = child.walk();
                    let parts: Vec<Node<'t>> = child.named_children(&mut c2).collect();
                    for part in parts {
                        if part.kind() == "stab_clause" {
                            self.walk_clause(part, &base);
                        } else {
                            self.walk_statement(part, &mut inner);
                        }
                    }
                }
                _ => self.walk_statement(child, &mut sequence),
            }
        }
    }

    /// One `pattern -> body` clause; the pattern's variables shadow outer ones.
    fn walk_clause(&mut self, clause: Node<'t>, base: &Ctx) {
        let mut inner = base.nested();
        if let Some(pattern) = clause.child_by_field_name("left") {
            self.forget_pattern(pattern, &mut inner.scope);
        }
        if let Some(body) = clause.child_by_field_name("right") {
            let mut cursor = body.walk();
            let statements: Vec<Node<'t>> = body.named_children(&mut cursor).collect();
            self.walk_body(&statements, &mut inner);
        }
    }

    /// `for x <- [literal list] do … end` is unrolled; other comprehensions
    /// are walked once as conditional.
    fn walk_for(&mut self, node: Node<'t>, ctx: &Ctx) {
        let only_do = keyword_args(node, self.src).iter().all(|(k, _)| k == "do");
        if let ([generator], true) = (positional_args(node).as_slice(), only_do) {
            if let Some((var, list)) = self.generator(*generator) {
                if let Some(elements) = self.loop_elements(list, &ctx.scope) {
                    let body = body_statements(node, self.src);
                    for element in elements {
                        let mut inner = ctx.nested();
                        inner.scope.vars.insert(var.clone(), element);
                        self.walk_body(&body, &mut inner);
                    }
                    return;
                }
            }
        }
        self.walk_branches(node, ctx);
    }

    /// `var <- list` → (var, list).
    fn generator(&self, node: Node<'t>) -> Option<(String, Node<'t>)> {
        if node.kind() != "binary_operator" || operator(node, self.src) != Some("<-") {
            return None;
        }
        let left = node.child_by_field_name("left")?;
        let right = node.child_by_field_name("right")?;
        (left.kind() == "identifier").then(|| (text(left, self.src).to_string(), right))
    }

    fn loop_elements(&self, list: Node<'t>, scope: &Scope) -> Option<Vec<Binding>> {
        self.list_elements(list, scope, 0)
            .filter(|elements| elements.len() <= MAX_UNROLL)
    }

    /// `Enum.each(list, fn x -> … end)`, `list |> Enum.each(&helper/1)`.
    fn walk_each(&mut self, node: Node<'t>, piped: Option<Node<'t>>, ctx: &Ctx) {
        let args = positional_args(node);
        let (list, function) = match (piped, args.as_slice()) {
            (Some(list), [function]) => (list, *function),
            (None, [list, function]) => (*list, *function),
            _ => return,
        };
        let elements = self.loop_elements(list, &ctx.scope);
        match function.kind() {
            "anonymous_function" => {
                let mut cursor = function.walk();
                let clauses: Vec<Node<'t>> = function
                    .named_children(&mut cursor)
                    .filter(|c| c.kind() == "stab_clause")
                    .collect();
                if let ([clause], Some(elements)) = (clauses.as_slice(), elements) {
                    if let Some(param) = self.single_param(*clause) {
                        let body = clause_body(*clause);
                        for element in elements {
                            let mut inner = ctx.nested();
                            inner.scope.vars.insert(param.clone(), element);
                            self.walk_body(&body, &mut inner);
                        }
                        return;
                    }
                }
                let base = ctx.branch();
                for clause in clauses {
                    self.walk_clause(clause, &base);
                }
            }
            "unary_operator" => {
                let Some(name) = self.captured_local(function) else {
                    return;
                };
                match elements {
                    Some(elements) => {
                        for element in elements {
                            self.follow(&name, vec![element], function, ctx);
                        }
                    }
                    None => self.follow(&name, vec![Binding::unknown()], function, &ctx.branch()),
                }
            }
            _ => {}
        }
    }

    /// The one plain-variable parameter of `fn x -> … end`.
    fn single_param(&self, clause: Node<'t>) -> Option<String> {
        let params = clause.child_by_field_name("left")?;
        let mut cursor = params.walk();
        let named: Vec<Node<'t>> = params.named_children(&mut cursor).collect();
        match named.as_slice() {
            [p] if p.kind() == "identifier" => Some(text(*p, self.src).to_string()),
            _ => None,
        }
    }

    /// `&helper/1` naming a local function.
    fn captured_local(&self, node: Node<'t>) -> Option<String> {
        if !text(node, self.src).starts_with('&') {
            return None;
        }
        let operand = node.child_by_field_name("operand")?;
        if operand.kind() != "binary_operator" || operator(operand, self.src) != Some("/") {
            return None;
        }
        let name = operand.child_by_field_name("left")?;
        (name.kind() == "identifier").then(|| text(name, self.src).to_string())
    }

    /// Bindings for the arguments of a local call, evaluated where it is made.
    fn call_arguments(&self, call: Node<'t>, scope: &Scope) -> Vec<Binding> {
        let mut out: Vec<Binding> = positional_args(call)
            .into_iter()
            .map(|a| self.binding(a, scope))
            .collect();
        let trailing_keywords = arguments(call).and_then(|args| {
            let mut cursor = args.walk();
            let last = args
                .named_children(&mut cursor)
                .filter(|c| c.kind() != "comment")
                .last();
            last.filter(|l| l.kind() == "keywords")
        });
        if let Some(keywords) = trailing_keywords {
            let pairs = elixir::keyword_pairs(keywords, self.src)
                .into_iter()
                .map(|(k, v)| (k, self.value(v, scope)))
                .collect();
            out.push(Binding {
                value: Value::Keyword(pairs),
                sql: None,
                elements: None,
            });
        }
        out
    }

    /// Walk a local function's body for a call made in `ctx`, its parameters
    /// bound to the arguments. Several clauses are each walked as conditional.
    fn follow(&mut self, name: &str, args: Vec<Binding>, at: Node<'t>, ctx: &Ctx) {
        self.context_read.set(true);
        // Helpers walk on their own when no callback reaches them.
        if ctx.direction == Direction::Other {
            return;
        }
        let candidates: Vec<usize> = (0..self.functions.len())
            .filter(|i| {
                self.functions
                    .get(*i)
                    .is_some_and(|f| f.name == name && f.accepts(args.len()))
            })
            .collect();
        let several = candidates.len() > 1;
        for i in candidates {
            let Some(f) = self.functions.get(i) else {
                continue;
            };
            let id = f.node.id();
            if self.active.contains(&id) {
                continue;
            }
            if self.follows >= MAX_FOLLOWS {
                self.unresolved(at, "too many helper calls to follow in one migration");
                return;
            }
            self.follows += 1;
            self.reached.insert(id);
            let (params, body, guarded) = (f.params.clone(), f.body.clone(), f.guarded);
            let mut inner = ctx.nested();
            inner.conditional = ctx.conditional || several || guarded;
            inner.scope = Scope::default();
            for (k, param) in params.iter().enumerate() {
                let Some(pname) = &param.name else {
                    continue;
                };
                let binding = match (args.get(k), param.default) {
                    (Some(_), _) if several => continue,
                    (Some(b), _) => b.clone(),
                    (None, Some(default)) => self.binding(default, &Scope::default()),
                    (None, None) => continue,
                };
                inner.scope.vars.insert(pname.clone(), binding);
            }
            self.active.push(id);
            self.walk_body(&body, &mut inner);
            self.active.pop();
        }
    }

    /// Variables bound by a pattern no longer hold what we knew of them.
    fn forget_pattern(&self, pattern: Node<'t>, scope: &mut Scope) {
        self.context_read.set(true);
        if pattern.kind() == "identifier" {
            scope.vars.remove(text(pattern, self.src));
            return;
        }
        let mut cursor = pattern.walk();
        let children: Vec<Node<'t>> = pattern.named_children(&mut cursor).collect();
        for child in children {
            self.forget_pattern(child, scope);
        }
    }

    /// What a node is bound to when assigned to a variable or passed to a helper.
    fn binding(&self, node: Node<'t>, scope: &Scope) -> Binding {
        Binding {
            value: self.value(node, scope),
            sql: self.sql_text(node, scope, 0).ok(),
            elements: self.list_elements(node, scope, 0),
        }
    }

    /// The elements of a literal list (directly, through a variable or an
    /// attribute), each with what is known of it.
    fn list_elements(&self, node: Node<'t>, scope: &Scope, depth: usize) -> Option<Vec<Binding>> {
        if depth > 8 {
            return None;
        }
        match node.kind() {
            "list" => {
                let mut cursor = node.walk();
                let mut out = Vec::new();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "comment" => {}
                        "keywords" => return None,
                        _ => out.push(Binding {
                            value: self.value(child, scope),
                            sql: self.sql_text(child, scope, 0).ok(),
                            elements: None,
                        }),
                    }
                }
                Some(out)
            }
            "identifier" => self.var(scope, text(node, self.src))?.elements.clone(),
            "unary_operator" => {
                let name = attribute_read(node, self.src)?;
                let def = self.attribute_node(name, node.start_byte())?;
                self.list_elements(def, &Scope::default(), depth + 1)
            }
            "sigil" => match self.value(node, scope) {
                Value::List(items) => Some(
                    items
                        .into_iter()
                        .map(|value| Binding {
                            value,
                            sql: None,
                            elements: None,
                        })
                        .collect(),
                ),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value node of the last `@name` definition before `before`.
    fn attribute_node(&self, name: &str, before: usize) -> Option<Node<'t>> {
        self.context_read.set(true);
        self.attr_defs
            .get(name)?
            .iter()
            .rev()
            .find(|(at, _)| *at < before)
            .map(|(_, node)| *node)
    }

    /// A literal value, reading local variables as well as what
    /// [`elixir::eval`] knows (literals, module attributes).
    fn value(&self, node: Node<'t>, scope: &Scope) -> Value {
        let lookup = |n: Node| match n.kind() {
            "identifier" => Some(
                self.var(scope, text(n, self.src))
                    .map(|b| b.value.clone())
                    .unwrap_or(Value::Unknown),
            ),
            // Strings read interpolated variables and `@attr` definitions
            // as they stand at that point of the module.
            "string" => Some(
                self.string_value(n, scope)
                    .map_or(Value::Unknown, Value::Str),
            ),
            "sigil" if sigil_name(n, self.src) == Some("s") => Some(
                self.string_value(n, scope)
                    .map_or(Value::Unknown, Value::Str),
            ),
            _ => None,
        };
        elixir::eval_with(node, self.src, &self.attrs, &lookup)
    }

    /// A string's content with escapes decoded and interpolations filled in.
    fn string_value(&self, node: Node<'t>, scope: &Scope) -> Option<String> {
        let mut out = String::new();
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            match child.kind() {
                "quoted_content" => out.push_str(text(child, self.src)),
                "escape_sequence" => out.push_str(&elixir::decode_escape(text(child, self.src))),
                "interpolation" => {
                    let inner = single_named_child(child)?;
                    out.push_str(&interpolated_text(&self.value(inner, scope))?);
                }
                _ => {}
            }
        }
        Some(out)
    }

    fn push_op(&mut self, span: Span, verb_span: Span, ctx: &Ctx, source: OpSource, kind: OpKind) {
        if self.facts.ops.len() >= MAX_OPS {
            if !self.over_budget {
                self.over_budget = true;
                self.facts.unresolved.push(Unresolved {
                    span,
                    message: format!("more than {MAX_OPS} statements: the rest are not indexed"),
                });
            }
            return;
        }
        self.facts.ops.push(MigrationOp {
            span,
            verb_span,
            direction: ctx.direction,
            conditional: ctx.conditional,
            source,
            kind,
        });
    }

    fn unresolved(&mut self, node: Node<'t>, message: impl Into<String>) {
        let u = self.unresolved_at(node.byte_range(), message);
        self.facts.unresolved.push(u);
    }

    fn unresolved_at(&self, span: Span, message: impl Into<String>) -> Unresolved {
        Unresolved {
            span,
            message: message.into(),
        }
    }

    /// Source text for a message: one line, at most 60 characters.
    fn snippet(&self, span: &Span) -> String {
        let raw = self.src.get(span.clone()).unwrap_or("");
        let flat: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if flat.chars().count() > 60 {
            let cut: String = flat.chars().take(57).collect();
            format!("{cut}…")
        } else {
            flat
        }
    }
}

/// Modules whose functions read or write rows, log, or compute, but never
/// change the schema (a repo's data functions, changesets, the standard
/// library). `repo().query!` is read as SQL before this is asked.
fn changes_no_schema(module: &str) -> bool {
    const PLAIN: &[&str] = &[
        "Application",
        "Base",
        "Code",
        "Date",
        "DateTime",
        "Ecto.Changeset",
        "Ecto.Multi",
        "Ecto.Query",
        "Enum",
        "File",
        "Integer",
        "IO",
        "Jason",
        "Kernel",
        "Keyword",
        "List",
        "Logger",
        "Map",
        "MapSet",
        "Mix",
        "NaiveDateTime",
        "Path",
        "Process",
        "Stream",
        "String",
        "System",
        "Task",
        "Time",
        "Tuple",
        "URI",
    ];
    let last = module.rsplit('.').next().unwrap_or(module);
    PLAIN.contains(&module)
        || module.starts_with(':')
        || module == "repo()"
        || last.ends_with("Repo")
}

/// Whether a call changes the schema by its name: anything in a module
/// named for migrations (`Oban.Migrations.up`, `MyApp.MigrationHelpers.…`),
/// a migration entry point (`up`, `down`, `change`, `migrate`), or a DDL verb
/// with a schema object (`create_type`, `add_compression_policy`,
/// `drop_audit_trigger`). Data helpers (`create_user`, `add_default_plan`)
/// do not.
fn changes_schema(module: Option<&str>, function: &str) -> bool {
    const ENTRY_POINTS: &[&str] = &["up", "down", "change", "migrate", "install", "uninstall"];
    const VERBS: &[&str] = &[
        "create",
        "drop",
        "alter",
        "add",
        "remove",
        "rename",
        "enable",
        "disable",
        "install",
        "uninstall",
        "attach",
        "detach",
        "setup",
        "execute",
        "refresh",
    ];
    const OBJECTS: &[&str] = &[
        "table",
        "tables",
        "index",
        "indexes",
        "type",
        "types",
        "enum",
        "enums",
        "trigger",
        "triggers",
        "function",
        "functions",
        "view",
        "views",
        "extension",
        "extensions",
        "schema",
        "schemas",
        "column",
        "columns",
        "constraint",
        "constraints",
        "hypertable",
        "policy",
        "compression",
        "partition",
        "partitions",
        "sequence",
        "aggregate",
        "publication",
        "ddl",
        "sql",
    ];
    if module.is_some_and(|m| m.split('.').any(|part| part.contains("Migration"))) {
        return true;
    }
    if ENTRY_POINTS.contains(&function) {
        return true;
    }
    let mut words = function.trim_end_matches(['!', '?']).split('_');
    words.next().is_some_and(|verb| VERBS.contains(&verb)) && words.any(|w| OBJECTS.contains(&w))
}

/// `@name` read → `name`.
fn attribute_read<'s>(node: Node, src: &'s str) -> Option<&'s str> {
    let name = text(node, src).strip_prefix('@')?.trim();
    name.chars()
        .all(|c| c.is_alphanumeric() || c == '_')
        .then_some(name)
}

fn sigil_name<'s>(node: Node, src: &'s str) -> Option<&'s str> {
    let mut cursor = node.walk();
    let found = node
        .named_children(&mut cursor)
        .find(|c| c.kind() == "sigil_name");
    found.map(|n| text(n, src))
}

fn single_named_child(node: Node) -> Option<Node> {
    let mut cursor = node.walk();
    let kids: Vec<Node> = node
        .named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect();
    match kids.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

fn clause_body(clause: Node) -> Vec<Node> {
    let Some(body) = clause.child_by_field_name("right") else {
        return Vec::new();
    };
    let mut cursor = body.walk();
    let statements = body.named_children(&mut cursor).collect();
    statements
}

/// What `#{value}` puts in a string (Elixir's `to_string/1`).
fn interpolated_text(value: &Value) -> Option<String> {
    match value {
        Value::Str(s) | Value::Atom(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => postgres::elixir_float(*f),
        Value::Bool(b) => Some(b.to_string()),
        Value::Nil => Some(String::new()),
        Value::Alias(a) => Some(format!("Elixir.{a}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
