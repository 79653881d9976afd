//! Repos (`use Ecto.Repo` / `use AshPostgres.Repo`) and their migration
//! settings in config files (`config :app, MyApp.Repo, priv: …,
//! migration_primary_key: …, migration_default_prefix: …`).

use super::{captures, collapse, option, resource_query, Dsl, Reader, UseCall};
use crate::model::facts::{ElixirFacts, RepoConfigFacts, RepoFacts, Unresolved};
use crate::syntax::elixir::{
    self, alias_name, atom_name, call_name, eval, keyword_args, positional_args, text,
    ModuleAttributes, Value,
};
use tree_sitter::{Node, Tree};

/// The repo a module defines with `Ecto.Repo` or `AshPostgres.Repo`; one
/// whose adapter is literally something other than Postgres is marked so.
pub(super) fn read_repo(reader: &mut Reader, uses: &[UseCall]) -> Option<RepoFacts> {
    let src = reader.src;
    let u = uses
        .iter()
        .find(|u| u.module == "Ecto.Repo" || u.module == "AshPostgres.Repo")?;
    let options = keyword_args(u.call, src);
    let mut postgres = true;
    if u.module == "Ecto.Repo" {
        if let Some(adapter) = option(&options, "adapter") {
            if let Dsl::Known(Value::Alias(a)) = reader.value(adapter) {
                // MySQL, SQLite, … repos have migrations we do not model.
                postgres = a == "Ecto.Adapters.Postgres";
            }
        }
    }
    let otp_app = option(&options, "otp_app").and_then(|a| atom_name(a, src));
    Some(RepoFacts {
        module: reader.module.clone(),
        span: u.call.byte_range(),
        otp_app,
        postgres,
    })
}

/// `config :app, Repo, …` entries with migration settings, in a file that
/// says `import Config` or `use Mix.Config`.
pub(super) fn read_config(src: &str, tree: &Tree, facts: &mut ElixirFacts) {
    let root = tree.root_node();
    let mut cursor = root.walk();
    let top: Vec<Node> = root.named_children(&mut cursor).collect();
    let is_config = top.iter().any(|s| {
        let name = call_name(*s, src);
        let first = positional_args(*s).first().map(|a| text(*a, src));
        matches!(
            (name, first),
            (Some("import"), Some("Config")) | (Some("use"), Some("Mix.Config"))
        )
    });
    if !is_config {
        return;
    }
    let Some(q) = resource_query() else {
        return;
    };
    let aliases = elixir::aliases(&top, src);
    for (call, parts) in captures(root, src, q.config_call, &[q.config_app, q.config_module]) {
        let Some(module) = parts
            .get(1)
            .copied()
            .flatten()
            .and_then(|m| alias_name(m, src))
        else {
            continue;
        };
        let repo = elixir::expand_alias(&module, &aliases, "");
        if let Some(config) = repo_config(src, call, repo, &mut facts.unresolved) {
            facts.repo_configs.push(config);
        }
    }
}

fn repo_config(
    src: &str,
    call: Node,
    repo: String,
    unresolved: &mut Vec<Unresolved>,
) -> Option<RepoConfigFacts> {
    let attrs = ModuleAttributes::default();
    let options = keyword_args(call, src);
    let relevant = [
        "priv",
        "migration_primary_key",
        "migration_foreign_key",
        "migration_default_prefix",
    ];
    if !options.iter().any(|(k, _)| relevant.contains(&k.as_str())) {
        return None;
    }
    let mut config = RepoConfigFacts {
        repo,
        span: call.byte_range(),
        priv_dir: None,
        migration_primary_key: None,
        no_migration_primary_key: false,
        migration_default_prefix: None,
        migration_foreign_key_column: None,
        migration_foreign_key_type: None,
    };
    let mut not_literal = |node: Node, what: &str| {
        let written = collapse(text(node, src));
        unresolved.push(Unresolved {
            span: node.byte_range(),
            message: format!(
                "`{what}: {written}` of {} cannot be followed statically",
                config_repo_name(call, src)
            ),
        });
    };
    for (key, value) in options {
        match key.as_str() {
            "priv" => match eval(value, src, &attrs) {
                Value::Str(p) => config.priv_dir = Some(p),
                _ => not_literal(value, "priv"),
            },
            "migration_default_prefix" => match eval(value, src, &attrs) {
                Value::Str(p) | Value::Atom(p) => config.migration_default_prefix = Some(p),
                _ => not_literal(value, "migration_default_prefix"),
            },
            "migration_primary_key" => match eval(value, src, &attrs) {
                Value::Bool(false) => config.no_migration_primary_key = true,
                Value::Keyword(pairs) => config.migration_primary_key = primary_key(&pairs),
                Value::List(items) if items.is_empty() => {
                    config.migration_primary_key = primary_key(&[]);
                }
                _ => not_literal(value, "migration_primary_key"),
            },
            "migration_foreign_key" => match eval(value, src, &attrs) {
                Value::Keyword(pairs) => match foreign_key(&pairs) {
                    Some((column, pg_type)) => {
                        config.migration_foreign_key_column = column;
                        config.migration_foreign_key_type = pg_type;
                    }
                    None => not_literal(value, "migration_foreign_key"),
                },
                Value::List(items) if items.is_empty() => {}
                _ => not_literal(value, "migration_foreign_key"),
            },
            _ => {}
        }
    }
    Some(config)
}

fn config_repo_name(call: Node, src: &str) -> String {
    positional_args(call)
        .get(1)
        .map(|m| collapse(text(*m, src)))
        .unwrap_or_default()
}

/// `[name: :uuid, type: :binary_id]` → (`uuid`, `uuid`); Ecto's defaults
/// are `name: :id, type: :bigserial`.
fn primary_key(pairs: &[(String, Value)]) -> Option<(String, String)> {
    let get = |key: &str| pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v);
    let name = match get("name") {
        Some(Value::Atom(n)) | Some(Value::Str(n)) => n.clone(),
        None => "id".into(),
        Some(_) => return None,
    };
    let pg_type = match get("type") {
        Some(Value::Atom(t)) => migration_pg_type(t),
        None => "bigserial".into(),
        Some(_) => return None,
    };
    Some((name, pg_type))
}

/// `[column: :uuid, type: :binary_id]` → (`Some("uuid")`, `Some("uuid")`);
/// a key left out keeps `references/2`'s own default. `None` when a value is
/// not a literal name.
fn foreign_key(pairs: &[(String, Value)]) -> Option<(Option<String>, Option<String>)> {
    let get = |key: &str| pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v);
    let column = match get("column") {
        Some(Value::Atom(c)) | Some(Value::Str(c)) => Some(c.clone()),
        None => None,
        Some(_) => return None,
    };
    let pg_type = match get("type") {
        Some(Value::Atom(t)) => Some(migration_pg_type(t)),
        None => None,
        Some(_) => return None,
    };
    Some((column, pg_type))
}

/// The Postgres type Ecto's Postgres adapter gives a migration column type.
fn migration_pg_type(ecto: &str) -> String {
    match ecto {
        "id" => "integer".into(),
        "serial" => "serial".into(),
        "bigserial" => "bigserial".into(),
        "identity" => "bigint".into(),
        "binary_id" | "uuid" => "uuid".into(),
        "string" => "varchar(255)".into(),
        "binary" => "bytea".into(),
        other => other.into(),
    }
}
