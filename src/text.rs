//! Bytes → lines: a line index over UTF-8 text that converts byte offsets to
//! line/column in Unicode scalar values (CLI, JSON) or UTF-16 / UTF-8 code
//! units (LSP), and back; and the splice between two versions of a text,
//! which moves byte offsets from the old text to the new.

use std::ops::Range;

/// Which unit a column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnUnit {
    Utf8,
    Utf16,
    /// Unicode scalar values (`char`s): what CONTRACT.md's `column` counts.
    Scalar,
}

/// Line starts of one text. Lines end at `\n`; a `\r` before it belongs to
/// the line ending, not to the line's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// Per line, the offset of its first non-ASCII byte (or of its end):
    /// columns before it are byte counts in every unit, so a position on a
    /// long ASCII line costs no scan (60,000 symbols on one 1 MB line).
    ascii_until: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut ascii_until = Vec::new();
        // Where a line's ASCII prefix ends: its end (after the `\n`) when
        // the whole line is ASCII, checked a word at a time.
        let prefix_end = |start: usize, end: usize| {
            let line = bytes.get(start..end).unwrap_or_default();
            if line.is_ascii() {
                end
            } else {
                start
                    + line
                        .iter()
                        .position(|b| !b.is_ascii())
                        .unwrap_or(line.len())
            }
        };
        let mut start = 0;
        for newline in memchr::memchr_iter(b'\n', bytes) {
            ascii_until.push(prefix_end(start, newline + 1));
            start = newline + 1;
            starts.push(start);
        }
        ascii_until.push(prefix_end(start, bytes.len()));
        LineIndex {
            starts,
            ascii_until,
            len: text.len(),
        }
    }

    /// Start of `line` and where its ASCII prefix ends.
    fn ascii_prefix(&self, line: usize) -> (usize, usize) {
        let start = self.starts.get(line).copied().unwrap_or(self.len);
        let until = self.ascii_until.get(line).copied().unwrap_or(start);
        (start, until.max(start))
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 0-based line of a byte offset (clamped to the text).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        match self.starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Byte range of a 0-based line, without its line ending.
    pub fn line_range(&self, text: &str, line: usize) -> std::ops::Range<usize> {
        let start = self.starts.get(line).copied().unwrap_or(self.len);
        let mut end = self.starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        start..end
    }

    /// 0-based (line, column) of a byte offset, the column in `unit`.
    /// An offset inside a multi-byte character counts up to that character.
    pub fn position(&self, text: &str, offset: usize, unit: ColumnUnit) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let (start, ascii) = self.ascii_prefix(line);
        if offset <= ascii || unit == ColumnUnit::Utf8 {
            return (line, offset.saturating_sub(start));
        }
        let rest = text.get(ascii..offset).unwrap_or("");
        let col = match unit {
            ColumnUnit::Utf16 => rest.encode_utf16().count(),
            _ => rest.chars().count(),
        };
        (line, ascii - start + col)
    }

    /// Byte offset of a 0-based (line, column). Columns past the end of the
    /// line clamp to its end; a UTF-16 column inside a surrogate pair or a
    /// UTF-8 column inside a character moves back to the character start.
    pub fn offset(&self, text: &str, line: usize, column: usize, unit: ColumnUnit) -> usize {
        if line >= self.starts.len() {
            return text.len();
        }
        let range = self.line_range(text, line);
        let (_, ascii) = self.ascii_prefix(line);
        let fast = ascii.min(range.end).saturating_sub(range.start);
        if column <= fast {
            return range.start + column;
        }
        let from = range.start + fast;
        let line_text = text.get(from..range.end).unwrap_or("");
        let mut counted = fast;
        for (i, ch) in line_text.char_indices() {
            let width = match unit {
                ColumnUnit::Utf8 => ch.len_utf8(),
                ColumnUnit::Utf16 => ch.len_utf16(),
                ColumnUnit::Scalar => 1,
            };
            if counted + width > column {
                return from + i;
            }
            counted += width;
        }
        range.end
    }
}

/// The one contiguous replacement that turns one text into another: the
/// `removed` bytes at `at` of the old text became `inserted` bytes. Moves
/// byte offsets (and spans) of the old text to where the same bytes sit in
/// the new one, so work computed on the old text can be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Splice {
    pub at: usize,
    pub removed: usize,
    pub inserted: usize,
}

impl Splice {
    /// The splice from `old` to `new`: everything outside the longest common
    /// prefix and (then) the longest common suffix, both ending on a char
    /// boundary. When the change is ambiguous (`"aa"` → `"aaa"`) the
    /// replacement is put as late as the prefix allows.
    pub fn between(old: &str, new: &str) -> Splice {
        let (a, b) = (old.as_bytes(), new.as_bytes());
        let mut prefix = common_prefix(a, b);
        while !(old.is_char_boundary(prefix) && new.is_char_boundary(prefix)) {
            prefix -= 1;
        }
        let room = a.len().min(b.len()) - prefix;
        let (a_rest, b_rest) = (&a[prefix..], &b[prefix..]);
        let mut suffix = common_suffix(a_rest, b_rest).min(room);
        while !(old.is_char_boundary(a.len() - suffix) && new.is_char_boundary(b.len() - suffix)) {
            suffix -= 1;
        }
        Splice {
            at: prefix,
            removed: a.len() - prefix - suffix,
            inserted: b.len() - prefix - suffix,
        }
    }

    /// Whether the texts were equal.
    pub fn is_identity(&self) -> bool {
        self.removed == 0 && self.inserted == 0
    }

    /// Where an offset of the old text is in the new one: unchanged before
    /// `at`, shifted from `at + removed` on (so with nothing removed, `at`
    /// itself moves past the insertion, as a start does), `None` strictly
    /// inside the replaced bytes, whose counterpart is unknown.
    pub fn map(&self, offset: usize) -> Option<usize> {
        if offset < self.at {
            Some(offset)
        } else if offset - self.at >= self.removed {
            Some(offset - self.removed + self.inserted)
        } else {
            None
        }
    }

    /// Where a span of the old text is in the new one, when it lies wholly
    /// on one side of the replacement: a span ending exactly at `at` stays
    /// (an insertion there follows it), one starting exactly at
    /// `at + removed` moves. A span that overlaps or contains the replaced
    /// bytes, or an empty span exactly at an insertion point (which side it
    /// belongs to is unknown), is `None`.
    pub fn map_span(&self, span: &Range<usize>) -> Option<Range<usize>> {
        if self.is_identity() {
            return Some(span.clone());
        }
        let after = self.at + self.removed;
        if span.is_empty() && span.start == self.at && self.removed == 0 {
            return None;
        }
        if span.end <= self.at {
            Some(span.clone())
        } else if span.start >= after {
            Some(self.map(span.start)?..self.map(span.end)?)
        } else {
            None
        }
    }
}

/// How many leading bytes two slices share, compared a block at a time so
/// the loop runs at memcmp speed.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 128;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// How many trailing bytes two slices share.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 128;
    let n = a.len().min(b.len());
    let (mut i, la, lb) = (0, a.len(), b.len());
    while i + BLOCK <= n && a[la - i - BLOCK..la - i] == b[lb - i - BLOCK..lb - i] {
        i += BLOCK;
    }
    while i < n && a[la - i - 1] == b[lb - i - 1] {
        i += 1;
    }
    i
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line index as a byte-at-a-time scan would build it.
    fn naive(text: &str) -> (Vec<usize>, Vec<usize>) {
        let (mut starts, mut until, mut non_ascii) = (vec![0], Vec::new(), None);
        for (i, b) in text.bytes().enumerate() {
            if !b.is_ascii() && non_ascii.is_none() {
                non_ascii = Some(i);
            }
            if b == b'\n' {
                until.push(non_ascii.take().unwrap_or(i + 1));
                starts.push(i + 1);
            }
        }
        until.push(non_ascii.unwrap_or(text.len()));
        (starts, until)
    }

    #[test]
    fn line_starts_and_ascii_prefixes_match_a_byte_scan() {
        for text in [
            "",
            "\n",
            "abc",
            "a\nb\r\nc",
            "😀\n",
            "ab😀cd\nxyz\n€\n\n",
            "long ascii line that is longer than one word of bytes\nünï\r\n",
        ] {
            let index = LineIndex::new(text);
            assert_eq!(
                (index.starts.clone(), index.ascii_until.clone()),
                naive(text),
                "{text:?}"
            );
        }
    }

    fn splice(at: usize, removed: usize, inserted: usize) -> Splice {
        Splice {
            at,
            removed,
            inserted,
        }
    }

    #[test]
    fn splice_between_finds_the_one_replacement() {
        assert_eq!(Splice::between("", ""), splice(0, 0, 0));
        assert!(Splice::between("same", "same").is_identity());
        assert_eq!(Splice::between("", "abc"), splice(0, 0, 3));
        assert_eq!(Splice::between("abc", ""), splice(0, 3, 0));
        // At the start, at the end, in the middle.
        assert_eq!(Splice::between("add :a", "xadd :a"), splice(0, 0, 1));
        assert_eq!(Splice::between("add :a", "add :ab"), splice(6, 0, 1));
        assert_eq!(
            Splice::between("add :name, :text", "add :nme, :text"),
            splice(6, 1, 0)
        );
        assert_eq!(Splice::between("a :x b", "a :yy b"), splice(3, 1, 2));
        // Ambiguous: as late as the common prefix allows.
        assert_eq!(Splice::between("aa", "aaa"), splice(2, 0, 1));
        assert_eq!(Splice::between("aaa", "aa"), splice(2, 1, 0));
        // Longer than one comparison block on both sides.
        let long = "x".repeat(1000);
        let old = format!("{long}add :a{long}");
        let new = format!("{long}add :abc{long}");
        assert_eq!(Splice::between(&old, &new), splice(1006, 0, 2));
    }

    #[test]
    fn splice_never_cuts_a_character() {
        // é (c3 a9) → è (c3 a8) share their first byte: the whole char is replaced.
        assert_eq!(Splice::between("caf\u{e9}!", "caf\u{e8}!"), splice(3, 2, 2));
        // 😀 (f0 9f 98 80) → 😁 (f0 9f 98 81) share three bytes.
        assert_eq!(Splice::between("a😀", "a😁"), splice(1, 4, 4));
        // A shared suffix byte of different characters is not split either:
        // ä (c3 a4) → ¤ (c2 a4).
        assert_eq!(Splice::between("x\u{e4}y", "x\u{a4}y"), splice(1, 2, 2));
        // Inserting a multi-byte char next to an equal one.
        assert_eq!(Splice::between("😀", "😀😀"), splice(4, 0, 4));
        for (old, new) in [
            ("é", "è"),
            ("aé", "é"),
            ("日本", "日日本"),
            ("\u{0}\u{1}", "\u{fffd}"),
        ] {
            let s = Splice::between(old, new);
            assert!(old.is_char_boundary(s.at) && old.is_char_boundary(s.at + s.removed));
            assert!(new.is_char_boundary(s.at) && new.is_char_boundary(s.at + s.inserted));
            let rebuilt = format!(
                "{}{}{}",
                &old[..s.at],
                &new[s.at..s.at + s.inserted],
                &old[s.at + s.removed..]
            );
            assert_eq!(rebuilt, new);
        }
    }

    #[test]
    fn splice_maps_offsets_and_boundary_spans() {
        // "add :name" → "add :nme": one byte removed at 6.
        let s = splice(6, 1, 0);
        assert_eq!(s.map(0), Some(0));
        assert_eq!(s.map(5), Some(5));
        assert_eq!(s.map(6), None);
        assert_eq!(s.map(7), Some(6));
        assert_eq!(s.map(100), Some(99));
        // Ending exactly at the edit: stays; starting right after it: moves.
        assert_eq!(s.map_span(&(0..6)), Some(0..6));
        assert_eq!(s.map_span(&(7..9)), Some(6..8));
        // Overlapping or containing the edit: not shiftable.
        assert_eq!(s.map_span(&(4..7)), None);
        assert_eq!(s.map_span(&(6..9)), None);
        assert_eq!(s.map_span(&(0..20)), None);
        // A pure insertion at 6: offset 6 is a start, so it moves.
        let s = splice(6, 0, 3);
        assert_eq!(s.map(6), Some(9));
        assert_eq!(s.map_span(&(2..6)), Some(2..6));
        assert_eq!(s.map_span(&(6..8)), Some(9..11));
        assert_eq!(s.map_span(&(5..7)), None);
        assert_eq!(s.map_span(&(6..6)), None);
        assert_eq!(s.map_span(&(7..7)), Some(10..10));
        // At the start and at the end of the text.
        let s = splice(0, 0, 2);
        assert_eq!(s.map_span(&(0..4)), Some(2..6));
        assert_eq!(s.map_span(&(0..0)), None);
        let s = splice(10, 0, 1);
        assert_eq!(s.map_span(&(0..10)), Some(0..10));
        // The identity moves nothing, empty spans included.
        assert_eq!(splice(3, 0, 0).map_span(&(3..3)), Some(3..3));
        // Reversed or huge spans do not panic.
        let (start, end) = (9, 2);
        let _ = splice(6, 1, 0).map_span(&(start..end));
        let _ = splice(6, 1, 0).map_span(&(2..9));
        assert_eq!(
            splice(6, 1, 0).map_span(&(usize::MAX - 1..usize::MAX)),
            Some(usize::MAX - 2..usize::MAX - 1)
        );
    }

    #[test]
    fn positions_with_emoji_and_crlf() {
        let text = "a😀b\r\nxyz\n";
        let idx = LineIndex::new(text);
        let b = text.find('b').unwrap_or(0);
        assert_eq!(idx.position(text, b, ColumnUnit::Utf8), (0, 5));
        assert_eq!(idx.position(text, b, ColumnUnit::Utf16), (0, 3));
        assert_eq!(idx.position(text, b, ColumnUnit::Scalar), (0, 2));
        assert_eq!(idx.offset(text, 0, 3, ColumnUnit::Utf16), b);
        // Inside the surrogate pair: back to the emoji's start.
        assert_eq!(idx.offset(text, 0, 2, ColumnUnit::Utf16), 1);
        // Past the end of the line: the end, before the CRLF.
        assert_eq!(idx.offset(text, 0, 99, ColumnUnit::Utf16), b + 1);
        assert_eq!(
            idx.position(text, text.find('y').unwrap_or(0), ColumnUnit::Scalar),
            (1, 1)
        );
        assert_eq!(idx.offset(text, 9, 0, ColumnUnit::Utf8), text.len());
    }

    /// Every offset and column agree with a plain count from the line start,
    /// on ASCII lines, lines that turn non-ASCII midway, CRLF and no final
    /// newline.
    #[test]
    fn fast_ascii_prefix_agrees_with_counting() {
        let text = "plain ascii\r\nab😀cé\n\nx😀\r\ntail é";
        let idx = LineIndex::new(text);
        for unit in [ColumnUnit::Utf8, ColumnUnit::Utf16, ColumnUnit::Scalar] {
            for offset in 0..=text.len() + 2 {
                let at = floor_char_boundary(text, offset.min(text.len()));
                let line = idx.line_of(at);
                let prefix = &text[idx.starts[line]..at];
                let col = match unit {
                    ColumnUnit::Utf8 => prefix.len(),
                    ColumnUnit::Utf16 => prefix.encode_utf16().count(),
                    ColumnUnit::Scalar => prefix.chars().count(),
                };
                assert_eq!(
                    idx.position(text, offset, unit),
                    (line, col),
                    "{offset} {unit:?}"
                );
                if idx.line_range(text, line).contains(&at) {
                    assert_eq!(idx.offset(text, line, col, unit), at, "{offset} {unit:?}");
                }
            }
        }
        // A 1 MB ASCII line with many positions on it stays quick.
        let long = format!("x = \"{}\"\n", "a".repeat(1 << 20));
        let idx = LineIndex::new(&long);
        let started = std::time::Instant::now();
        for offset in (0..long.len()).step_by(16) {
            assert_eq!(idx.position(&long, offset, ColumnUnit::Utf16), (0, offset));
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
