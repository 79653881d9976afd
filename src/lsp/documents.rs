//! Documents open in the editor: their text as a rope, their version, and
//! (for Elixir files) the last parse tree, edited along with every change so
//! the next parse is incremental.

use super::convert::Encoding;
use crate::syntax::migration::StatementCache;
use ropey::{Rope, RopeSlice};
use std::sync::Arc;
use tower_lsp_server::lsp_types as lsp;
use tree_sitter::{InputEdit, Point, Tree};

#[derive(Debug, Clone)]
pub struct Document {
    pub rope: Rope,
    pub version: i32,
    /// The tree of the text as of the last parse, with every edit since
    /// applied by `Tree::edit`: ready for an incremental reparse.
    pub tree: Option<Tree>,
    /// A migration's statements as the last parse walked them: the next
    /// one walks only those whose text changed.
    pub statements: Option<Arc<StatementCache>>,
}

impl Document {
    pub fn new(text: &str, version: i32) -> Document {
        Document {
            rope: Rope::from_str(text),
            version,
            tree: None,
            statements: None,
        }
    }

    pub fn text(&self) -> Arc<str> {
        Arc::from(self.rope.to_string())
    }

    /// Apply one content change of `didChange`. Positions past the end clamp
    /// to it, so a confused client cannot make the server panic.
    pub fn apply(&mut self, change: &lsp::TextDocumentContentChangeEvent, enc: Encoding) {
        let Some(range) = change.range else {
            self.rope = Rope::from_str(&change.text);
            self.tree = None;
            return;
        };
        let start = byte_of(&self.rope, range.start, enc);
        let end = byte_of(&self.rope, range.end, enc).max(start);
        let start_point = point_of(&self.rope, start);
        let old_end_point = point_of(&self.rope, end);
        let start_char = self.rope.byte_to_char(start);
        let end_char = self.rope.byte_to_char(end);
        self.rope.remove(start_char..end_char);
        self.rope.insert(start_char, &change.text);
        if let Some(tree) = &mut self.tree {
            tree.edit(&InputEdit {
                start_byte: start,
                old_end_byte: end,
                new_end_byte: start + change.text.len(),
                start_position: start_point,
                old_end_position: old_end_point,
                new_end_position: advance(start_point, &change.text),
            });
        }
    }
}

/// The line (without its `\n`, or `\r\n`) as the rope has it.
fn line_content(line: RopeSlice) -> RopeSlice {
    let mut len = line.len_chars();
    if len > 0 && line.char(len - 1) == '\n' {
        len -= 1;
        if len > 0 && line.char(len - 1) == '\r' {
            len -= 1;
        }
    }
    line.slice(..len)
}

/// Byte offset of a client position in the rope. Lines end at `\n` only,
/// as the indexed files' line index has them.
pub fn byte_of(rope: &Rope, pos: lsp::Position, enc: Encoding) -> usize {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let start = rope.line_to_byte(line);
    let content = line_content(rope.line(line));
    let mut counted = 0usize;
    let mut bytes = 0usize;
    let wanted = pos.character as usize;
    for ch in content.chars() {
        let width = match enc {
            Encoding::Utf8 => ch.len_utf8(),
            Encoding::Utf16 => ch.len_utf16(),
        };
        if counted + width > wanted {
            break;
        }
        counted += width;
        bytes += ch.len_utf8();
    }
    start + bytes
}

/// tree-sitter's point (row, byte column) of a byte offset.
fn point_of(rope: &Rope, byte: usize) -> Point {
    let byte = byte.min(rope.len_bytes());
    let row = rope.byte_to_line(byte);
    Point::new(row, byte - rope.line_to_byte(row))
}

/// The point after inserting `text` at `start`.
fn advance(start: Point, text: &str) -> Point {
    match text.rfind('\n') {
        Some(last) => Point::new(
            start.row + text.matches('\n').count(),
            text.len() - last - 1,
        ),
        None => Point::new(start.row, start.column + text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(
        range: Option<((u32, u32), (u32, u32))>,
        text: &str,
    ) -> lsp::TextDocumentContentChangeEvent {
        lsp::TextDocumentContentChangeEvent {
            range: range.map(|((a, b), (c, d))| {
                lsp::Range::new(lsp::Position::new(a, b), lsp::Position::new(c, d))
            }),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn edits_in_both_encodings_with_emoji_and_crlf() {
        let mut doc = Document::new("a😀b\r\nxyz\r\n", 1);
        // UTF-16: the emoji is two units, so `b` is at 3.
        doc.apply(&change(Some(((0, 3), (0, 4))), "B"), Encoding::Utf16);
        assert_eq!(doc.rope.to_string(), "a😀B\r\nxyz\r\n");
        // UTF-8: the emoji is four bytes, so `B` is at 5.
        doc.apply(&change(Some(((0, 5), (0, 6))), "c"), Encoding::Utf8);
        assert_eq!(doc.rope.to_string(), "a😀c\r\nxyz\r\n");
        // Past the line's end: before the CRLF.
        doc.apply(&change(Some(((1, 40), (1, 40))), "!"), Encoding::Utf16);
        assert_eq!(doc.rope.to_string(), "a😀c\r\nxyz!\r\n");
        // Inside the surrogate pair: the emoji's start.
        doc.apply(&change(Some(((0, 2), (0, 2))), "_"), Encoding::Utf16);
        assert_eq!(doc.rope.to_string(), "a_😀c\r\nxyz!\r\n");
        // Past the end of the file, and a reversed range: clamped, no panic.
        doc.apply(&change(Some(((9, 0), (3, 0))), "?"), Encoding::Utf16);
        assert_eq!(doc.rope.to_string(), "a_😀c\r\nxyz!\r\n?");
        doc.apply(&change(None, "new"), Encoding::Utf16);
        assert_eq!(doc.rope.to_string(), "new");
    }

    #[test]
    fn edited_tree_reparses_to_the_same_tree_as_a_fresh_parse() {
        let text = "defmodule M do\n  def up do\n    create table(:users)\n  end\nend\n";
        let mut doc = Document::new(text, 1);
        doc.tree = crate::syntax::elixir::parse(text);
        doc.apply(
            &change(Some(((2, 18), (2, 23))), "accounts,\n      prefix: \"x\""),
            Encoding::Utf16,
        );
        let new_text = doc.rope.to_string();
        let incremental = crate::syntax::elixir::parse_incremental(&new_text, doc.tree.as_ref());
        let fresh = crate::syntax::elixir::parse(&new_text);
        assert_eq!(
            incremental.map(|t| t.root_node().to_sexp()),
            fresh.map(|t| t.root_node().to_sexp())
        );
        assert!(new_text.contains("table(:accounts,\n      prefix: \"x\")"));
    }
}
