//! tree-sitter-elixir plumbing shared by the extractors: parsing, navigating
//! calls, keyword lists and do-blocks, and evaluating literals (including
//! module attributes such as `@prefix "platform"` and `#{@prefix}`
//! interpolation) without ever running the code.

use std::cell::RefCell;
use std::collections::HashMap;
use tree_sitter::{Node, Parser, Tree};

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Parse Elixir source. `None` only if the grammar could not be loaded (never
/// in practice) or parsing was cancelled; syntax errors still give a tree.
pub fn parse(src: &str) -> Option<Tree> {
    parse_incremental(src, None)
}

/// Re-parse after an edit already applied to `old` with `Tree::edit`.
pub fn parse_incremental(src: &str, old: Option<&Tree>) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_elixir::LANGUAGE.into())
                .ok()?;
            *slot = Some(parser);
        }
        slot.as_mut()?.parse(src, old)
    })
}

pub fn text<'s>(node: Node, src: &'s str) -> &'s str {
    src.get(node.byte_range()).unwrap_or("")
}

/// The name of a call: `create` for `create table(:x)`, `Enum.each` for
/// `Enum.each(...)`. `None` for anything that is not a `call` node.
pub fn call_name<'s>(node: Node, src: &'s str) -> Option<&'s str> {
    if node.kind() != "call" {
        return None;
    }
    let target = node.child_by_field_name("target")?;
    match target.kind() {
        "identifier" | "dot" => Some(text(target, src)),
        _ => None,
    }
}

/// The `arguments` node of a call, if it has one.
pub fn arguments(node: Node) -> Option<Node> {
    let mut cursor = node.walk();
    let found = node
        .named_children(&mut cursor)
        .find(|c| c.kind() == "arguments");
    found
}

/// Positional arguments (everything but a trailing keyword list).
pub fn positional_args(node: Node) -> Vec<Node> {
    let Some(args) = arguments(node) else {
        return Vec::new();
    };
    let mut cursor = args.walk();
    args.named_children(&mut cursor)
        .filter(|c| c.kind() != "keywords" && c.kind() != "comment")
        .collect()
}

/// The trailing keyword list of a call (`null: false, default: 0`) as
/// (key, value node) pairs, in order. A literal `[a: 1]` list as the last
/// argument counts too.
pub fn keyword_args<'t>(node: Node<'t>, src: &str) -> Vec<(String, Node<'t>)> {
    let Some(args) = arguments(node) else {
        return Vec::new();
    };
    let mut cursor = args.walk();
    let children: Vec<Node> = args.named_children(&mut cursor).collect();
    for child in children.iter().rev() {
        if child.kind() == "keywords" {
            return keyword_pairs(*child, src);
        }
        if child.kind() == "list" {
            let pairs = list_keyword_pairs(*child, src);
            if !pairs.is_empty() {
                return pairs;
            }
        }
        if child.kind() != "comment" {
            break;
        }
    }
    Vec::new()
}

/// Pairs of a `keywords` node.
pub fn keyword_pairs<'t>(keywords: Node<'t>, src: &str) -> Vec<(String, Node<'t>)> {
    let mut out = Vec::new();
    let mut cursor = keywords.walk();
    for pair in keywords.named_children(&mut cursor) {
        if pair.kind() != "pair" {
            continue;
        }
        let (Some(key), Some(value)) = (
            pair.child_by_field_name("key"),
            pair.child_by_field_name("value"),
        ) else {
            continue;
        };
        out.push((keyword_key(key, src), value));
    }
    out
}

/// Pairs of a list literal written as `[a: 1, b: 2]`.
pub fn list_keyword_pairs<'t>(list: Node<'t>, src: &str) -> Vec<(String, Node<'t>)> {
    let mut cursor = list.walk();
    let kw = list
        .named_children(&mut cursor)
        .find(|c| c.kind() == "keywords");
    kw.map(|k| keyword_pairs(k, src)).unwrap_or_default()
}

/// `null: ` → `null`; `"quoted key": ` → `quoted key`.
pub fn keyword_key(key: Node, src: &str) -> String {
    let raw = text(key, src).trim();
    let raw = raw.strip_suffix(':').unwrap_or(raw).trim_end();
    let raw = raw.strip_suffix(':').unwrap_or(raw);
    raw.trim_matches('"').to_string()
}

/// Look up one keyword argument of a call.
pub fn keyword_arg<'t>(node: Node<'t>, src: &str, key: &str) -> Option<Node<'t>> {
    keyword_args(node, src)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The `do … end` block of a call, if any.
pub fn do_block(node: Node) -> Option<Node> {
    let mut cursor = node.walk();
    let found = node
        .named_children(&mut cursor)
        .find(|c| c.kind() == "do_block");
    found
}

/// The statements of a call's body: the children of its `do … end` block, or
/// the value of a `do:` keyword (`if x, do: foo()`), flattened through
/// `block` nodes.
pub fn body_statements<'t>(node: Node<'t>, src: &str) -> Vec<Node<'t>> {
    if let Some(block) = do_block(node) {
        let mut cursor = block.walk();
        let mut out = Vec::new();
        for child in block.named_children(&mut cursor) {
            match child.kind() {
                "comment" | "else_block" | "after_block" | "rescue_block" | "catch_block" => {}
                "block" => out.extend(flatten_block(child)),
                _ => out.push(child),
            }
        }
        return out;
    }
    if let Some(value) = keyword_arg(node, src, "do") {
        return flatten_block(value);
    }
    Vec::new()
}

fn flatten_block(node: Node) -> Vec<Node> {
    if node.kind() == "block" {
        let mut cursor = node.walk();
        return node
            .named_children(&mut cursor)
            .filter(|c| c.kind() != "comment")
            .collect();
    }
    vec![node]
}

/// `:users` → `users`, `:"my table"` → `my table`.
pub fn atom_name(node: Node, src: &str) -> Option<String> {
    match node.kind() {
        "atom" => Some(text(node, src).trim_start_matches(':').to_string()),
        "quoted_atom" => {
            let t = text(node, src).trim_start_matches(':');
            Some(t.trim_matches('"').trim_matches('\'').to_string())
        }
        _ => None,
    }
}

/// A module alias as written (`MyApp.Accounts.User`), or `__MODULE__`.
pub fn alias_name(node: Node, src: &str) -> Option<String> {
    match node.kind() {
        "alias" => Some(text(node, src).split_whitespace().collect()),
        _ => None,
    }
}

/// A statically known Elixir value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Atom(String),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    Alias(String),
    List(Vec<Value>),
    Tuple(Vec<Value>),
    Keyword(Vec<(String, Value)>),
    /// `fragment("now()")` in a migration default: the SQL text.
    Fragment(String),
    /// Not a literal (a call, a variable, `unquote`, an unresolvable `@attr`).
    Unknown,
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// An atom or a string, as text (both name tables and columns).
    pub fn as_name(&self) -> Option<&str> {
        match self {
            Value::Atom(s) | Value::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn keyword(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Keyword(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Module attributes defined with a literal value (`@prefix "platform"`),
/// in the order they appear; a later definition wins for later uses.
#[derive(Debug, Clone, Default)]
pub struct ModuleAttributes {
    values: HashMap<String, Value>,
}

impl ModuleAttributes {
    /// Collect `@name value` definitions among a module body's statements.
    pub fn collect(statements: &[Node], src: &str) -> Self {
        let mut attrs = ModuleAttributes::default();
        for stmt in statements {
            if let Some((name, value)) = attribute_definition(*stmt, src, &attrs) {
                attrs.values.insert(name, value);
            }
        }
        attrs
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    pub fn insert(&mut self, name: String, value: Value) {
        self.values.insert(name, value);
    }
}

/// `@name value` → (name, value); `None` for attribute reads and non-attributes.
pub fn attribute_definition(
    node: Node,
    src: &str,
    attrs: &ModuleAttributes,
) -> Option<(String, Value)> {
    if node.kind() != "unary_operator" || !text(node, src).starts_with('@') {
        return None;
    }
    let operand = node.child_by_field_name("operand")?;
    let name = call_name(operand, src)?.to_string();
    let args = positional_args(operand);
    let value = match args.as_slice() {
        [one] => eval(*one, src, attrs),
        _ => {
            let kws = keyword_args(operand, src);
            if kws.is_empty() {
                return None;
            }
            Value::Keyword(
                kws.into_iter()
                    .map(|(k, v)| (k, eval(v, src, attrs)))
                    .collect(),
            )
        }
    };
    Some((name, value))
}

/// Evaluate a literal expression. Anything not statically known is `Unknown`.
pub fn eval(node: Node, src: &str, attrs: &ModuleAttributes) -> Value {
    eval_with(node, src, attrs, &|_| None)
}

/// A caller's own knowledge for [`eval_with`]: the value of a node it can
/// read (a local variable, say), or `None` to let the evaluator go on.
pub type Lookup<'a> = dyn Fn(Node) -> Option<Value> + 'a;

/// [`eval`], asking `lookup` first at every node, nested ones included, so a
/// caller that knows more (local variables bound to literals) extends the
/// evaluator instead of copying it.
pub fn eval_with(node: Node, src: &str, attrs: &ModuleAttributes, lookup: &Lookup) -> Value {
    if let Some(known) = lookup(node) {
        return known;
    }
    let eval = |n: Node| eval_with(n, src, attrs, lookup);
    match node.kind() {
        "atom" | "quoted_atom" => atom_name(node, src)
            .map(Value::Atom)
            .unwrap_or(Value::Unknown),
        "string" | "charlist" => eval_string_with(node, src, attrs, lookup)
            .map(Value::Str)
            .unwrap_or(Value::Unknown),
        "sigil" => eval_sigil(node, src, attrs, lookup).unwrap_or(Value::Unknown),
        "integer" => text(node, src)
            .replace('_', "")
            .parse()
            .map(Value::Int)
            .unwrap_or(Value::Unknown),
        "float" => text(node, src)
            .replace('_', "")
            .parse()
            .map(Value::Float)
            .unwrap_or(Value::Unknown),
        "boolean" => Value::Bool(text(node, src) == "true"),
        "nil" => Value::Nil,
        "alias" => alias_name(node, src)
            .map(Value::Alias)
            .unwrap_or(Value::Unknown),
        "list" => {
            let mut cursor = node.walk();
            let mut items = Vec::new();
            for child in node.named_children(&mut cursor) {
                match child.kind() {
                    "comment" => {}
                    "keywords" => {
                        let pairs = keyword_pairs(child, src)
                            .into_iter()
                            .map(|(k, v)| (k, eval(v)))
                            .collect::<Vec<_>>();
                        if items.is_empty() {
                            return Value::Keyword(pairs);
                        }
                        for (k, v) in pairs {
                            items.push(Value::Tuple(vec![Value::Atom(k), v]));
                        }
                    }
                    _ => items.push(eval(child)),
                }
            }
            Value::List(items)
        }
        "tuple" => {
            let mut cursor = node.walk();
            let items = node
                .named_children(&mut cursor)
                .filter(|c| c.kind() != "comment")
                .map(&eval)
                .collect();
            Value::Tuple(items)
        }
        "unary_operator" => {
            let t = text(node, src);
            if let Some(name) = t.strip_prefix('@') {
                let name = name.trim();
                if name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return attrs.get(name).cloned().unwrap_or(Value::Unknown);
                }
            }
            if let Some(operand) = node.child_by_field_name("operand") {
                if t.starts_with('-') {
                    return match eval(operand) {
                        Value::Int(i) => Value::Int(-i),
                        Value::Float(f) => Value::Float(-f),
                        _ => Value::Unknown,
                    };
                }
            }
            Value::Unknown
        }
        "call" => {
            if call_name(node, src) == Some("fragment") {
                if let [arg] = positional_args(node).as_slice() {
                    if let Value::Str(s) = eval(*arg) {
                        return Value::Fragment(s);
                    }
                }
            }
            Value::Unknown
        }
        "block" => {
            // `(expr)`: a parenthesised single expression.
            let mut cursor = node.walk();
            let kids: Vec<Node> = node
                .named_children(&mut cursor)
                .filter(|c| c.kind() != "comment")
                .collect();
            match kids.as_slice() {
                [one] => eval(*one),
                _ => Value::Unknown,
            }
        }
        "binary_operator" => {
            let (Some(l), Some(op), Some(r)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("operator"),
                node.child_by_field_name("right"),
            ) else {
                return Value::Unknown;
            };
            match (text(op, src), eval(l), eval(r)) {
                ("<>", Value::Str(a), Value::Str(b)) => Value::Str(a + &b),
                _ => Value::Unknown,
            }
        }
        _ => Value::Unknown,
    }
}

/// The content of a string (plain, heredoc, charlist), with escapes decoded
/// and `#{@attr}` interpolations filled in. `None` if an interpolation is not
/// a resolvable literal.
pub fn eval_string(node: Node, src: &str, attrs: &ModuleAttributes) -> Option<String> {
    eval_string_with(node, src, attrs, &|_| None)
}

/// [`eval_string`] with a caller's [`Lookup`] for the interpolations.
pub fn eval_string_with(
    node: Node,
    src: &str,
    attrs: &ModuleAttributes,
    lookup: &Lookup,
) -> Option<String> {
    let mut out = String::new();
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "quoted_content" => out.push_str(text(child, src)),
            "escape_sequence" => out.push_str(&decode_escape(text(child, src))),
            "interpolation" => {
                let mut c2 = child.walk();
                let inner: Vec<Node> = child.named_children(&mut c2).collect();
                let [expr] = inner.as_slice() else {
                    return None;
                };
                match eval_with(*expr, src, attrs, lookup) {
                    Value::Str(s) | Value::Atom(s) => out.push_str(&s),
                    Value::Int(i) => out.push_str(&i.to_string()),
                    Value::Alias(a) => out.push_str(&a),
                    _ => return None,
                }
            }
            _ => {}
        }
    }
    Some(out)
}

/// True when a string node has `#{…}` interpolation.
pub fn has_interpolation(node: Node) -> bool {
    let mut cursor = node.walk();
    let found = node
        .named_children(&mut cursor)
        .any(|c| c.kind() == "interpolation");
    found
}

fn eval_sigil(node: Node, src: &str, attrs: &ModuleAttributes, lookup: &Lookup) -> Option<Value> {
    let name_node = node.child_by_field_name("name").or_else(|| {
        let mut cursor = node.walk();
        let found = node
            .named_children(&mut cursor)
            .find(|c| c.kind() == "sigil_name");
        found
    })?;
    let name = text(name_node, src);
    match name {
        "s" | "S" | "c" | "C" => {
            if name == "S" || name == "C" {
                let mut cursor = node.walk();
                let raw: String = node
                    .named_children(&mut cursor)
                    .filter(|c| c.kind() == "quoted_content")
                    .map(|c| text(c, src))
                    .collect();
                Some(Value::Str(raw))
            } else {
                eval_string_with(node, src, attrs, lookup).map(Value::Str)
            }
        }
        "w" | "W" => {
            let words = eval_string_with(node, src, attrs, lookup)?;
            let atoms = {
                let mut cursor = node.walk();
                let mods = node
                    .named_children(&mut cursor)
                    .find(|c| c.kind() == "sigil_modifiers")
                    .map(|m| text(m, src).contains('a'))
                    .unwrap_or(false);
                mods
            };
            Some(Value::List(
                words
                    .split_whitespace()
                    .map(|w| {
                        if atoms {
                            Value::Atom(w.to_string())
                        } else {
                            Value::Str(w.to_string())
                        }
                    })
                    .collect(),
            ))
        }
        _ => None,
    }
}

/// The text an escape sequence inside a string stands for (`\n` → a newline).
pub fn decode_escape(esc: &str) -> String {
    match esc {
        "\\n" => "\n".into(),
        "\\t" => "\t".into(),
        "\\r" => "\r".into(),
        "\\\"" => "\"".into(),
        "\\'" => "'".into(),
        "\\\\" => "\\".into(),
        "\\#" => "#".into(),
        "\\0" => "\0".into(),
        "\\s" => " ".into(),
        "\\e" => "\u{1b}".into(),
        // A line continuation inside a heredoc.
        "\\\n" => String::new(),
        other => other.trim_start_matches('\\').to_string(),
    }
}

/// Each `defmodule Name do … end` at any depth (nested modules get their full
/// name: `Outer.Inner`), with its name span and body statements.
pub struct ModuleNode<'t> {
    pub name: String,
    pub name_span: std::ops::Range<usize>,
    pub node: Node<'t>,
    pub body: Vec<Node<'t>>,
}

pub fn modules<'t>(tree: &'t Tree, src: &str) -> Vec<ModuleNode<'t>> {
    let mut out = Vec::new();
    collect_modules(tree.root_node(), src, "", &mut out);
    out
}

fn collect_modules<'t>(node: Node<'t>, src: &str, outer: &str, out: &mut Vec<ModuleNode<'t>>) {
    if call_name(node, src) == Some("defmodule") {
        let Some(name_node) = positional_args(node).into_iter().next() else {
            return;
        };
        let written = text(name_node, src).split_whitespace().collect::<String>();
        let name = if outer.is_empty() || written == "__MODULE__" {
            written
        } else {
            format!("{outer}.{written}")
        };
        let body = body_statements(node, src);
        out.push(ModuleNode {
            name: name.clone(),
            name_span: name_node.byte_range(),
            node,
            body: body.clone(),
        });
        for stmt in body {
            collect_modules(stmt, src, &name, out);
        }
        return;
    }
    if !outer.is_empty() {
        // Inside a module body only direct `defmodule` statements nest.
        return;
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        collect_modules(child, src, outer, out);
    }
}

/// `alias A.B.C` / `alias A.B.C, as: D` / `alias A.B.{C, D}` in a module body:
/// short name → full name.
pub fn aliases(statements: &[Node], src: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for stmt in statements {
        if call_name(*stmt, src) != Some("alias") {
            continue;
        }
        let args = positional_args(*stmt);
        let Some(first) = args.first() else { continue };
        let written = text(*first, src).trim();
        if let Some((base, rest)) = written.split_once(".{") {
            for part in rest.trim_end_matches('}').split(',') {
                let part = part.trim();
                if part.is_empty() {
                    continue;
                }
                let short = part.rsplit('.').next().unwrap_or(part).to_string();
                out.insert(short, format!("{base}.{part}"));
            }
            continue;
        }
        let full: String = written.split_whitespace().collect();
        let short = match keyword_arg(*stmt, src, "as") {
            Some(as_node) => text(as_node, src).trim().to_string(),
            None => full.rsplit('.').next().unwrap_or(&full).to_string(),
        };
        out.insert(short, full);
    }
    out
}

/// Expand a written module name with the file's aliases and `__MODULE__`.
pub fn expand_alias(written: &str, aliases: &HashMap<String, String>, current: &str) -> String {
    let written = written.trim();
    if let Some(rest) = written.strip_prefix("__MODULE__") {
        return format!("{current}{rest}");
    }
    let (head, tail) = match written.split_once('.') {
        Some((h, t)) => (h, Some(t)),
        None => (written, None),
    };
    match aliases.get(head) {
        Some(full) => match tail {
            Some(t) => format!("{full}.{t}"),
            None => full.clone(),
        },
        None => written.to_string(),
    }
}

/// Whether any node of the tree lies more than `limit` levels down, walked
/// without recursion. The extractors recurse over trees, so files nesting
/// deeper than [`MAX_TREE_DEPTH`] are reported instead of read.
pub fn nests_deeper_than(tree: &Tree, limit: usize) -> bool {
    let mut cursor = tree.walk();
    let mut depth = 0usize;
    loop {
        if depth > limit {
            return true;
        }
        // A subtree of n nodes is at most n - 1 levels deep (the count is
        // the cursor's own, O(1)): most statements need no walk at all.
        let fits = depth + cursor.node().descendant_count().saturating_sub(1) <= limit;
        if !fits && cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return false;
            }
            depth -= 1;
        }
    }
}

/// No real source nests this deep; the recursive extractors stay far from
/// the stack's limit below it.
pub const MAX_TREE_DEPTH: usize = 400;

/// Byte ranges of syntax errors (`ERROR` and missing nodes), at most `limit`.
pub fn syntax_errors(tree: &Tree, limit: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    if !tree.root_node().has_error() {
        return out;
    }
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if out.len() >= limit {
            break;
        }
        if node.is_error() || node.is_missing() {
            out.push(node.byte_range());
            continue;
        }
        if node.has_error() {
            for child in node.children(&mut cursor) {
                stack.push(child);
            }
        }
    }
    out.sort_by_key(|r| r.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_attr_src(src: &str) -> ModuleAttributes {
        let tree = parse(src).expect("parse");
        let mods = modules(&tree, src);
        ModuleAttributes::collect(&mods[0].body, src)
    }

    #[test]
    fn module_attributes_and_interpolation() {
        let src =
            "defmodule M do\n  @prefix \"platform\"\n  @table \"t_#{@prefix}\"\n  @n 3\nend\n";
        let attrs = eval_attr_src(src);
        assert_eq!(attrs.get("prefix"), Some(&Value::Str("platform".into())));
        assert_eq!(attrs.get("table"), Some(&Value::Str("t_platform".into())));
        assert_eq!(attrs.get("n"), Some(&Value::Int(3)));
    }

    #[test]
    fn concatenation_and_a_callers_lookup() {
        let src = "defmodule M do\n  @p \"plat\" <> \"form\"\n  @q [name, \"#{name}_x\"]\nend\n";
        let tree = parse(src).expect("parse");
        let mods = modules(&tree, src);
        let attrs = ModuleAttributes::collect(&mods[0].body, src);
        assert_eq!(attrs.get("p"), Some(&Value::Str("platform".into())));
        // Without a lookup a variable is unknown; with one it resolves, nested too.
        assert_eq!(
            attrs.get("q"),
            Some(&Value::List(vec![Value::Unknown, Value::Unknown]))
        );
        let Some(stmt) = mods[0].body.get(1) else {
            panic!("two statements")
        };
        let Some(operand) = stmt.child_by_field_name("operand") else {
            panic!("an attribute")
        };
        let list = positional_args(operand)[0];
        let lookup = |n: Node| (text(n, src) == "name").then(|| Value::Str("events".into()));
        assert_eq!(
            eval_with(list, src, &attrs, &lookup),
            Value::List(vec![
                Value::Str("events".into()),
                Value::Str("events_x".into())
            ])
        );
    }

    #[test]
    fn nested_modules_and_aliases() {
        let src = "defmodule A do\n  alias X.Y.{Z, W}\n  alias Q.R, as: S\n  defmodule B do\n  end\nend\n";
        let tree = parse(src).expect("parse");
        let mods = modules(&tree, src);
        let names: Vec<&str> = mods.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["A", "A.B"]);
        let al = aliases(&mods[0].body, src);
        assert_eq!(al.get("Z").map(String::as_str), Some("X.Y.Z"));
        assert_eq!(al.get("S").map(String::as_str), Some("Q.R"));
        assert_eq!(expand_alias("W.Sub", &al, "A"), "X.Y.W.Sub");
    }

    #[test]
    fn literals() {
        let src = "defmodule M do\n  @a [null: false, default: fragment(\"now()\")]\n  @b {:array, :string}\n  @c ~w(a b)a\n  @d ~S(x#{y})\nend\n";
        let attrs = eval_attr_src(src);
        assert_eq!(
            attrs.get("a").and_then(|v| v.keyword("default")),
            Some(&Value::Fragment("now()".into()))
        );
        assert_eq!(
            attrs.get("b"),
            Some(&Value::Tuple(vec![
                Value::Atom("array".into()),
                Value::Atom("string".into())
            ]))
        );
        assert_eq!(
            attrs.get("c"),
            Some(&Value::List(vec![
                Value::Atom("a".into()),
                Value::Atom("b".into())
            ]))
        );
        assert_eq!(attrs.get("d"), Some(&Value::Str("x#{y}".into())));
    }

    /// The deepest level a full cursor walk reaches.
    fn walked_depth(tree: &Tree) -> usize {
        let mut cursor = tree.walk();
        let (mut depth, mut deepest) = (0usize, 0usize);
        loop {
            deepest = deepest.max(depth);
            if cursor.goto_first_child() {
                depth += 1;
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return deepest;
                }
                depth -= 1;
            }
        }
    }

    #[test]
    fn nesting_depth_agrees_with_a_full_walk() {
        let sources = [
            String::new(),
            "defmodule M do\n  def change do\n    create index(:t, [:a])\n  end\nend\n".into(),
            format!("x = {}1{}\n", "[".repeat(60), "]".repeat(60)),
            format!("f({}", "g(".repeat(40)),
            "defmodule M do\n  def up, do: execute(\"SELECT 1\")\n  @a %{b: [c: {1, 2}]}\nend\n"
                .into(),
            "\u{0}\u{1}defmodule do end end (((".into(),
        ];
        for src in &sources {
            let tree = parse(src).expect("parse");
            let deepest = walked_depth(&tree);
            for limit in 0..deepest + 3 {
                assert_eq!(
                    nests_deeper_than(&tree, limit),
                    deepest > limit,
                    "limit {limit} on {src:?}"
                );
            }
        }
    }
}
