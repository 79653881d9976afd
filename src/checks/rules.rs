//! The rule catalogue: every finding code with its default severity, family
//! and summary. One table, read by the checks, `ecto-ash-lsp rules`, the
//! README's rule list and (later) the language server's code descriptions.

use serde::Serialize;

/// How loud a finding is, from the LSP's four levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Hint,
    Information,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }
}

/// Which question a rule answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Resources and schemas against the tables their migrations make.
    Drift,
    /// Whether hand-written migrations are safe to re-run.
    Idempotency,
    /// What `mix ash.codegen` and the migrator would collide with.
    Collision,
    /// The tool's own limits: what it could not read or follow.
    Other,
}

impl Family {
    pub fn title(self) -> &'static str {
        match self {
            Family::Drift => "Drift between resources/schemas and the tables their migrations make",
            Family::Idempotency => "Idempotency of hand-written migrations",
            Family::Collision => {
                "Codegen collisions (what `mix ash.codegen` and the migrator would collide with)"
            }
            Family::Other => "Other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub code: &'static str,
    pub default: Severity,
    pub family: Family,
    pub summary: &'static str,
}

macro_rules! rules {
    ($($name:ident = $code:literal, $sev:ident, $fam:ident, $summary:literal;)*) => {
        $(pub const $name: Rule = Rule {
            code: $code,
            default: Severity::$sev,
            family: Family::$fam,
            summary: $summary,
        };)*
        /// Every rule, in the order the README lists them.
        pub const ALL: &[Rule] = &[$($name),*];
    };
}

rules! {
    MISSING_TABLE = "missing-table", Error, Drift,
        "a resource's table is created by no migration";
    MISSING_COLUMN = "missing-column", Error, Drift,
        "an attribute (or belongs_to key, or AshCloak `encrypted_<name>`) has no column";
    EXTRA_COLUMN = "extra-column", Hint, Drift,
        "a column has no attribute on any resource mapped to the table";
    COLUMN_TYPE_MISMATCH = "column-type-mismatch", Warning, Drift,
        "attribute type and column type disagree";
    NULLABILITY_MISMATCH = "nullability-mismatch", Warning, Drift,
        "`allow_nil?` and `null:` disagree";
    PRIMARY_KEY_MISMATCH = "primary-key-mismatch", Error, Drift,
        "the resource's primary key and the table's differ in name or type";
    IDENTITY_WITHOUT_UNIQUE_INDEX = "identity-without-unique-index", Warning, Drift,
        "an identity has no unique index over the same columns";
    BELONGS_TO_WITHOUT_FOREIGN_KEY = "belongs-to-without-foreign-key", Information, Drift,
        "a belongs_to whose key column has no FK (same repo only)";
    TABLE_WITHOUT_RESOURCE = "table-without-resource", Hint, Drift,
        "a table no resource or schema maps to";
    NON_IDEMPOTENT_STATEMENT = "non-idempotent-statement", Warning, Idempotency,
        "a statement that fails when re-run against a database that already has its effect; carries a `kind`";
    IRREVERSIBLE_IDEMPOTENT_CHANGE = "irreversible-idempotent-change", Warning, Idempotency,
        "an `*_if_exists`/`*_if_not_exists` form or guarded raw SQL inside `change/0` that Ecto cannot roll back";
    HIDDEN_DRIFT = "hidden-drift", Warning, Idempotency,
        "a `create_if_not_exists` whose body differs from an earlier creation of the same table, so the guard silently skips the new shape";
    SNAPSHOTS_UNTRACKED = "snapshots-untracked", Warning, Collision,
        "`priv/resource_snapshots` is ignored by git or absent while migrations exist: the next `mix ash.codegen` emits a create-everything migration";
    CODEGEN_WOULD_RECREATE = "codegen-would-recreate", Warning, Collision,
        "per resource: no snapshot covers it but a hand-written migration already creates its table, so codegen emits a duplicate `create table`";
    STALE_SNAPSHOT = "stale-snapshot", Warning, Collision,
        "the newest snapshot of a table disagrees with the resource (codegen will emit a migration)";
    DUPLICATE_MIGRATION_VERSION = "duplicate-migration-version", Error, Collision,
        "two migrations of one repo share a version";
    DUPLICATE_MIGRATION_MODULE = "duplicate-migration-module", Error, Collision,
        "two migrations of one repo define the same module";
    TABLE_CREATED_TWICE = "table-created-twice", Error, Collision,
        "two migrations create the same table without a drop between them and without guards";
    UNRESOLVED = "unresolved", Hint, Other,
        "the tool could not follow something (a macro, `unquote`, an interpolated table name) and skipped it; never silently";
    PARSE_ERROR = "parse-error", Warning, Other,
        "a file could not be parsed well enough to index";
}

pub fn by_code(code: &str) -> Option<&'static Rule> {
    ALL.iter().find(|r| r.code == code)
}

/// The rule table as aligned plain text, one rule a line: what `ecto-ash-lsp
/// rules` prints and `check --help` ends with.
pub fn plain_table(indent: &str) -> String {
    let width = ALL.iter().map(|r| r.code.len()).max().unwrap_or(0);
    ALL.iter()
        .map(|r| {
            format!(
                "{indent}{:width$}  {:11}  {}\n",
                r.code,
                r.default.as_str(),
                r.summary
            )
        })
        .collect()
}

/// The rule list for `check --help`.
pub fn help_text() -> String {
    format!(
        "Rules (re-level or turn off in .ecto-ash-lsp.toml):\n{}",
        plain_table("  ")
    )
}

/// The README's rule list, generated from [`ALL`]: one table per family.
pub fn markdown_table() -> String {
    let mut out = String::new();
    let mut families: Vec<Family> = Vec::new();
    for r in ALL {
        if !families.contains(&r.family) {
            families.push(r.family);
        }
    }
    for family in families {
        out.push_str(&format!("{}:\n\n", family.title()));
        out.push_str("| code | default | meaning |\n|---|---|---|\n");
        for r in ALL.iter().filter(|r| r.family == family) {
            out.push_str(&format!(
                "| <a id=\"{0}\"></a>`{0}` | {1} | {2} |\n",
                r.code,
                r.default.as_str(),
                r.summary
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for r in ALL {
            assert!(seen.insert(r.code), "duplicate rule {}", r.code);
            assert!(r.code.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
        }
        assert_eq!(
            by_code("hidden-drift").map(|r| r.default),
            Some(Severity::Warning)
        );
    }
}
