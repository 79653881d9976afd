//! `.ecto-ash-lsp.toml`: rule levels, paths to skip, the migration convention.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

pub const CONFIG_FILE: &str = ".ecto-ash-lsp.toml";

/// Which way the team makes migrations (see the README's "Option A / Option B").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Convention {
    /// Tracked snapshots → `codegen`, otherwise `hand-written`.
    #[default]
    Auto,
    /// Option A: `mix ash.codegen` writes migrations from tracked snapshots.
    Codegen,
    /// Option B: hand-written migrations that are safe to re-run.
    HandWritten,
}

/// A rule's level as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    Error,
    Warning,
    Information,
    Hint,
    Off,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default)]
    pub convention: Convention,
    /// Glob patterns (gitignore syntax) of paths not to index.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Rule code → level.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleLevel>,
}

impl Config {
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.message().to_string())
    }

    /// Read `.ecto-ash-lsp.toml` from `dir`, if there is one.
    pub fn load(dir: &Path) -> Result<Option<Config>, String> {
        let path = dir.join(CONFIG_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&text)
                .map(Some)
                .map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Layer `other` over `self`: its rule levels win, its excludes add.
    pub fn merged_with(mut self, other: &Config) -> Config {
        if other.convention != Convention::Auto {
            self.convention = other.convention;
        }
        self.exclude.extend(other.exclude.iter().cloned());
        for (code, level) in &other.rules {
            self.rules.insert(code.clone(), *level);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let c = Config::parse(
            "convention = \"hand-written\"\nexclude = [\"apps/legacy/**\"]\n[rules]\nextra-column = \"off\"\n",
        )
        .unwrap_or_default();
        assert_eq!(c.convention, Convention::HandWritten);
        assert_eq!(c.rules.get("extra-column"), Some(&RuleLevel::Off));
        assert!(Config::parse("conventoin = 1").is_err());
        assert!(Config::parse("[rules]\nx = \"loud\"").is_err());
    }
}
