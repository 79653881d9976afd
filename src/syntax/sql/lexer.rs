//! SQL text → significant tokens with byte ranges, over sqlparser's Postgres
//! tokenizer, plus a cursor to walk them. A [`Fragment`] is a piece of SQL
//! that may not be the original text (the body of a `DO $$ … $$` block, the
//! un-escaped contents of `EXECUTE '…'`) and knows how to map its own byte
//! offsets back to the original text, so every span we report lands there.

use crate::model::facts::{Span, TableName};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Location, Token, Tokenizer};
use std::borrow::Cow;
use std::ops::Range;

/// SQL text plus the map from its byte offsets to the original text.
pub(super) struct Fragment<'a> {
    pub text: Cow<'a, str>,
    map: OffsetMap,
}

enum OffsetMap {
    /// The text is a verbatim slice of the original starting at this offset.
    Shift(usize),
    /// One original offset per byte of the text, plus one for its end
    /// (un-escaped string contents are shorter than what was written).
    Table(Vec<usize>),
}

impl<'a> Fragment<'a> {
    /// The original text itself.
    pub fn whole(text: &'a str) -> Self {
        Fragment {
            text: Cow::Borrowed(text),
            map: OffsetMap::Shift(0),
        }
    }

    /// The original offset of a byte offset of this text.
    pub fn original(&self, local: usize) -> usize {
        match &self.map {
            OffsetMap::Shift(base) => base + local,
            OffsetMap::Table(table) => table
                .get(local)
                .or_else(|| table.last())
                .copied()
                .unwrap_or(0),
        }
    }

    pub fn span(&self, local: &Range<usize>) -> Span {
        self.original(local.start)..self.original(local.end)
    }

    pub fn slice(&self, local: &Range<usize>) -> &str {
        self.text.get(local.clone()).unwrap_or("")
    }

    /// A verbatim piece of this text (the body of a dollar-quoted string).
    pub fn sub(&self, local: Range<usize>) -> Option<Fragment<'_>> {
        let text = self.text.get(local.clone())?;
        let map = match &self.map {
            OffsetMap::Shift(base) => OffsetMap::Shift(base + local.start),
            OffsetMap::Table(table) => {
                OffsetMap::Table(table.get(local.start..=local.end)?.to_vec())
            }
        };
        Some(Fragment {
            text: Cow::Borrowed(text),
            map,
        })
    }

    /// The contents of a string literal token, un-escaped, as a fragment of
    /// its own: `'…'` (with `''`), `E'…'` without backslashes, or `$tag$…$tag$`.
    /// `None` for other tokens and for backslash escapes, whose offsets we do
    /// not map.
    pub fn string_contents(&self, tok: &Tok) -> Option<Fragment<'_>> {
        let raw = self.slice(&tok.local);
        match &tok.token {
            Token::DollarQuotedString(d) => {
                let delim = d.tag.as_deref().map_or(2, |t| t.len() + 2);
                let start = tok.local.start.checked_add(delim)?;
                let end = tok.local.end.checked_sub(delim)?;
                if start > end || !raw.starts_with('$') || !raw.ends_with('$') {
                    return None;
                }
                self.sub(start..end)
            }
            Token::SingleQuotedString(_) => self.unquote(tok.local.start, raw),
            Token::EscapedStringLiteral(_) => {
                let quoted = raw.get(1..)?;
                if quoted.contains('\\') {
                    return None;
                }
                self.unquote(tok.local.start + 1, quoted)
            }
            _ => None,
        }
    }

    /// `'it''s'` written at `at` → `it's`, each byte mapped to where it is written.
    fn unquote(&self, at: usize, quoted: &str) -> Option<Fragment<'_>> {
        let inner = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
        let base = at + 1;
        let mut text = String::with_capacity(inner.len());
        let mut table = Vec::with_capacity(inner.len() + 1);
        let mut chars = inner.char_indices().peekable();
        while let Some((i, ch)) = chars.next() {
            if ch == '\'' && chars.peek().is_some_and(|&(_, next)| next == '\'') {
                chars.next();
            }
            for k in 0..ch.len_utf8() {
                table.push(self.original(base + i + k));
            }
            text.push(ch);
        }
        table.push(self.original(base + inner.len()));
        Some(Fragment {
            text: Cow::Owned(text),
            map: OffsetMap::Table(table),
        })
    }
}

/// A significant token (no white space or comment) and its byte range in
/// the fragment's text.
#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub token: Token,
    pub local: Range<usize>,
}

impl Tok {
    /// An unquoted word equal to `kw`, ignoring case.
    pub fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
    }

    pub fn is_word(&self) -> bool {
        matches!(self.token, Token::Word(_))
    }

    /// The identifier a word stands for: unquoted words fold to lower case
    /// (ASCII only, as Postgres does), quoted ones are kept exactly.
    pub fn ident(&self) -> Option<String> {
        match &self.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_lowercase()),
            Token::Word(w) => Some(w.value.clone()),
            _ => None,
        }
    }

    pub fn is(&self, token: &Token) -> bool {
        &self.token == token
    }

    /// A string literal's value (already un-escaped by the tokenizer).
    pub fn string_value(&self) -> Option<&str> {
        match &self.token {
            Token::SingleQuotedString(s)
            | Token::EscapedStringLiteral(s)
            | Token::NationalStringLiteral(s) => Some(s),
            Token::DollarQuotedString(d) => Some(&d.value),
            _ => None,
        }
    }
}

/// The tokens of a fragment; `error` holds the tokenizer's complaint and the
/// offset where the text stopped being readable.
pub(super) struct Lexed {
    pub toks: Vec<Tok>,
    pub error: Option<(String, usize)>,
}

pub(super) fn lex(frag: &Fragment) -> Lexed {
    let text: &str = &frag.text;
    let dialect = PostgreSqlDialect {};
    let mut raw = Vec::new();
    let result = Tokenizer::new(&dialect, text).tokenize_with_location_into_buf(&mut raw);
    let mut locator = Locator::new(text);
    let mut toks = Vec::with_capacity(raw.len() / 2 + 1);
    let mut readable_to = 0;
    for t in raw {
        let start = locator.seek(t.span.start);
        let end = locator.seek(t.span.end).max(start);
        readable_to = end;
        if matches!(t.token, Token::Whitespace(_) | Token::EOF) {
            continue;
        }
        toks.push(Tok {
            token: t.token,
            local: start..end,
        });
    }
    Lexed {
        toks,
        error: result.err().map(|e| (e.message, readable_to)),
    }
}

/// Turns the tokenizer's 1-based line/column (columns count chars) into
/// byte offsets. Tokens come in order, so it walks forward once.
struct Locator<'t> {
    text: &'t str,
    byte: usize,
    line: u64,
    column: u64,
}

impl<'t> Locator<'t> {
    fn new(text: &'t str) -> Self {
        Locator {
            text,
            byte: 0,
            line: 1,
            column: 1,
        }
    }

    fn seek(&mut self, at: Location) -> usize {
        let target = (at.line, at.column);
        if target < (self.line, self.column) {
            *self = Locator::new(self.text);
        }
        while (self.line, self.column) < target {
            let Some(ch) = self.text.get(self.byte..).and_then(|r| r.chars().next()) else {
                break;
            };
            self.byte += ch.len_utf8();
            if ch == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.byte
    }
}

/// A name as written with where it is (original offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Ident {
    pub name: String,
    pub span: Span,
}

/// A position in one statement's tokens.
#[derive(Clone, Copy)]
pub(super) struct Cursor<'s> {
    pub frag: &'s Fragment<'s>,
    pub toks: &'s [Tok],
    pub pos: usize,
}

impl<'s> Cursor<'s> {
    pub fn new(frag: &'s Fragment<'s>, toks: &'s [Tok]) -> Self {
        Cursor { frag, toks, pos: 0 }
    }

    /// A cursor over `toks[range]` of this one.
    pub fn range(&self, range: Range<usize>) -> Cursor<'s> {
        Cursor {
            frag: self.frag,
            toks: self.toks.get(range).unwrap_or(&[]),
            pos: 0,
        }
    }

    /// The tokens from the current position on.
    pub fn rest(&self) -> Cursor<'s> {
        self.range(self.pos..self.toks.len())
    }

    pub fn peek(&self) -> Option<&'s Tok> {
        self.toks.get(self.pos)
    }

    pub fn peek_at(&self, ahead: usize) -> Option<&'s Tok> {
        self.toks.get(self.pos + ahead)
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub fn bump(&mut self) -> Option<&'s Tok> {
        let t = self.toks.get(self.pos)?;
        self.pos += 1;
        Some(t)
    }

    pub fn kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_kw(kw))
    }

    pub fn kw_at(&self, ahead: usize, kw: &str) -> bool {
        self.peek_at(ahead).is_some_and(|t| t.is_kw(kw))
    }

    pub fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.kw(kw);
        if yes {
            self.pos += 1;
        }
        yes
    }

    /// Consume all of `kws` in order, or nothing.
    pub fn eat_kws(&mut self, kws: &[&str]) -> bool {
        let yes = self.kws_ahead(kws);
        if yes {
            self.pos += kws.len();
        }
        yes
    }

    /// Whether `kws` follow in order, without consuming them.
    pub fn kws_ahead(&self, kws: &[&str]) -> bool {
        kws.iter().enumerate().all(|(i, k)| self.kw_at(i, k))
    }

    pub fn is(&self, token: &Token) -> bool {
        self.peek().is_some_and(|t| t.is(token))
    }

    pub fn eat(&mut self, token: &Token) -> bool {
        let yes = self.is(token);
        if yes {
            self.pos += 1;
        }
        yes
    }

    /// Any word as an identifier (keywords too: `name`, `type`, `data` are
    /// fine column names).
    pub fn ident(&mut self) -> Option<Ident> {
        let t = self.peek()?;
        let name = t.ident()?;
        self.pos += 1;
        Some(Ident {
            name,
            span: self.frag.span(&t.local),
        })
    }

    /// `name`, `schema.name` or `db.schema.name`.
    pub fn qualified_name(&mut self) -> Option<TableName> {
        let first = self.peek()?;
        let mut parts = vec![first.ident()?];
        let mut last = first;
        self.pos += 1;
        while self.is(&Token::Period) {
            let Some(next) = self.peek_at(1).filter(|t| t.is_word()) else {
                break;
            };
            parts.extend(next.ident());
            last = next;
            self.pos += 2;
        }
        let name = parts.pop()?;
        Some(TableName {
            schema: parts.pop(),
            name,
            span: self.frag.span(&(first.local.start..last.local.end)),
        })
    }

    /// The index of the `)` matching the `(` at `open`, if it is closed.
    pub fn matching_close(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (i, t) in self.toks.iter().enumerate().skip(open) {
            match t.token {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Step over one token, or a whole parenthesised group.
    pub fn skip_one(&mut self) {
        if self.is(&Token::LParen) {
            self.pos = self
                .matching_close(self.pos)
                .map_or(self.toks.len(), |c| c + 1);
        } else {
            self.pos += 1;
        }
    }

    /// At `( … )`: a cursor over what is inside, moving past the `)`.
    /// `None` (and no move) when not at `(` or it is never closed.
    pub fn group(&mut self) -> Option<Cursor<'s>> {
        if !self.is(&Token::LParen) {
            return None;
        }
        let close = self.matching_close(self.pos)?;
        let inner = self.range(self.pos + 1..close);
        self.pos = close + 1;
        Some(inner)
    }

    /// The pieces between commas at parenthesis depth 0.
    pub fn split_commas(&self) -> Vec<Cursor<'s>> {
        let mut parts = Vec::new();
        let mut depth = 0usize;
        let mut start = 0;
        for (i, t) in self.toks.iter().enumerate() {
            match t.token {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
                Token::Comma if depth == 0 => {
                    parts.push(self.range(start..i));
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(self.range(start..self.toks.len()));
        parts
    }

    /// The index of the first token from the current position, at depth 0,
    /// for which `stop` holds (or the end).
    pub fn find_at_depth0(&self, stop: impl Fn(&Tok) -> bool) -> usize {
        let mut depth = 0usize;
        for (i, t) in self.toks.iter().enumerate().skip(self.pos) {
            if depth == 0 && stop(t) {
                return i;
            }
            match t.token {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        self.toks.len()
    }

    /// Local byte range covering `toks[from..to]`.
    pub fn local(&self, from: usize, to: usize) -> Range<usize> {
        match (
            self.toks.get(from),
            to.checked_sub(1).and_then(|l| self.toks.get(l)),
        ) {
            (Some(a), Some(b)) if to > from => a.local.start..b.local.end.max(a.local.start),
            _ => 0..0,
        }
    }

    /// The text of `toks[from..to]` as written (white space and comments inside kept).
    pub fn text(&self, from: usize, to: usize) -> &'s str {
        let frag: &'s Fragment<'s> = self.frag;
        frag.slice(&self.local(from, to))
    }

    /// Original span of `toks[from..to]`.
    pub fn span(&self, from: usize, to: usize) -> Span {
        self.frag.span(&self.local(from, to))
    }

    /// The text of every token, as written.
    pub fn all_text(&self) -> &'s str {
        self.text(0, self.toks.len())
    }

    pub fn all_span(&self) -> Span {
        self.span(0, self.toks.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(frag: &Fragment) -> Vec<String> {
        lex(frag)
            .toks
            .iter()
            .map(|t| frag.slice(&t.local).to_string())
            .collect()
    }

    #[test]
    fn token_ranges_are_byte_offsets_across_lines_and_wide_chars() {
        let sql = "-- é comment\nSELECT 'ü' ,\r\n\t\"Wé\".b /* x */ $$ a $$";
        let frag = Fragment::whole(sql);
        assert_eq!(
            texts(&frag),
            ["SELECT", "'ü'", ",", "\"Wé\"", ".", "b", "$$ a $$"]
        );
    }

    #[test]
    fn tokenizer_error_keeps_the_tokens_before_it() {
        let frag = Fragment::whole("SELECT 1; SELECT 'oops");
        let lexed = lex(&frag);
        assert_eq!(lexed.toks.len(), 4);
        let (message, at) = lexed.error.unwrap_or_default();
        assert!(message.contains("nterminated"), "{message}");
        assert_eq!(at, "SELECT 1; SELECT ".len());
    }

    #[test]
    fn string_contents_map_back_to_the_original() {
        let sql = "EXECUTE 'ALTER TABLE \"it''s\" ADD x int'";
        let frag = Fragment::whole(sql);
        let lexed = lex(&frag);
        let lit = &lexed.toks[1];
        let inner = frag.string_contents(lit).map(|f| {
            let toks = lex(&f).toks;
            let spans: Vec<&str> = toks.iter().map(|t| &sql[f.span(&t.local)]).collect();
            (f.text.to_string(), spans.join("|"))
        });
        assert_eq!(
            inner,
            Some((
                "ALTER TABLE \"it's\" ADD x int".to_string(),
                "ALTER|TABLE|\"it''s\"|ADD|x|int".to_string()
            ))
        );
    }

    #[test]
    fn dollar_body_nested_in_a_string_maps_back() {
        let sql = "DO 'BEGIN EXECUTE $q$CREATE TABLE ''t''$q$; END'";
        let frag = Fragment::whole(sql);
        let outer = lex(&frag);
        let Some(body) = frag.string_contents(&outer.toks[1]) else {
            panic!("no body");
        };
        let inner = lex(&body);
        let Some(q) = body.string_contents(&inner.toks[2]) else {
            panic!("no inner string");
        };
        let toks = lex(&q).toks;
        let last = toks.last().map(|t| &sql[q.span(&t.local)]);
        assert_eq!(q.text, "CREATE TABLE 't'");
        assert_eq!(last, Some("''t''"));
    }

    #[test]
    fn qualified_names() {
        let frag = Fragment::whole("platform.\"Events\" x");
        let lexed = lex(&frag);
        let mut c = Cursor::new(&frag, &lexed.toks);
        let t = c.qualified_name();
        assert_eq!(
            t,
            Some(TableName {
                schema: Some("platform".into()),
                name: "Events".into(),
                span: 0..17
            })
        );
        assert!(c.kw("X"));
    }
}
