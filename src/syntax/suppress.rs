//! `# ecto-ash-lsp: ignore <code>[, <code>] — reason` comments.

use crate::model::facts::Suppression;

const MARKER: &str = "ecto-ash-lsp: ignore";

/// Every suppression comment in a file. A comment on a line of its own
/// silences the next line; a trailing comment silences its own line.
pub fn suppressions(src: &str) -> Vec<Suppression> {
    let mut out = Vec::new();
    // Only the lines holding the marker, found in one pass over the text.
    let mut line_no = 0;
    let mut counted_to = 0;
    let mut last_line_start = None;
    for found in memchr::memmem::find_iter(src.as_bytes(), MARKER.as_bytes()) {
        let start = src
            .get(..found)
            .and_then(|before| before.rfind('\n'))
            .map_or(0, |nl| nl + 1);
        if last_line_start == Some(start) {
            continue;
        }
        last_line_start = Some(start);
        let between = src.as_bytes().get(counted_to..start).unwrap_or_default();
        line_no += memchr::memchr_iter(b'\n', between).count();
        counted_to = start;
        let end = src
            .get(start..)
            .and_then(|rest| rest.find('\n'))
            .map_or(src.len(), |nl| start + nl);
        let line = src.get(start..end).unwrap_or_default();
        let line = line.strip_suffix('\r').unwrap_or(line);
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        let before = &line[..at];
        let Some(hash) = before.rfind('#') else {
            continue;
        };
        if !before[hash + 1..].trim().is_empty() {
            continue;
        }
        let rest = &line[at + MARKER.len()..];
        // The reason follows an em dash, `--` or ` - `.
        let codes_part = rest
            .split(['—', '–'])
            .next()
            .unwrap_or("")
            .split(" -- ")
            .next()
            .unwrap_or("")
            .split(" - ")
            .next()
            .unwrap_or("");
        let codes: Vec<String> = codes_part
            .split([',', ' '])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .take_while(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'))
            .map(str::to_string)
            .collect();
        if codes.is_empty() {
            continue;
        }
        let own_line = line[..hash].trim().is_empty();
        out.push(Suppression {
            applies_to_line: if own_line { line_no + 1 } else { line_no },
            codes,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_markers_on_any_line_with_crlf_and_twice_on_a_line() {
        let src = "# ecto-ash-lsp: ignore extra-column\r\na\r\n\r\nb # ecto-ash-lsp: ignore unresolved # ecto-ash-lsp: ignore parse-error\r\nc\r\n  # ecto-ash-lsp: ignore missing-table — why\r\nd";
        let s = suppressions(src);
        let got: Vec<(usize, Vec<String>)> = s
            .into_iter()
            .map(|s| (s.applies_to_line, s.codes))
            .collect();
        assert_eq!(
            got,
            [
                (1, vec!["extra-column".to_string()]),
                (3, vec!["unresolved".to_string()]),
                (6, vec!["missing-table".to_string()]),
            ]
        );
    }

    #[test]
    fn reads_codes_and_target_line() {
        let src = "x\n  # ecto-ash-lsp: ignore missing-column, extra-column — legacy\n  y\nz # ecto-ash-lsp: ignore unresolved\n";
        let s = suppressions(src);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].applies_to_line, 2);
        assert_eq!(s[0].codes, ["missing-column", "extra-column"]);
        assert_eq!(s[1].applies_to_line, 3);
        assert_eq!(s[1].codes, ["unresolved"]);
    }

    #[test]
    fn ignores_other_comments() {
        assert!(suppressions("# ecto-ash-lsp: ignore\n\"# ecto-ash-lsp: ignore x\"").is_empty());
    }
}
