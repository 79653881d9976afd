//! Editor settings (`initializationOptions`, `workspace/didChangeConfiguration`,
//! `workspace/configuration` under the section `ecto-ash-lsp`) read into the
//! same [`Config`] as `.ecto-ash-lsp.toml`, which is layered over them so CI
//! and the editor agree on rule levels.

use crate::model::config::{Config, Convention, RuleLevel};
use serde_json::Value;
use std::path::Path;

/// The settings section the server asks the client for.
pub const SECTION: &str = "ecto-ash-lsp";

/// Read editor settings. Accepts the section itself or an object holding it
/// under [`SECTION`]; what it cannot use is returned as warnings, never a
/// failure, so one typo does not drop the rest.
pub fn from_json(value: &Value) -> (Config, Vec<String>) {
    let mut warnings = Vec::new();
    let mut config = Config::default();
    let value = value.get(SECTION).unwrap_or(value);
    let Some(object) = value.as_object() else {
        if !value.is_null() {
            warnings.push(format!("settings: expected an object, got {value}"));
        }
        return (config, warnings);
    };
    for (key, v) in object {
        match key.as_str() {
            "convention" => match serde_json::from_value::<Convention>(v.clone()) {
                Ok(c) => config.convention = c,
                Err(_) => warnings.push(format!(
                    "settings: convention {v} is not one of \"auto\", \"codegen\", \"hand-written\""
                )),
            },
            "exclude" => match v.as_array() {
                Some(items) => {
                    for item in items {
                        match item.as_str() {
                            Some(s) => config.exclude.push(s.to_string()),
                            None => warnings
                                .push(format!("settings: exclude entry {item} is not a string")),
                        }
                    }
                }
                None => warnings.push("settings: exclude should be a list of globs".into()),
            },
            "rules" => match v.as_object() {
                Some(rules) => {
                    for (code, level) in rules {
                        if crate::checks::rules::by_code(code).is_none() {
                            warnings.push(format!("settings: unknown rule {code}"));
                            continue;
                        }
                        match serde_json::from_value::<RuleLevel>(level.clone()) {
                            Ok(l) => {
                                config.rules.insert(code.clone(), l);
                            }
                            Err(_) => warnings.push(format!(
                                "settings: level {level} of {code} is not one of error, warning, information, hint, off"
                            )),
                        }
                    }
                }
                None => warnings.push("settings: rules should map rule codes to levels".into()),
            },
            other => warnings.push(format!("settings: unknown key {other}")),
        }
    }
    (config, warnings)
}

/// The configuration a folder is analysed with: the editor's settings with
/// the folder's `.ecto-ash-lsp.toml` over them. A broken file is reported
/// and left out.
pub fn effective(editor: &Config, folder: &Path) -> (Config, Option<String>) {
    match Config::load(folder) {
        Ok(Some(file)) => (editor.clone().merged_with(&file), None),
        Ok(None) => (editor.clone(), None),
        Err(e) => (editor.clone(), Some(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_settings_leniently() {
        let (c, warnings) = from_json(&json!({
            "ecto-ash-lsp": {
                "convention": "hand-written",
                "exclude": ["apps/legacy/**", 3],
                "rules": {"extra-column": "off", "missing-column": "loud", "no-such-rule": "off"},
                "colour": true
            }
        }));
        assert_eq!(c.convention, Convention::HandWritten);
        assert_eq!(c.exclude, ["apps/legacy/**"]);
        assert_eq!(c.rules.get("extra-column"), Some(&RuleLevel::Off));
        assert_eq!(c.rules.get("missing-column"), None);
        assert_eq!(
            warnings,
            [
                "settings: unknown key colour",
                "settings: exclude entry 3 is not a string",
                "settings: level \"loud\" of missing-column is not one of error, warning, information, hint, off",
                "settings: unknown rule no-such-rule",
            ]
        );
        assert_eq!(from_json(&Value::Null), (Config::default(), vec![]));
        assert_eq!(from_json(&json!([1])).1.len(), 1);
    }

    #[test]
    fn the_file_wins_for_rule_levels() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (editor, _) =
            from_json(&json!({"rules": {"extra-column": "warning", "hidden-drift": "off"}}));
        std::fs::write(
            dir.path().join(".ecto-ash-lsp.toml"),
            "[rules]\nextra-column = \"off\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let (c, problem) = effective(&editor, dir.path());
        assert_eq!(problem, None);
        assert_eq!(c.rules.get("extra-column"), Some(&RuleLevel::Off));
        assert_eq!(c.rules.get("hidden-drift"), Some(&RuleLevel::Off));
        std::fs::write(dir.path().join(".ecto-ash-lsp.toml"), "rules = 3\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let (c, problem) = effective(&editor, dir.path());
        assert!(problem.is_some());
        assert_eq!(c, editor);
    }
}
