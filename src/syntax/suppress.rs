//! `# ecto-ash-lsp: ignore <code>[, <code>] — reason` comments.

use crate::model::facts::Suppression;

const MARKER: &str = "ecto-ash-lsp: ignore";

/// Every suppression comment in a file. A comment on a line of its own
/// silences the next line; a trailing comment silences its own line.
pub fn suppressions(src: &str) -> Vec<Suppression> {
    let mut out = Vec::new();
    for (line_no, line) in src.lines().enumerate() {
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
