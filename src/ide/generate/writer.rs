//! Elixir source for generated migrations, laid out the way Elixir's
//! formatter lays it out (98 columns, 2-space indent, a blank line after a
//! statement that spans lines), so `mix format` leaves the file unchanged.
//! Calls are written with parentheses: the formatter keeps them whether or
//! not the project imports ecto_sql's `locals_without_parens`.

/// Elixir's default line length.
pub const LINE_LENGTH: usize = 98;

/// An expression the writer can lay out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// Printed as is: `:uuid`, `"platform"`, `false`, `@prefix`.
    Raw(String),
    /// `name(args…, key: value, …)`.
    Call {
        name: String,
        args: Vec<Expr>,
        keywords: Vec<(String, Expr)>,
    },
    List(Vec<Expr>),
    /// `{a, b}` (printed flat; only short tuples are generated).
    Tuple(Vec<Expr>),
}

impl Expr {
    pub fn raw(text: impl Into<String>) -> Expr {
        Expr::Raw(text.into())
    }

    pub fn atom(name: &str) -> Expr {
        Expr::Raw(atom(name))
    }

    pub fn string(text: &str) -> Expr {
        Expr::Raw(string(text))
    }

    /// A string whose `#{…}` interpolations (the generator's own
    /// `#{@prefix}`, `#{prefix()}`) are kept; `"` and `\` are escaped.
    pub fn string_with_interpolation(text: &str) -> Expr {
        Expr::Raw(format!(
            "\"{}\"",
            text.replace('\\', "\\\\").replace('"', "\\\"")
        ))
    }

    pub fn call(name: &str, args: Vec<Expr>) -> Expr {
        Expr::Call {
            name: name.to_string(),
            args,
            keywords: Vec::new(),
        }
    }

    /// Add a keyword argument (`key: value`).
    pub fn kw(mut self, key: &str, value: Expr) -> Expr {
        if let Expr::Call { keywords, .. } = &mut self {
            keywords.push((key.to_string(), value));
        }
        self
    }

    /// Add a keyword argument when there is a value.
    pub fn kw_opt(self, key: &str, value: Option<Expr>) -> Expr {
        match value {
            Some(v) => self.kw(key, v),
            None => self,
        }
    }

    /// The expression on one line.
    pub fn flat(&self) -> String {
        match self {
            Expr::Raw(s) => s.clone(),
            Expr::Call {
                name,
                args,
                keywords,
            } => {
                let parts: Vec<String> = args
                    .iter()
                    .map(Expr::flat)
                    .chain(keywords.iter().map(|(k, v)| format!("{k}: {}", v.flat())))
                    .collect();
                format!("{name}({})", parts.join(", "))
            }
            Expr::List(items) => format!(
                "[{}]",
                items.iter().map(Expr::flat).collect::<Vec<_>>().join(", ")
            ),
            Expr::Tuple(items) => format!(
                "{{{}}}",
                items.iter().map(Expr::flat).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// `:name`, or `:"odd name"` when the name is not a plain atom.
pub fn atom(name: &str) -> String {
    if is_plain_atom(name) {
        format!(":{name}")
    } else {
        format!(":{}", string(name))
    }
}

/// Whether the formatter writes the atom unquoted: an identifier (a letter
/// or `_`, then letters, digits, `_`, an optional `?`/`!`) whose letters are
/// of one script we know; anything else stays quoted, which is always valid.
fn is_plain_atom(name: &str) -> bool {
    let body = name.strip_suffix(['?', '!']).unwrap_or(name);
    let mut script = None;
    let mut first = true;
    for c in body.chars() {
        let letter_script = letter_script(c);
        let ok = match letter_script {
            Some(s) => *script.get_or_insert(s) == s,
            None => c == '_' || (!first && c.is_ascii_digit()),
        };
        if !ok {
            return false;
        }
        first = false;
    }
    !body.is_empty()
}

/// The script of a letter, for the scripts generated atoms may use.
fn letter_script(c: char) -> Option<u8> {
    const TITLECASE: &[char] = &['\u{1c5}', '\u{1c8}', '\u{1cb}', '\u{1f2}'];
    if !c.is_alphabetic() || TITLECASE.contains(&c) {
        return None;
    }
    match c as u32 {
        0x41..=0x5a | 0x61..=0x7a | 0xc0..=0x24f => Some(0),
        0x370..=0x3ff => Some(1),
        0x400..=0x4ff => Some(2),
        0x3040..=0x30ff | 0x4e00..=0x9fff => Some(3),
        _ => None,
    }
}

/// A double-quoted Elixir string with `"`, `\` and `#{` escaped.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '#' if chars.peek() == Some(&'{') => out.push_str("\\#"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Lay out `e` starting at column `col` of a line indented by `indent`,
/// with `tail` characters following it on its last line.
pub fn render(e: &Expr, indent: usize, col: usize, tail: usize) -> String {
    let flat = e.flat();
    if col + width(&flat) + tail <= LINE_LENGTH {
        return flat;
    }
    match e {
        Expr::Raw(_) | Expr::Tuple(_) => flat,
        Expr::List(items) => broken_list(items, indent),
        Expr::Call {
            name,
            args,
            keywords,
        } => {
            // The positional arguments stay on the first line and the
            // keywords go one a line when that first line fits.
            if !keywords.is_empty() && !args.is_empty() {
                let head = format!(
                    "{name}({},",
                    args.iter().map(Expr::flat).collect::<Vec<_>>().join(", ")
                );
                if col + width(&head) <= LINE_LENGTH {
                    let mut out = head;
                    let inner = indent + 2;
                    for (i, (key, value)) in keywords.iter().enumerate() {
                        let last = i + 1 == keywords.len();
                        out.push('\n');
                        out.push_str(&pad(inner));
                        out.push_str(&keyword(key, value, inner, usize::from(!last)));
                        if !last {
                            out.push(',');
                        }
                    }
                    out.push('\n');
                    out.push_str(&pad(indent));
                    out.push(')');
                    return out;
                }
            }
            // A trailing list breaks in place: `name(a, [` … `])`.
            if let (true, Some((Expr::List(items), before))) =
                (keywords.is_empty(), args.split_last())
            {
                let mut head = format!("{name}(");
                for a in before {
                    head.push_str(&a.flat());
                    head.push_str(", ");
                }
                if col + width(&head) < LINE_LENGTH {
                    return format!("{head}{})", broken_list(items, indent));
                }
            }
            let items: Vec<(Option<&str>, &Expr)> = args
                .iter()
                .map(|a| (None, a))
                .chain(keywords.iter().map(|(k, v)| (Some(k.as_str()), v)))
                .collect();
            let inner = indent + 2;
            let mut out = format!("{name}(");
            for (i, (key, value)) in items.iter().enumerate() {
                let last = i + 1 == items.len();
                let tail = usize::from(!last);
                out.push('\n');
                out.push_str(&pad(inner));
                out.push_str(&match key {
                    Some(key) => keyword(key, value, inner, tail),
                    None => render(value, inner, inner, tail),
                });
                if !last {
                    out.push(',');
                }
            }
            out.push('\n');
            out.push_str(&pad(indent));
            out.push(')');
            out
        }
    }
}

/// `key: value` at the start of a line indented by `indent`; a value that
/// fits nowhere and cannot break goes on a line of its own below its key.
fn keyword(key: &str, value: &Expr, indent: usize, tail: usize) -> String {
    let lead = format!("{key}: ");
    let flat = value.flat();
    let unbreakable = matches!(value, Expr::Raw(_) | Expr::Tuple(_));
    if unbreakable && indent + width(&lead) + width(&flat) + tail > LINE_LENGTH {
        return format!("{key}:\n{}{flat}", pad(indent + 2));
    }
    format!(
        "{lead}{}",
        render(value, indent, indent + width(&lead), tail)
    )
}

fn broken_list(items: &[Expr], indent: usize) -> String {
    let inner = indent + 2;
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        let last = i + 1 == items.len();
        out.push('\n');
        out.push_str(&pad(inner));
        out.push_str(&render(item, inner, inner, usize::from(!last)));
        if !last {
            out.push(',');
        }
    }
    out.push('\n');
    out.push_str(&pad(indent));
    out.push(']');
    out
}

/// One statement of a migration function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    /// A call on its own (`add(:a, :text)`, `drop_if_exists(table(:t))`).
    Call(Expr),
    /// `verb call do … end`: `create_if_not_exists table(:t) do`.
    Block {
        verb: String,
        call: Expr,
        body: Vec<Stmt>,
    },
    /// `execute("""` SQL `""")`; the SQL may interpolate `#{@prefix}`.
    Heredoc { call: String, sql: String },
    /// A `# …` line.
    Comment(String),
    /// An empty line between groups of statements.
    Blank,
}

/// Lay out statements at `indent`, one a line, with the blank lines the
/// formatter keeps or adds (after a statement spanning several lines).
pub fn render_block(stmts: &[Stmt], indent: usize, out: &mut String) {
    let rendered: Vec<(bool, String, bool)> = stmts
        .iter()
        .map(|s| {
            let text = render_stmt(s, indent);
            (
                matches!(s, Stmt::Blank),
                text.clone(),
                matches!(s, Stmt::Comment(_)),
            )
        })
        .collect();
    let mut lines: Vec<String> = Vec::new();
    let mut previous_multiline = false;
    let mut previous_comment = false;
    for (blank, text, comment) in rendered {
        if blank {
            if lines.last().is_some_and(|l| !l.is_empty()) {
                lines.push(String::new());
            }
            previous_multiline = false;
            previous_comment = false;
            continue;
        }
        let multiline = !comment && text.contains('\n');
        // The formatter separates a multi-line statement from its
        // neighbours, except from a comment right above it.
        let separate = previous_multiline || (multiline && !previous_comment);
        if separate && lines.last().is_some_and(|l| !l.is_empty()) {
            lines.push(String::new());
        }
        previous_multiline = multiline;
        previous_comment = comment;
        lines.push(text);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for line in lines {
        if !line.is_empty() {
            out.push_str(&line);
        }
        out.push('\n');
    }
}

fn render_stmt(s: &Stmt, indent: usize) -> String {
    match s {
        Stmt::Blank => String::new(),
        Stmt::Comment(text) => {
            let one_line: String = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            format!("{}# {}", pad(indent), one_line.trim_end())
        }
        Stmt::Call(e) => format!("{}{}", pad(indent), render(e, indent, indent, 0)),
        Stmt::Block { verb, call, body } => {
            let lead = format!("{verb} ");
            let col = indent + width(&lead);
            // A call without parentheses aligns its broken argument with
            // where that argument starts.
            let head = render(call, col, col, 3);
            let mut out = format!("{}{lead}{head} do\n", pad(indent));
            render_block(body, indent + 2, &mut out);
            out.push_str(&pad(indent));
            out.push_str("end");
            out
        }
        Stmt::Heredoc { call, sql } => {
            let mut out = format!("{}{call}(\"\"\"\n", pad(indent));
            for line in sql.lines() {
                let line = line.trim_end();
                if !line.is_empty() {
                    out.push_str(&pad(indent));
                    out.push_str(&heredoc_line(line));
                }
                out.push('\n');
            }
            out.push_str(&pad(indent));
            out.push_str("\"\"\")");
            out
        }
    }
}

/// A heredoc line: backslashes and `"""` escaped; `#{…}` is kept, the
/// generator only writes interpolations it means.
fn heredoc_line(line: &str) -> String {
    line.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"")
}

/// One `def name do … end` of the migration module.
pub struct Function {
    pub name: &'static str,
    pub body: Vec<Stmt>,
}

/// The whole migration file.
pub fn module(name: &str, attributes: &[(String, Expr)], functions: &[Function]) -> String {
    let mut out = format!("defmodule {name} do\n  use Ecto.Migration\n");
    if !attributes.is_empty() {
        out.push('\n');
        for (attr, value) in attributes {
            out.push_str(&format!("  @{attr} {}\n", value.flat()));
        }
    }
    for f in functions {
        out.push('\n');
        out.push_str(&format!("  def {} do\n", f.name));
        render_block(&f.body, 4, &mut out);
        out.push_str("  end\n");
    }
    out.push_str("end\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoms_and_strings() {
        assert_eq!(atom("user_id"), ":user_id");
        assert_eq!(atom("valid?"), ":valid?");
        assert_eq!(atom("Odd name"), ":\"Odd name\"");
        assert_eq!(atom(""), ":\"\"");
        assert_eq!(atom("größe"), ":größe");
        assert_eq!(atom("имя"), ":имя");
        assert_eq!(atom("Upper"), ":Upper");
        assert_eq!(atom("a_Б"), ":\"a_Б\"");
        assert_eq!(atom("a-b"), ":\"a-b\"");
        assert_eq!(atom("1a"), ":\"1a\"");
        assert_eq!(string("a\"b#{c}\\"), "\"a\\\"b\\#{c}\\\\\"");
    }

    #[test]
    fn short_calls_stay_on_one_line() {
        let e = Expr::call("add", vec![Expr::atom("name"), Expr::atom("text")])
            .kw("null", Expr::raw("false"));
        assert_eq!(render(&e, 6, 6, 0), "add(:name, :text, null: false)");
    }

    #[test]
    fn long_calls_break_keywords_then_every_argument() {
        let e = Expr::call(
            "add",
            vec![
                Expr::atom("inserted_at_long_name"),
                Expr::atom("utc_datetime_usec"),
            ],
        )
        .kw("null", Expr::raw("false"))
        .kw(
            "default",
            Expr::raw("fragment(\"(now() AT TIME ZONE 'utc')\")"),
        );
        assert_eq!(
            render(&e, 6, 6, 0),
            "add(:inserted_at_long_name, :utc_datetime_usec,\n        null: false,\n        default: fragment(\"(now() AT TIME ZONE 'utc')\")\n      )"
        );
        let reference = Expr::call("references", vec![Expr::atom("users")])
            .kw("column", Expr::atom("id"))
            .kw("name", Expr::string("security_events_user_id_fkey"))
            .kw("type", Expr::atom("uuid"))
            .kw("prefix", Expr::string("platform"));
        let e = Expr::call("add", vec![Expr::atom("user_id"), reference])
            .kw("null", Expr::raw("false"));
        assert_eq!(
            render(&e, 6, 6, 0),
            "add(\n        :user_id,\n        references(:users,\n          column: :id,\n          name: \"security_events_user_id_fkey\",\n          type: :uuid,\n          prefix: \"platform\"\n        ),\n        null: false\n      )"
        );
    }

    #[test]
    fn blocks_blank_lines_and_heredocs() {
        let mut out = String::new();
        render_block(
            &[
                Stmt::Blank,
                Stmt::Comment("first".into()),
                Stmt::Call(Expr::call("a", vec![])),
                Stmt::Heredoc {
                    call: "execute".into(),
                    sql: "SELECT 1\n  FROM x\n".into(),
                },
                Stmt::Call(Expr::call("b", vec![])),
                Stmt::Blank,
                Stmt::Blank,
            ],
            4,
            &mut out,
        );
        assert_eq!(
            out,
            "    # first\n    a()\n\n    execute(\"\"\"\n    SELECT 1\n      FROM x\n    \"\"\")\n\n    b()\n"
        );
    }
}
