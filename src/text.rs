//! Bytes → lines: a line index over UTF-8 text that converts byte offsets to
//! line/column in Unicode scalar values (CLI, JSON) or UTF-16 / UTF-8 code
//! units (LSP), and back.

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
        let mut starts = vec![0];
        let mut ascii_until = Vec::new();
        let mut non_ascii: Option<usize> = None;
        for (i, b) in text.bytes().enumerate() {
            if !b.is_ascii() && non_ascii.is_none() {
                non_ascii = Some(i);
            }
            if b == b'\n' {
                ascii_until.push(non_ascii.take().unwrap_or(i + 1));
                starts.push(i + 1);
            }
        }
        ascii_until.push(non_ascii.unwrap_or(text.len()));
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

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

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
