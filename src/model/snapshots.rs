//! AshPostgres resource snapshots, the state `mix ash.codegen` diffs each
//! resource against: what one snapshot file says (read from its JSON), where
//! it sits (`priv/resource_snapshots/<repo>/[tenants/]<table>/<version>.json`,
//! `<schema>.<table>` for a non-public schema), which file is newest per
//! table, and which of them git tracks.

use crate::model::facts::Span;
use crate::model::gitignore::{IgnoreMatch, IgnoreRules};
use crate::model::workspace::{FileRole, Workspace};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Where a project keeps its snapshots, relative to the project root.
pub const SNAPSHOTS_DIR: &str = "priv/resource_snapshots";

/// What one snapshot file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotFacts {
    /// The snapshot of one table (one resource, or several sharing it).
    Table(TableSnapshot),
    /// `extensions.json`: the repo's installed extensions.
    Extensions,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSnapshot {
    pub table: String,
    /// The top-level `"table": "…"` entry.
    pub table_span: Span,
    pub schema: Option<String>,
    /// `"Elixir.MyApp.Repo"` as written.
    pub repo: Option<String>,
    /// `multitenancy.strategy`: `context`, `attribute` or none.
    pub strategy: Option<String>,
    pub attributes: Vec<SnapshotAttribute>,
    pub identities: Vec<SnapshotIdentity>,
    pub check_constraints: Vec<SnapshotCheck>,
}

impl TableSnapshot {
    pub fn attribute(&self, source: &str) -> Option<&SnapshotAttribute> {
        self.attributes.iter().find(|a| a.source == source)
    }
}

/// A column as the generator recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotAttribute {
    pub source: String,
    /// The `"source": "…"` entry.
    pub span: Span,
    pub column_type: SnapshotType,
    /// `None` when the snapshot does not say.
    pub allow_nil: Option<bool>,
    /// The migration default as Elixir code (`nil`, `"\"active\""`,
    /// `fragment("gen_random_uuid()")`); a missing or null default is `nil`,
    /// as the generator reads it.
    pub default: String,
    pub primary_key: Option<bool>,
    pub references: Option<SnapshotReference>,
}

/// A snapshot type: `"text"`, `["array", "text"]`, `["varchar", 255]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotType {
    Name(String),
    Array(Box<SnapshotType>),
    /// A type with a size (`["varchar", 255]`, `["binary", 16]`).
    Sized(String, i64),
    /// Any other JSON value, as written.
    Other(String),
}

impl SnapshotType {
    /// Short form for messages: `text`, `text[]`, `varchar(255)`.
    pub fn describe(&self) -> String {
        match self {
            SnapshotType::Name(n) => n.clone(),
            SnapshotType::Array(inner) => format!("{}[]", inner.describe()),
            SnapshotType::Sized(n, size) => format!("{n}({size})"),
            SnapshotType::Other(raw) => raw.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotReference {
    pub table: Option<String>,
    pub schema: Option<String>,
    pub destination_attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotIdentity {
    pub name: String,
    /// Column names, or `(expression)` for calculation keys.
    pub keys: Vec<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotCheck {
    pub name: String,
    pub check: Option<String>,
}

/// Read a snapshot file; `rel` tells `extensions.json` from table
/// snapshots. The error is one sentence for a `parse-error`.
pub fn parse(rel: &str, text: &str) -> Result<SnapshotFacts, String> {
    let extensions = rel == "extensions.json" || rel.ends_with("/extensions.json");
    const UNREADABLE: &str = "`mix ash.codegen` cannot read it either";
    if text.trim().is_empty() {
        return Err(format!("empty snapshot file; {UNREADABLE}"));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("malformed snapshot JSON ({e}); {UNREADABLE}"))?;
    let object = match value {
        Value::Array(_) | Value::Object(_) if extensions => return Ok(SnapshotFacts::Extensions),
        Value::Object(o) => o,
        other => {
            let what = if extensions {
                "an extensions"
            } else {
                "a resource"
            };
            return Err(format!(
                "not {what} snapshot: the file holds {} instead of an object",
                json_kind(&other)
            ));
        }
    };
    table_snapshot(text, &object)
        .map(SnapshotFacts::Table)
        .map_err(|e| format!("not a resource snapshot codegen can use: {e}"))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn table_snapshot(text: &str, o: &Map<String, Value>) -> Result<TableSnapshot, String> {
    let table = match o.get("table") {
        Some(Value::String(t)) => t.clone(),
        Some(other) => return Err(format!("`table` is {}, not a string", json_kind(other))),
        None => return Err("it has no `table`".into()),
    };
    let attributes = match o.get("attributes") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, a)| attribute(text, i, a))
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => return Err(format!("`attributes` is {}, not a list", json_kind(other))),
        None => return Err("it has no `attributes` list".into()),
    };
    let identities = match o.get("identities") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| identity(text, i, v))
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => return Err(format!("`identities` is {}, not a list", json_kind(other))),
    };
    let check_constraints = match o.get("check_constraints") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|c| {
                let c = c.as_object()?;
                Some(SnapshotCheck {
                    name: c.get("name")?.as_str()?.to_string(),
                    check: c.get("check").and_then(Value::as_str).map(str::to_string),
                })
            })
            .collect(),
        Some(other) => {
            return Err(format!(
                "`check_constraints` is {}, not a list",
                json_kind(other)
            ))
        }
    };
    let strategy = o
        .get("multitenancy")
        .and_then(|m| m.get("strategy"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(TableSnapshot {
        table_span: entry_span(text, "table", &table, true),
        table,
        schema: optional_string(o, "schema")?,
        repo: optional_string(o, "repo")?,
        strategy,
        attributes,
        identities,
        check_constraints,
    })
}

fn optional_string(o: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("`{key}` is {}, not a string", json_kind(other))),
    }
}

fn attribute(text: &str, index: usize, v: &Value) -> Result<SnapshotAttribute, String> {
    let nth = index + 1;
    let o = v
        .as_object()
        .ok_or_else(|| format!("attribute {nth} is {}, not an object", json_kind(v)))?;
    let (key, source) = match (o.get("source"), o.get("name")) {
        (Some(Value::String(s)), _) => ("source", s.clone()),
        (_, Some(Value::String(s))) => ("name", s.clone()),
        _ => return Err(format!("attribute {nth} has no `source` name")),
    };
    let column_type = match o.get("type") {
        Some(t) => snapshot_type(t),
        None => return Err(format!("attribute `{source}` has no `type`")),
    };
    let flag = |name: &str| -> Result<Option<bool>, String> {
        match o.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(format!(
                "`{name}` of attribute `{source}` is {}, not true or false",
                json_kind(other)
            )),
        }
    };
    let default = match o.get("default") {
        None | Some(Value::Null) => "nil".to_string(),
        Some(Value::String(d)) => d.clone(),
        Some(other) => {
            return Err(format!(
                "`default` of attribute `{source}` is {}, not a string",
                json_kind(other)
            ))
        }
    };
    let references = match o.get("references") {
        None | Some(Value::Null) => None,
        Some(Value::Object(r)) => {
            let text_of = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
            Some(SnapshotReference {
                table: text_of("table"),
                schema: text_of("schema"),
                destination_attribute: text_of("destination_attribute")
                    .or_else(|| text_of("destination_field")),
            })
        }
        Some(other) => {
            return Err(format!(
                "`references` of attribute `{source}` is {}, not an object",
                json_kind(other)
            ))
        }
    };
    Ok(SnapshotAttribute {
        span: entry_span(text, key, &source, false),
        column_type,
        allow_nil: flag("allow_nil?")?,
        default,
        primary_key: flag("primary_key?")?,
        references,
        source,
    })
}

fn snapshot_type(v: &Value) -> SnapshotType {
    match v {
        Value::String(s) => SnapshotType::Name(s.clone()),
        Value::Array(items) => match items.as_slice() {
            [Value::String(a), inner] if a == "array" => {
                SnapshotType::Array(Box::new(snapshot_type(inner)))
            }
            [Value::String(name), Value::Number(n)] => match n.as_i64() {
                Some(size) => SnapshotType::Sized(name.clone(), size),
                None => SnapshotType::Other(v.to_string()),
            },
            _ => SnapshotType::Other(v.to_string()),
        },
        other => SnapshotType::Other(other.to_string()),
    }
}

fn identity(text: &str, index: usize, v: &Value) -> Result<SnapshotIdentity, String> {
    let nth = index + 1;
    let o = v
        .as_object()
        .ok_or_else(|| format!("identity {nth} is {}, not an object", json_kind(v)))?;
    let name = match o.get("name") {
        Some(Value::String(n)) => n.clone(),
        _ => return Err(format!("identity {nth} has no `name`")),
    };
    let keys = match o.get("keys") {
        Some(Value::Array(keys)) => keys
            .iter()
            .map(|k| match k {
                Value::String(s) => Some(s.clone()),
                // `{"type": "atom", "value": "email"}`
                Value::Object(k) => k.get("value").and_then(Value::as_str).map(str::to_string),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("a key of identity `{name}` is not a name"))?,
        _ => return Err(format!("identity `{name}` has no `keys` list")),
    };
    Ok(SnapshotIdentity {
        span: entry_span(text, "name", &name, false),
        name,
        keys,
    })
}

/// Where `"key": "value"` is written (the first, or the last, occurrence),
/// so findings can point into the file; the file start when not found.
fn entry_span(text: &str, key: &str, value: &str, last: bool) -> Span {
    let needle_key = format!("\"{key}\"");
    let needle_value = serde_json::to_string(value).unwrap_or_default();
    let mut found = None;
    for (at, _) in text.match_indices(&needle_key) {
        let rest = text.get(at + needle_key.len()..).unwrap_or("");
        let after_ws = rest.trim_start();
        let Some(after_colon) = after_ws.strip_prefix(':') else {
            continue;
        };
        if after_colon.trim_start().starts_with(&needle_value) {
            let value_start = text.len() - after_colon.trim_start().len();
            found = Some(at..value_start + needle_value.len());
            if !last {
                break;
            }
        }
    }
    found.unwrap_or(0..0)
}

/// Where a snapshot file sits within a project's snapshot folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotPath {
    /// The repo's folder (`repo`, `analytics_repo`).
    pub repo: String,
    /// Under `tenants/`: a schema-per-tenant table.
    pub tenant: bool,
    pub kind: SnapshotPathKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotPathKind {
    /// `<table folder>/<14 digits>.json`: what codegen reads.
    Versioned { folder: String, version: String },
    /// `<table folder>/<other>.json` (`…_dev.json`, `initial.json`): read only
    /// with flags, or never.
    Other { folder: String },
    /// `<table folder>.json` directly in the repo folder: the layout before
    /// folders, read when the folder has no versioned file.
    Legacy { folder: String },
    /// `extensions.json`, or a file in no place codegen looks.
    NotATable,
}

/// The table folder name for a table: `<schema>.<table>` or `<table>`.
pub fn folder_name(schema: Option<&str>, table: &str) -> String {
    match schema {
        Some(s) => format!("{s}.{table}"),
        None => table.to_string(),
    }
}

fn is_version(stem: &str) -> bool {
    stem.len() == 14 && stem.bytes().all(|b| b.is_ascii_digit())
}

/// The snapshot folder of a project root, relative to the workspace.
pub fn snapshots_dir(root: &str) -> String {
    if root.is_empty() {
        SNAPSHOTS_DIR.to_string()
    } else {
        format!("{root}/{SNAPSHOTS_DIR}")
    }
}

/// Where `rel` (a workspace path) sits among the snapshots of `root`.
pub fn locate(root: &str, rel: &str) -> Option<SnapshotPath> {
    let dir = snapshots_dir(root);
    let inner = rel.strip_prefix(&dir)?.strip_prefix('/')?;
    let parts: Vec<&str> = inner.split('/').collect();
    let stem = |file: &str| file.strip_suffix(".json").map(str::to_string);
    let (repo, tenant, kind) = match parts.as_slice() {
        [repo, "extensions.json"] => (repo, false, SnapshotPathKind::NotATable),
        // A table folder named `tenants` holds versioned files; the tenant
        // folder holds legacy tenant files.
        [repo, "tenants", file] if !stem(file).is_some_and(|s| is_version(&s)) => (
            repo,
            true,
            SnapshotPathKind::Legacy {
                folder: stem(file)?,
            },
        ),
        [repo, file] => (
            repo,
            false,
            SnapshotPathKind::Legacy {
                folder: stem(file)?,
            },
        ),
        [repo, "tenants", folder, file] => (repo, true, in_folder(folder, &stem(file)?)),
        [repo, folder, file] => (repo, false, in_folder(folder, &stem(file)?)),
        _ => return None,
    };
    Some(SnapshotPath {
        repo: repo.to_string(),
        tenant,
        kind,
    })
}

fn in_folder(folder: &str, stem: &str) -> SnapshotPathKind {
    if is_version(stem) {
        SnapshotPathKind::Versioned {
            folder: folder.to_string(),
            version: stem.to_string(),
        }
    } else {
        SnapshotPathKind::Other {
            folder: folder.to_string(),
        }
    }
}

/// A table's snapshots as a fresh checkout has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Folder {
    /// The newest versioned file.
    newest: Option<(String, String)>,
    /// Legacy `<folder>.json` next to the folders.
    legacy: Option<String>,
    /// Whether the folder exists at all (any file in it).
    exists: bool,
}

/// Snapshot files of one project root: how many there are, whether git
/// ignores them, and the tracked ones per table.
#[derive(Debug, Clone, Default)]
pub struct RootSnapshots {
    /// `priv/resource_snapshots` of the root, relative to the workspace.
    pub dir: String,
    pub in_git: bool,
    /// Table snapshot files on disk.
    pub present: usize,
    /// Those git does not ignore (all of them outside git).
    pub tracked: usize,
    /// The line that ignores the folder (or its files, or would ignore a
    /// snapshot written there), also outside git.
    pub ignored_by: Option<IgnoreMatch>,
    folders: BTreeMap<(String, bool, String), Folder>,
}

/// The newest tracked snapshot of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundSnapshot<'a> {
    pub file: &'a str,
    /// The folder it was found in (`platform.users`, `users`).
    pub folder: &'a str,
}

impl RootSnapshots {
    /// Read the snapshots of `root`. `repo_folder` names a repo folder for a
    /// snapshot that does not exist yet (to ask whether git would ignore it).
    pub fn read(ws: &Workspace, root: &str, repo_folder: &str) -> RootSnapshots {
        let dir = snapshots_dir(root);
        let rules = IgnoreRules::for_root(ws, root, &dir);
        let in_git = rules.in_git();
        let dir_ignored = rules.ignored(&dir, true);
        let mut out = RootSnapshots {
            dir: dir.clone(),
            in_git,
            ..RootSnapshots::default()
        };
        let mut first_file_ignore = None;
        for file in ws.files.values() {
            if !matches!(&file.role, FileRole::Snapshot { root: r } if r == root) {
                continue;
            }
            let Some(path) = locate(root, &file.rel) else {
                continue;
            };
            if path.kind == SnapshotPathKind::NotATable {
                continue;
            }
            out.present += 1;
            let ignored = match &dir_ignored {
                Some(m) => Some(m.clone()),
                None => rules.ignored(&file.rel, false),
            };
            if let Some(m) = ignored {
                first_file_ignore.get_or_insert(m);
                if in_git {
                    continue;
                }
            }
            out.tracked += 1;
            out.add(&file.rel, path);
        }
        out.ignored_by = dir_ignored.or(first_file_ignore).or_else(|| {
            let example = format!("{dir}/{repo_folder}/resources/20240101000000.json");
            (out.present == 0)
                .then(|| rules.ignored(&example, false))
                .flatten()
        });
        out
    }

    fn add(&mut self, rel: &str, path: SnapshotPath) {
        let (folder, kind) = match path.kind {
            SnapshotPathKind::Versioned { folder, version } => (folder, Some(version)),
            SnapshotPathKind::Other { folder } => (folder, None),
            SnapshotPathKind::Legacy { folder } => {
                self.folders
                    .entry((path.repo, path.tenant, folder))
                    .or_default()
                    .legacy = Some(rel.to_string());
                return;
            }
            SnapshotPathKind::NotATable => return,
        };
        let entry = self
            .folders
            .entry((path.repo, path.tenant, folder))
            .or_default();
        entry.exists = true;
        if let Some(version) = kind {
            if entry.newest.as_ref().is_none_or(|(v, _)| *v < version) {
                entry.newest = Some((version, rel.to_string()));
            }
        }
    }

    /// Whether snapshots a fresh checkout would have exist.
    pub fn has_tracked(&self) -> bool {
        self.tracked > 0
    }

    /// The snapshot codegen diffs a table against, as AshPostgres finds it:
    /// the `<schema>.<table>` folder when it exists, else `<table>`; its
    /// newest versioned file, else the legacy flat file.
    pub fn newest(
        &self,
        repo: &str,
        tenant: bool,
        schema: Option<&str>,
        table: &str,
    ) -> Option<FoundSnapshot<'_>> {
        let key = |folder: String| (repo.to_string(), tenant, folder);
        let schema_folder = schema.map(|s| folder_name(Some(s), table));
        let folder = match &schema_folder {
            Some(f) if self.folders.get(&key(f.clone())).is_some_and(|e| e.exists) => f.clone(),
            _ => table.to_string(),
        };
        if let Some((k, entry)) = self.folders.get_key_value(&key(folder.clone())) {
            if let Some((_, file)) = &entry.newest {
                return Some(FoundSnapshot { file, folder: &k.2 });
            }
        }
        for candidate in schema_folder.into_iter().chain([table.to_string()]) {
            if let Some((k, entry)) = self.folders.get_key_value(&key(candidate)) {
                if let Some(file) = &entry.legacy {
                    return Some(FoundSnapshot { file, folder: &k.2 });
                }
            }
        }
        None
    }

    /// Every table with a tracked snapshot: (repo folder, tenant, table
    /// folder, the file codegen would read).
    pub fn tables(&self) -> impl Iterator<Item = (&str, bool, &str, &str)> {
        self.folders
            .iter()
            .filter_map(|((repo, tenant, folder), e)| {
                let file = e
                    .newest
                    .as_ref()
                    .map(|(_, f)| f.as_str())
                    .or(e.legacy.as_deref())?;
                Some((repo.as_str(), *tenant, folder.as_str(), file))
            })
    }
}

/// Whether a fresh checkout of `root` has any snapshot: files exist and git
/// does not ignore all of them. Cheaper than [`RootSnapshots::read`].
pub fn has_tracked(ws: &Workspace, root: &str) -> bool {
    let files: Vec<&str> = ws
        .files
        .values()
        .filter(|f| matches!(&f.role, FileRole::Snapshot { root: r } if r == root))
        .filter(|f| locate(root, &f.rel).is_some_and(|p| p.kind != SnapshotPathKind::NotATable))
        .map(|f| f.rel.as_str())
        .collect();
    if files.is_empty() {
        return false;
    }
    let dir = snapshots_dir(root);
    let rules = IgnoreRules::for_root(ws, root, &dir);
    if !rules.in_git() {
        return true;
    }
    if rules.ignored(&dir, true).is_some() {
        return false;
    }
    files.iter().any(|f| rules.ignored(f, false).is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::workspace::Workspace;
    use std::path::Path;

    /// A snapshot as AshPostgres 2.x writes it: sorted keys, `precision` and
    /// `scale`, identity keys as typed objects.
    const INVOICES: &str = r#"{
  "attributes": [
    {
      "allow_nil?": false,
      "default": "fragment(\"gen_random_uuid()\")",
      "generated?": false,
      "precision": null,
      "primary_key?": true,
      "references": null,
      "scale": null,
      "size": null,
      "source": "id",
      "type": "uuid"
    },
    {
      "allow_nil?": false,
      "default": "\"draft\"",
      "generated?": false,
      "precision": null,
      "primary_key?": false,
      "references": null,
      "scale": null,
      "size": null,
      "source": "status",
      "type": "text"
    },
    {
      "allow_nil?": true,
      "default": "nil",
      "generated?": false,
      "precision": null,
      "primary_key?": false,
      "references": null,
      "scale": null,
      "size": null,
      "source": "tags",
      "type": ["array", "text"]
    },
    {
      "allow_nil?": true,
      "default": "nil",
      "generated?": false,
      "precision": null,
      "primary_key?": false,
      "references": {
        "deferrable": false,
        "destination_attribute": "id",
        "destination_attribute_default": null,
        "destination_attribute_generated": null,
        "index?": false,
        "match_type": null,
        "match_with": null,
        "multitenancy": {"attribute": null, "global": null, "strategy": null},
        "name": "invoices_customer_id_fkey",
        "on_delete": null,
        "on_update": null,
        "primary_key?": true,
        "schema": "billing",
        "table": "customers"
      },
      "scale": null,
      "size": null,
      "source": "customer_id",
      "type": "uuid"
    }
  ],
  "base_filter": null,
  "check_constraints": [],
  "custom_indexes": [],
  "custom_statements": [],
  "has_create_action": true,
  "hash": "5F0C0E6A2B3D4C5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6",
  "identities": [
    {
      "all_tenants?": false,
      "base_filter": null,
      "index_name": "invoices_unique_number_index",
      "keys": [{"type": "atom", "value": "number"}],
      "name": "unique_number",
      "nils_distinct?": true,
      "where": null
    }
  ],
  "multitenancy": {"attribute": null, "global": null, "strategy": null},
  "repo": "Elixir.Billing.Repo",
  "schema": "billing",
  "table": "invoices"
}"#;

    fn table(text: &str) -> TableSnapshot {
        match parse(
            "priv/resource_snapshots/repo/invoices/20240101000000.json",
            text,
        ) {
            Ok(SnapshotFacts::Table(t)) => t,
            other => panic!("not a table snapshot: {other:?}"),
        }
    }

    #[test]
    fn reads_a_generated_snapshot() {
        let t = table(INVOICES);
        assert_eq!(t.table, "invoices");
        assert_eq!(
            INVOICES.get(t.table_span.clone()),
            Some("\"table\": \"invoices\"")
        );
        assert_eq!(t.schema.as_deref(), Some("billing"));
        assert_eq!(t.repo.as_deref(), Some("Elixir.Billing.Repo"));
        assert_eq!(t.strategy, None);
        let sources: Vec<&str> = t.attributes.iter().map(|a| a.source.as_str()).collect();
        assert_eq!(sources, ["id", "status", "tags", "customer_id"]);
        let id = &t.attributes[0];
        assert_eq!(id.default, "fragment(\"gen_random_uuid()\")");
        assert_eq!((id.allow_nil, id.primary_key), (Some(false), Some(true)));
        assert_eq!(INVOICES.get(id.span.clone()), Some("\"source\": \"id\""));
        assert_eq!(t.attributes[1].default, "\"draft\"");
        assert_eq!(
            t.attributes[2].column_type,
            SnapshotType::Array(Box::new(SnapshotType::Name("text".into())))
        );
        assert_eq!(t.attributes[2].column_type.describe(), "text[]");
        assert_eq!(
            t.attributes[3].references,
            Some(SnapshotReference {
                table: Some("customers".into()),
                schema: Some("billing".into()),
                destination_attribute: Some("id".into()),
            })
        );
        assert_eq!(
            t.identities,
            [SnapshotIdentity {
                name: "unique_number".into(),
                keys: vec!["number".into()],
                span: t.identities[0].span.clone(),
            }]
        );
        assert_eq!(
            INVOICES.get(t.identities[0].span.clone()),
            Some("\"name\": \"unique_number\"")
        );
    }

    #[test]
    fn reads_the_older_unsorted_layout() {
        // Before 2.x: keys in insertion order, no `precision`, identities
        // without `index_name`, a sized varchar and a null default.
        let text = r#"{"table": "notes", "attributes": [
            {"type": ["varchar", 80], "source": "title", "default": null, "references": null,
             "allow_nil?": true, "primary_key?": false, "generated?": false, "size": 80}],
            "identities": [{"name": "unique_title", "keys": ["title"]}],
            "repo": "Elixir.Notes.Repo", "hash": "00"}"#;
        let t = table(text);
        assert_eq!(t.schema, None);
        assert_eq!(
            t.attributes[0].column_type,
            SnapshotType::Sized("varchar".into(), 80)
        );
        assert_eq!(t.attributes[0].default, "nil");
        assert_eq!(t.identities[0].keys, ["title"]);
        assert!(t.check_constraints.is_empty());
    }

    #[test]
    fn extensions_files() {
        for text in [
            r#"["citext", "ash-functions"]"#,
            r#"{"installed": ["citext"], "ash_functions_version": 5}"#,
        ] {
            assert_eq!(
                parse("priv/resource_snapshots/repo/extensions.json", text),
                Ok(SnapshotFacts::Extensions)
            );
        }
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let rel = "priv/resource_snapshots/repo/users/20240101000000.json";
        let err = |text: &str| parse(rel, text).err().unwrap_or_default();
        assert_eq!(
            err(""),
            "empty snapshot file; `mix ash.codegen` cannot read it either"
        );
        assert_eq!(
            err("  \n"),
            "empty snapshot file; `mix ash.codegen` cannot read it either"
        );
        assert!(
            err(&INVOICES[..200]).starts_with("malformed snapshot JSON (EOF while parsing"),
            "{}",
            err(&INVOICES[..200])
        );
        assert_eq!(
            err("[1, 2]"),
            "not a resource snapshot: the file holds a list instead of an object"
        );
        assert_eq!(
            err(r#"{"table": "users"}"#),
            "not a resource snapshot codegen can use: it has no `attributes` list"
        );
        assert_eq!(
            err(r#"{"table": 3, "attributes": []}"#),
            "not a resource snapshot codegen can use: `table` is a number, not a string"
        );
        assert_eq!(
            err(r#"{"table": "users", "attributes": {"id": 1}}"#),
            "not a resource snapshot codegen can use: `attributes` is an object, not a list"
        );
        assert_eq!(
            err(r#"{"table": "users", "attributes": [{"source": "id"}]}"#),
            "not a resource snapshot codegen can use: attribute `id` has no `type`"
        );
        assert_eq!(
            err(r#"{"table": "users", "attributes": [{"source": "id", "type": "uuid", "allow_nil?": "no"}]}"#),
            "not a resource snapshot codegen can use: `allow_nil?` of attribute `id` is a string, not true or false"
        );
        assert_eq!(
            err(r#"{"table": "users", "attributes": [7]}"#),
            "not a resource snapshot codegen can use: attribute 1 is a number, not an object"
        );
        assert_eq!(
            err(
                r#"{"table": "users", "attributes": [], "identities": [{"name": "x", "keys": [1]}]}"#
            ),
            "not a resource snapshot codegen can use: a key of identity `x` is not a name"
        );
        // Nesting deeper than the JSON reader allows is an error, not a crash.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(err(&deep).starts_with("malformed snapshot JSON"));
        // Text that only looks like JSON.
        assert!(err("\u{feff}{\"table\": \"é\"").starts_with("malformed snapshot JSON"));
    }

    #[test]
    fn locates_files_in_the_layout() {
        let at = |rel: &str| locate("apps/core", rel);
        let versioned = |repo: &str, tenant: bool, folder: &str, version: &str| {
            Some(SnapshotPath {
                repo: repo.into(),
                tenant,
                kind: SnapshotPathKind::Versioned {
                    folder: folder.into(),
                    version: version.into(),
                },
            })
        };
        let base = "apps/core/priv/resource_snapshots";
        assert_eq!(
            at(&format!("{base}/repo/users/20240101000000.json")),
            versioned("repo", false, "users", "20240101000000")
        );
        assert_eq!(
            at(&format!("{base}/repo/tenants/posts/20240101000000.json")),
            versioned("repo", true, "posts", "20240101000000")
        );
        // A table named `tenants` is a table folder, not the tenant folder.
        assert_eq!(
            at(&format!("{base}/repo/tenants/20240101000000.json")),
            versioned("repo", false, "tenants", "20240101000000")
        );
        assert_eq!(
            at(&format!("{base}/repo/platform.users/20240101000000.json")),
            versioned("repo", false, "platform.users", "20240101000000")
        );
        assert_eq!(
            at(&format!("{base}/repo/users/20240101000000_dev.json")).map(|p| p.kind),
            Some(SnapshotPathKind::Other {
                folder: "users".into()
            })
        );
        assert_eq!(
            at(&format!("{base}/repo/users.json")).map(|p| p.kind),
            Some(SnapshotPathKind::Legacy {
                folder: "users".into()
            })
        );
        assert_eq!(
            at(&format!("{base}/repo/tenants/posts.json")),
            Some(SnapshotPath {
                repo: "repo".into(),
                tenant: true,
                kind: SnapshotPathKind::Legacy {
                    folder: "posts".into()
                }
            })
        );
        assert_eq!(
            at(&format!("{base}/repo/extensions.json")).map(|p| p.kind),
            Some(SnapshotPathKind::NotATable)
        );
        assert_eq!(at(&format!("{base}/extensions.json")), None);
        assert_eq!(at(&format!("{base}/repo/a/b/c/1.json")), None);
        assert_eq!(
            at("priv/resource_snapshots/repo/users/20240101000000.json"),
            None
        );
    }

    fn workspace(files: &[(&str, &str)]) -> Workspace {
        let files = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        Workspace::from_memory(Path::new("/w"), files).unwrap_or_default()
    }

    const MINIMAL: &str = r#"{"table": "users", "attributes": []}"#;

    #[test]
    fn the_newest_versioned_file_wins() {
        let ws = workspace(&[
            ("mix.exs", ""),
            (
                "priv/resource_snapshots/repo/users/20230101000000.json",
                MINIMAL,
            ),
            (
                "priv/resource_snapshots/repo/users/20240601000000.json",
                MINIMAL,
            ),
            (
                "priv/resource_snapshots/repo/users/20250101000000_dev.json",
                MINIMAL,
            ),
            ("priv/resource_snapshots/repo/users/initial.json", MINIMAL),
            ("priv/resource_snapshots/repo/extensions.json", "[]"),
            (
                "priv/resource_snapshots/repo/platform.accounts/20240101000000.json",
                MINIMAL,
            ),
            (
                "priv/resource_snapshots/repo/accounts/20250101000000.json",
                MINIMAL,
            ),
            ("priv/resource_snapshots/repo/old_table.json", MINIMAL),
            (
                "priv/resource_snapshots/repo/tenants/posts/20240101000000.json",
                MINIMAL,
            ),
        ]);
        let s = RootSnapshots::read(&ws, "", "repo");
        assert!(!s.in_git);
        assert_eq!((s.present, s.tracked), (8, 8));
        let newest =
            |tenant, schema, table| s.newest("repo", tenant, schema, table).map(|f| f.file);
        assert_eq!(
            newest(false, None, "users"),
            Some("priv/resource_snapshots/repo/users/20240601000000.json")
        );
        // The `<schema>.<table>` folder wins when it exists, even when older.
        assert_eq!(
            newest(false, Some("platform"), "accounts"),
            Some("priv/resource_snapshots/repo/platform.accounts/20240101000000.json")
        );
        // Without one, the plain table folder is read.
        assert_eq!(
            newest(false, Some("billing"), "users"),
            Some("priv/resource_snapshots/repo/users/20240601000000.json")
        );
        assert_eq!(
            newest(false, None, "old_table"),
            Some("priv/resource_snapshots/repo/old_table.json")
        );
        assert_eq!(newest(false, None, "posts"), None);
        assert_eq!(
            newest(true, None, "posts"),
            Some("priv/resource_snapshots/repo/tenants/posts/20240101000000.json")
        );
        assert_eq!(s.newest("other_repo", false, None, "users"), None);
        assert_eq!(s.tables().count(), 5);
    }

    #[test]
    fn ignored_snapshots_are_not_tracked() {
        let ws = workspace(&[
            ("mix.exs", ""),
            (".git/HEAD", "ref: refs/heads/main\n"),
            (
                ".gitignore",
                "/_build\n# snapshots conflict\npriv/resource_snapshots/\n",
            ),
            (
                "priv/resource_snapshots/repo/users/20240101000000.json",
                MINIMAL,
            ),
        ]);
        let s = RootSnapshots::read(&ws, "", "repo");
        assert!(s.in_git);
        assert_eq!((s.present, s.tracked), (1, 0));
        let m = s.ignored_by.clone().unwrap_or_else(|| panic!("ignored"));
        assert_eq!((m.file.as_deref(), m.line), (Some(".gitignore"), 2));
        assert_eq!(s.newest("repo", false, None, "users"), None);
        assert!(!has_tracked(&ws, ""));
    }

    #[test]
    fn outside_git_present_snapshots_count_as_tracked() {
        let ws = workspace(&[
            ("mix.exs", ""),
            (".gitignore", "priv/resource_snapshots/\n"),
            (
                "priv/resource_snapshots/repo/users/20240101000000.json",
                MINIMAL,
            ),
        ]);
        assert!(has_tracked(&ws, ""));
        let s = RootSnapshots::read(&ws, "", "repo");
        assert_eq!((s.in_git, s.tracked), (false, 1));
        assert!(
            s.ignored_by.is_some(),
            "the would-be ignore line is still found"
        );
    }

    #[test]
    fn absent_snapshots_ask_about_a_file_that_would_be_written() {
        let ws = workspace(&[
            ("mix.exs", ""),
            (".git/HEAD", ""),
            (".gitignore", "*.json\n"),
        ]);
        let s = RootSnapshots::read(&ws, "", "repo");
        assert_eq!(s.present, 0);
        assert_eq!(s.ignored_by.map(|m| m.pattern), Some("*.json".to_string()));
    }
}
