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
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        LineIndex {
            starts,
            len: text.len(),
        }
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
        let start = self.starts[line];
        let prefix = &text[start..offset];
        let col = match unit {
            ColumnUnit::Utf8 => prefix.len(),
            ColumnUnit::Utf16 => prefix.encode_utf16().count(),
            ColumnUnit::Scalar => prefix.chars().count(),
        };
        (line, col)
    }

    /// Byte offset of a 0-based (line, column). Columns past the end of the
    /// line clamp to its end; a UTF-16 column inside a surrogate pair or a
    /// UTF-8 column inside a character moves back to the character start.
    pub fn offset(&self, text: &str, line: usize, column: usize, unit: ColumnUnit) -> usize {
        if line >= self.starts.len() {
            return text.len();
        }
        let range = self.line_range(text, line);
        let line_text = &text[range.clone()];
        let mut counted = 0;
        for (i, ch) in line_text.char_indices() {
            let width = match unit {
                ColumnUnit::Utf8 => ch.len_utf8(),
                ColumnUnit::Utf16 => ch.len_utf16(),
                ColumnUnit::Scalar => 1,
            };
            if counted + width > column {
                return range.start + i;
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
}
