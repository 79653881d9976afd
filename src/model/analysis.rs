//! From indexed files to the analysed project: repos and their migration
//! folders, one folded model per repo (and per repo's tenant migrations),
//! resources with base modules resolved, and each resource linked to its table.

use crate::model::bases;
use crate::model::facts::{Multitenancy, ResourceFacts, ResourceKind, TypeStorage};
use crate::model::fold::{
    fold_model_resuming, fold_position, underscore, Checkpoint, FoldPosition, ModelKey,
    RepoMigrationConfig, RepoModel,
};
use crate::model::types::{array_inner, ash_family, ecto_family, TypeFamily};
use crate::model::workspace::{FileRole, Workspace};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A repo module and where its migrations live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInfo {
    pub module: String,
    pub root: String,
    pub file: String,
    /// Relative to the workspace (`apps/core/priv/repo`).
    pub repo_dir: String,
    pub config: RepoMigrationConfig,
    /// False for a repo with another adapter: its folder is not folded.
    pub postgres: bool,
}

/// A resource (or Ecto schema) with its table found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedResource {
    pub file: String,
    pub root: String,
    /// Shared: an analysis after a migration edit reuses them as they are.
    pub facts: Arc<ResourceFacts>,
    /// Index into [`Analysis::models`] of the model its table lives in.
    pub model: Option<usize>,
    /// Schema-qualified table name, when the table is known.
    pub table: Option<String>,
}

impl LinkedResource {
    pub fn is_tenant(&self) -> bool {
        self.facts.multitenancy == Some(Multitenancy::Context)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    pub repos: Vec<RepoInfo>,
    /// Shared: an analysis after an edit takes over the models it need not
    /// fold again.
    pub models: Vec<Arc<RepoModel>>,
    /// Postgres-backed resources and schemas (others are in `other_modules`).
    pub resources: Vec<LinkedResource>,
    /// Primary-key type family of every resource module seen, postgres or
    /// not, for `belongs_to` key types.
    pub primary_keys: BTreeMap<String, Option<TypeFamily>>,
    /// How the project's own type modules (enums, NewTypes, embedded
    /// resources, custom types) store their values.
    pub type_storage: BTreeMap<String, TypeStorage>,
    /// Where the next fold of each model may start (not part of the result).
    pub checkpoints: Checkpoints,
}

/// A model's checkpoint, to keep for the next analysis.
type KeptCheckpoint = (ModelKey, Arc<Checkpoint>);

/// Linked resources, primary-key families by module, type modules.
type Resources = (
    Vec<LinkedResource>,
    BTreeMap<String, Option<TypeFamily>>,
    BTreeMap<String, TypeStorage>,
);

/// Fold checkpoints by model: a cache, equal whatever it holds, so an
/// analysis that reused one equals a fresh one.
#[derive(Debug, Clone, Default)]
pub struct Checkpoints(BTreeMap<ModelKey, Arc<Checkpoint>>);

impl PartialEq for Checkpoints {
    fn eq(&self, _: &Checkpoints) -> bool {
        true
    }
}

impl Checkpoints {
    /// Whether no model has one.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Analysis {
    /// Whether migrations in `repo_dir` belong to a repo with another
    /// adapter than Postgres, so no rule judges them as Postgres DDL.
    pub fn is_foreign_repo_dir(&self, repo_dir: &str) -> bool {
        repo_for_dir(&self.repos, repo_dir).is_some_and(|r| !r.postgres)
    }

    pub fn model_of(&self, r: &LinkedResource) -> Option<&RepoModel> {
        r.model.and_then(|i| self.models.get(i)).map(|m| &**m)
    }

    /// Resources mapped to a table of a model.
    pub fn resources_on(&self, model: usize, table: &str) -> impl Iterator<Item = &LinkedResource> {
        let table = table.to_string();
        self.resources
            .iter()
            .filter(move |r| r.model == Some(model) && r.table.as_deref() == Some(table.as_str()))
    }

    pub fn resource(&self, module: &str) -> Option<&LinkedResource> {
        self.resources.iter().find(|r| r.facts.module == module)
    }

    /// The family an attribute's type is stored as, following the type
    /// modules the project defines.
    pub fn attribute_family(&self, kind: ResourceKind, written: &str) -> Option<TypeFamily> {
        family_with_types(&self.type_storage, kind, written, 0)
    }
}

/// How far a chain of type modules (a NewType of a NewType …) is followed.
const MAX_TYPE_CHAIN: usize = 8;

fn family_with_types(
    types: &BTreeMap<String, TypeStorage>,
    kind: ResourceKind,
    written: &str,
    depth: usize,
) -> Option<TypeFamily> {
    if let Some(f) = attribute_family(kind, written) {
        return Some(f);
    }
    if depth > MAX_TYPE_CHAIN {
        return None;
    }
    let t = written.trim();
    if let Some(inner) = array_inner(t) {
        return family_with_types(types, kind, inner, depth + 1)
            .map(|f| TypeFamily::Array(Box::new(f)));
    }
    match types.get(t)? {
        TypeStorage::Ash(w) => family_with_types(types, ResourceKind::Ash, w, depth + 1),
        TypeStorage::Ecto(w) => family_with_types(types, ResourceKind::Ecto, w, depth + 1),
    }
}

pub fn analyze(ws: &Workspace) -> Analysis {
    analyze_reusing(ws, None)
}

/// [`analyze`] for a workspace in which only the files `changed`
/// (workspace-relative paths: edited, added or removed) differ from the one
/// `previous` was made from. The folded model of each migrations folder
/// holding none of them is taken over instead of folded again, provided the
/// repos and their migration configuration are unchanged; the result equals
/// a fresh [`analyze`].
pub fn analyze_after_change(ws: &Workspace, previous: &Analysis, changed: &[String]) -> Analysis {
    analyze_reusing(ws, Some((previous, changed)))
}

fn analyze_reusing(ws: &Workspace, previous: Option<(&Analysis, &[String])>) -> Analysis {
    let repos = collect_repos(ws);
    // Models that can be taken over: same repos and configuration, and no
    // changed file inside their migrations folder. A model with changed
    // files folds again, from its checkpoint when every change comes after.
    let mut reusable: BTreeMap<&ModelKey, &Arc<RepoModel>> = BTreeMap::new();
    // The earliest changed file of each dirty model.
    let mut dirty: BTreeMap<ModelKey, FoldPosition> = BTreeMap::new();
    let mut checkpoints: BTreeMap<&ModelKey, &Arc<Checkpoint>> = BTreeMap::new();
    if let Some((previous, changed)) = previous.filter(|(p, _)| p.repos == repos) {
        for rel in changed {
            let Some((key, at)) = ws.classify(rel).and_then(|role| fold_position(rel, &role))
            else {
                continue;
            };
            match dirty.get_mut(&key) {
                Some(earliest) if *earliest <= at => {}
                Some(earliest) => *earliest = at,
                None => {
                    dirty.insert(key, at);
                }
            }
        }
        for m in &previous.models {
            if !dirty.contains_key(&m.key) {
                reusable.insert(&m.key, m);
            }
        }
        checkpoints = previous.checkpoints.0.iter().collect();
    }
    let mut keys: BTreeMap<ModelKey, String> = BTreeMap::new();
    for f in ws.files.values() {
        if let FileRole::Migration {
            root,
            repo_dir,
            tenant,
            ..
        } = &f.role
        {
            keys.entry(ModelKey {
                repo_dir: repo_dir.clone(),
                tenant: *tenant,
            })
            .or_insert_with(|| root.clone());
        }
    }
    // Migrations of MySQL, SQLite, ClickHouse… repos are not Postgres DDL.
    keys.retain(|key, _| repo_for_dir(&repos, &key.repo_dir).is_none_or(|r| r.postgres));
    let folded: Vec<(Arc<RepoModel>, Option<KeptCheckpoint>)> = keys
        .into_iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(key, root)| {
            let checkpoint = checkpoints.get(&key).copied();
            if let Some(model) = reusable.get(&key).filter(|m| m.root == root) {
                return (Arc::clone(model), checkpoint.map(|c| (key, c.clone())));
            }
            let repo = repo_for_dir(&repos, &key.repo_dir);
            let config = repo.map(|r| r.config.clone()).unwrap_or_default();
            let module = repo.map(|r| r.module.clone());
            let earliest = dirty.get(&key);
            // Valid while every change since it came at or after it.
            let resume = checkpoint.filter(|c| earliest.is_some_and(|e| c.before <= *e));
            let keep = if resume.is_some() { None } else { earliest };
            let (model, kept) =
                fold_model_resuming(ws, &key, &root, module, &config, resume.map(|c| &**c), keep);
            let checkpoint = match (resume, kept) {
                (Some(c), _) => Some(c.clone()),
                (None, Some(kept)) => Some(Arc::new(kept)),
                (None, None) => None,
            };
            (Arc::new(model), checkpoint.map(|c| (key, c)))
        })
        .collect();
    let mut models = Vec::with_capacity(folded.len());
    let mut kept_checkpoints = BTreeMap::new();
    for (model, checkpoint) in folded {
        models.push(model);
        if let Some((key, c)) = checkpoint {
            kept_checkpoints.insert(key, c);
        }
    }

    // Resources come from Elixir files alone: when only migrations changed,
    // the previous ones stand, linked again to the new models.
    let (resources, primary_keys, type_storage) = match previous {
        Some((previous, changed))
            if changed
                .iter()
                .all(|rel| matches!(ws.classify(rel), Some(FileRole::Migration { .. }))) =>
        {
            (
                previous.resources.clone(),
                previous.primary_keys.clone(),
                previous.type_storage.clone(),
            )
        }
        _ => resources_of(ws),
    };
    let mut resources = resources;
    for r in &mut resources {
        r.model = None;
        r.table = None;
        link(r, &models);
    }
    Analysis {
        repos,
        models,
        resources,
        primary_keys,
        type_storage,
        checkpoints: Checkpoints(kept_checkpoints),
    }
}

/// The Postgres-backed resources of the workspace (not linked yet), the
/// primary-key family of every resource module, and the type modules.
fn resources_of(ws: &Workspace) -> Resources {
    let templates: Vec<_> = ws
        .files
        .values()
        .filter_map(|f| f.elixir())
        .flat_map(|e| e.templates.iter().cloned())
        .collect();
    let mut type_storage = BTreeMap::new();
    for t in ws
        .files
        .values()
        .filter_map(|f| f.elixir())
        .flat_map(|e| &e.types)
    {
        type_storage
            .entry(t.module.clone())
            .or_insert_with(|| t.storage.clone());
    }
    let mut primary_keys = BTreeMap::new();
    let mut resources = Vec::new();
    for f in ws.files.values() {
        let Some(facts) = f.elixir() else { continue };
        if facts.resources.is_empty() {
            continue;
        }
        for r in bases::resolve(facts.resources.clone(), &templates) {
            primary_keys.insert(r.module.clone(), primary_key_family(&r, &type_storage));
            if !r.postgres {
                continue;
            }
            resources.push(LinkedResource {
                file: f.rel.clone(),
                root: f.role.root().to_string(),
                facts: Arc::new(r),
                model: None,
                table: None,
            });
        }
    }
    (resources, primary_keys, type_storage)
}

fn primary_key_family(
    r: &ResourceFacts,
    types: &BTreeMap<String, TypeStorage>,
) -> Option<TypeFamily> {
    let pk: Vec<_> = r.attributes.iter().filter(|a| a.primary_key).collect();
    match pk.as_slice() {
        [one] => family_with_types(types, r.kind, &one.written_type, 0),
        [] if r.kind == ResourceKind::Ecto => Some(TypeFamily::Integer),
        _ => None,
    }
}

/// The family an attribute's type is stored as, by the resource's kind.
pub fn attribute_family(kind: ResourceKind, written: &str) -> Option<TypeFamily> {
    match kind {
        ResourceKind::Ash => ash_family(written),
        ResourceKind::Ecto => ecto_family(written),
    }
}

/// Columns a resource's extensions may add that its source does not declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnseenColumns {
    /// Every extension is one we know adds no attributes.
    None,
    /// Extensions that add these attributes when the resource lacks them.
    Known(BTreeSet<&'static str>),
    /// An extension we cannot see into (or a computed extension list).
    Unknown,
}

/// Extensions that add no attributes to the resource they are used on
/// (AshCloak's own column is modelled where its block is read).
const EXTENSIONS_WITHOUT_ATTRIBUTES: &[&str] = &[
    "AshGraphql.Resource",
    "AshJsonApi.Resource",
    "AshAdmin.Resource",
    "AshOban",
    "AshCloak",
    "AshAi",
    "AshRateLimiter",
    "AshTypescript.Resource",
    "AshSlug",
];

/// Extensions whose transformer adds a fixed set of attributes unless the
/// resource declares them itself.
const EXTENSION_ATTRIBUTES: &[(&str, &[&str])] = &[(
    "AshAuthentication.TokenResource",
    &[
        "jti",
        "subject",
        "expires_at",
        "purpose",
        "extra_data",
        "created_at",
        "updated_at",
    ],
)];

/// What `r`'s extensions may add to its table beyond what its source shows.
pub fn unseen_columns(r: &ResourceFacts) -> UnseenColumns {
    let mut known = BTreeSet::new();
    for extension in &r.extensions {
        if EXTENSIONS_WITHOUT_ATTRIBUTES.contains(&extension.as_str()) {
            continue;
        }
        match EXTENSION_ATTRIBUTES
            .iter()
            .find(|(module, _)| module == extension)
        {
            Some((_, columns)) => known.extend(columns.iter().copied()),
            None => return UnseenColumns::Unknown,
        }
    }
    if known.is_empty() {
        UnseenColumns::None
    } else {
        UnseenColumns::Known(known)
    }
}

/// The extension that makes AshPaperTrail keep a `<table>_versions` table
/// through a resource it generates.
pub const PAPER_TRAIL_EXTENSION: &str = "AshPaperTrail.Resource";

fn collect_repos(ws: &Workspace) -> Vec<RepoInfo> {
    let mut configs: BTreeMap<String, RepoMigrationConfig> = BTreeMap::new();
    let mut priv_dirs: BTreeMap<String, String> = BTreeMap::new();
    for f in ws.files.values() {
        let Some(e) = f.elixir() else { continue };
        for c in &e.repo_configs {
            let entry = configs.entry(c.repo.clone()).or_default();
            if let Some(pk) = &c.migration_primary_key {
                entry.primary_key = Some(pk.clone());
            }
            if c.no_migration_primary_key {
                entry.no_primary_key = true;
            }
            if let Some(p) = &c.migration_default_prefix {
                entry.default_prefix = Some(p.clone());
            }
            if let Some(column) = &c.migration_foreign_key_column {
                entry.foreign_key_column = Some(column.clone());
            }
            if let Some(ty) = &c.migration_foreign_key_type {
                entry.foreign_key_type = Some(ty.clone());
            }
            if let Some(p) = &c.priv_dir {
                priv_dirs.insert(c.repo.clone(), p.trim_end_matches('/').to_string());
            }
        }
    }
    let mut seen = BTreeSet::new();
    let mut repos = Vec::new();
    for f in ws.files.values() {
        let Some(e) = f.elixir() else { continue };
        for r in &e.repos {
            if !seen.insert((f.role.root().to_string(), r.module.clone())) {
                continue;
            }
            let root = f.role.root().to_string();
            let last = r.module.rsplit('.').next().unwrap_or(&r.module);
            let priv_dir = priv_dirs
                .get(&r.module)
                .cloned()
                .unwrap_or_else(|| format!("priv/{}", underscore(last)));
            let repo_dir = if root.is_empty() {
                priv_dir
            } else {
                format!("{root}/{priv_dir}")
            };
            repos.push(RepoInfo {
                module: r.module.clone(),
                root,
                file: f.rel.clone(),
                repo_dir,
                config: configs.get(&r.module).cloned().unwrap_or_default(),
                postgres: r.postgres,
            });
        }
    }
    repos
}

fn repo_for_dir<'r>(repos: &'r [RepoInfo], repo_dir: &str) -> Option<&'r RepoInfo> {
    repos.iter().find(|r| r.repo_dir == repo_dir).or_else(|| {
        // A repo defined in one umbrella app whose migrations live in another
        // app's priv folder of the same name.
        let folder = repo_dir.rsplit('/').next().unwrap_or(repo_dir);
        let mut matching = repos
            .iter()
            .filter(|r| r.repo_dir.rsplit('/').next() == Some(folder));
        let first = matching.next();
        if matching.next().is_some() {
            None
        } else {
            first
        }
    })
}

fn link(r: &mut LinkedResource, models: &[Arc<RepoModel>]) {
    let tenant = r.is_tenant();
    let Some(table) = r.facts.table.as_ref().and_then(|t| t.value()).cloned() else {
        return;
    };
    let candidates: Vec<usize> = {
        let mut by_repo: Vec<usize> = match &r.facts.repo {
            Some(repo) => models
                .iter()
                .enumerate()
                .filter(|(_, m)| m.key.tenant == tenant && m.repo_module.as_deref() == Some(repo))
                .map(|(i, _)| i)
                .collect(),
            None => Vec::new(),
        };
        // Projects side by side in one workspace may share a repo module
        // name; the resource's own project wins when it has that repo's
        // migrations (an umbrella app may use another app's repo).
        if by_repo.iter().any(|&i| models[i].root == r.root) {
            by_repo.retain(|&i| models[i].root == r.root);
        }
        if !by_repo.is_empty() {
            by_repo
        } else {
            let same_root: Vec<usize> = models
                .iter()
                .enumerate()
                .filter(|(_, m)| m.key.tenant == tenant && m.root == r.root)
                .map(|(i, _)| i)
                .collect();
            if !same_root.is_empty() {
                same_root
            } else {
                models
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.key.tenant == tenant)
                    .map(|(i, _)| i)
                    .collect()
            }
        }
    };
    let qualified_in = |m: &RepoModel| {
        let schema = r
            .facts
            .schema
            .as_ref()
            .and_then(|s| s.value())
            .cloned()
            .unwrap_or_else(|| m.default_schema.clone());
        let schema = if m.key.tenant {
            m.default_schema.clone()
        } else {
            schema
        };
        format!("{schema}.{table}")
    };
    let found = candidates
        .iter()
        .copied()
        .find(|&i| models[i].tables.contains_key(&qualified_in(&models[i])));
    let chosen = found.or_else(|| candidates.first().copied());
    r.model = chosen;
    r.table = Some(match chosen {
        Some(i) => qualified_in(&models[i]),
        None => {
            let schema = r
                .facts
                .schema
                .as_ref()
                .and_then(|s| s.value())
                .cloned()
                .unwrap_or_else(|| "public".into());
            format!("{schema}.{table}")
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::workspace::SourceFile;
    use std::path::Path;

    fn workspace() -> Workspace {
        let files = [
            ("mix.exs", "defmodule Shop.MixProject do\n  use Mix.Project\nend\n"),
            (
                "lib/shop/repo.ex",
                "defmodule Shop.Repo do\n  use AshPostgres.Repo, otp_app: :shop\nend\n",
            ),
            (
                "lib/shop/order.ex",
                "defmodule Shop.Order do\n  use Ash.Resource, data_layer: AshPostgres.DataLayer\n\n  postgres do\n    table \"orders\"\n    repo Shop.Repo\n  end\n\n  attributes do\n    uuid_primary_key :id\n    attribute :total, :decimal\n  end\nend\n",
            ),
            (
                "priv/repo/migrations/20240101000000_create_orders.exs",
                "defmodule Shop.Repo.Migrations.CreateOrders do\n  use Ecto.Migration\n\n  def change do\n    create table(:orders, primary_key: false) do\n      add :id, :uuid, primary_key: true\n      add :total, :decimal\n    end\n  end\nend\n",
            ),
            (
                "priv/repo/tenant_migrations/20240101000000_create_notes.exs",
                "defmodule Shop.Repo.TenantMigrations.CreateNotes do\n  use Ecto.Migration\n\n  def change do\n    create table(:notes, prefix: prefix()) do\n      add :body, :text\n    end\n  end\nend\n",
            ),
        ];
        let files = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        Workspace::from_memory(Path::new("/w"), files).unwrap_or_default()
    }

    /// Change one file, then compare the reusing analysis with a fresh one.
    fn after_edit(rel: &str, edit: impl Fn(&str) -> String) {
        let mut ws = workspace();
        let before = analyze(&ws);
        assert_eq!(before.models.len(), 2);
        let text = ws
            .files
            .get(rel)
            .map(|f| f.text.to_string())
            .unwrap_or_default();
        assert!(ws.set_text(rel, Arc::from(edit(&text))));
        let fresh = analyze(&ws);
        assert_eq!(
            analyze_after_change(&ws, &before, &[rel.to_string()]),
            fresh
        );
    }

    fn migration(name: &str, body: &str) -> String {
        format!("defmodule Shop.Repo.Migrations.{name} do\n  use Ecto.Migration\n\n  def change do\n{body}\n  end\nend\n")
    }

    /// A buffer typed in again and again: the fold starts from the state
    /// before the edited migration, and every result equals a fresh fold,
    /// through edits before it, files added and removed.
    #[test]
    fn folding_again_from_a_checkpoint_equals_a_fresh_fold() {
        let mut ws = workspace();
        let files = [
            ("priv/repo/migrations/20240201000000_a.exs", migration("A", "    create table(:a) do\n      add :x, :text\n    end")),
            ("priv/repo/migrations/20240301000000_b.exs", migration("B", "    alter table(:a) do\n      add :y, :text\n    end")),
            ("priv/repo/migrations/20240401000000_c.exs", migration("C", "    create index(:a, [:y])\n    create table(:c) do\n      add :z, :text\n    end")),
        ];
        // Add a migration file, or replace its text.
        fn put(ws: &mut Workspace, rel: &str, text: &str) {
            if !ws.set_text(rel, Arc::from(text)) {
                let role = ws.classify(rel).expect("a migration");
                let file = SourceFile::from_text(rel.to_string(), role, Arc::from(text));
                ws.files.insert(rel.to_string(), file);
            }
        }
        for (rel, text) in &files {
            put(&mut ws, rel, text);
        }
        let b = "priv/repo/migrations/20240301000000_b.exs";
        let c = "priv/repo/migrations/20240401000000_c.exs";
        let mut analysis = analyze(&ws);
        assert!(analysis.checkpoints.is_empty());
        let key = ModelKey {
            repo_dir: "priv/repo".into(),
            tenant: false,
        };
        let mut step =
            |ws: &mut Workspace, rel: &str, text: Option<String>| -> Option<Arc<Checkpoint>> {
                match text {
                    Some(text) => put(ws, rel, &text),
                    None => {
                        ws.files.remove(rel);
                    }
                }
                let next = analyze_after_change(ws, &analysis, &[rel.to_string()]);
                assert_eq!(next, analyze(ws), "after changing {rel}");
                assert_eq!(next.models, analyze(ws).models);
                analysis = next;
                analysis.checkpoints.0.get(&key).cloned()
            };
        let text_b = |ws: &Workspace| {
            ws.files
                .get(b)
                .map(|f| f.text.to_string())
                .unwrap_or_default()
        };
        let first = {
            let t = text_b(&ws).replace(":y", ":yy");
            step(&mut ws, b, Some(t))
        }
        .expect("a checkpoint");
        assert_eq!(first.before.1, b);
        // Typing on in the same file resumes from the same checkpoint.
        let again = {
            let t = text_b(&ws).replace(":yy", ":yyy");
            step(&mut ws, b, Some(t))
        }
        .expect("kept");
        assert!(Arc::ptr_eq(&first, &again));
        // A later file changes: still valid.
        let later = step(
            &mut ws,
            c,
            Some(migration(
                "C",
                "    create table(:c) do\n      add :w, :text\n    end",
            )),
        )
        .expect("kept");
        assert!(Arc::ptr_eq(&first, &later));
        // An earlier file changes: folded from the start, checkpoint moved.
        let a = "priv/repo/migrations/20240201000000_a.exs";
        let moved = step(
            &mut ws,
            a,
            Some(migration(
                "A",
                "    create table(:a) do\n      add :x, :integer\n    end",
            )),
        )
        .expect("new");
        assert!(!Arc::ptr_eq(&first, &moved));
        assert_eq!(moved.before.1, a);
        // A file added before it and one removed after it.
        step(
            &mut ws,
            "priv/repo/migrations/20240101000000_first.exs",
            Some(migration("First", "    create table(:first) do\n    end")),
        );
        step(&mut ws, c, None);
        {
            let t = text_b(&ws).replace(":yyy", ":q");
            step(&mut ws, b, Some(t))
        };
    }

    #[test]
    fn reusing_models_after_a_resource_edit_equals_a_fresh_analysis() {
        after_edit("lib/shop/order.ex", |t| t.replace(":total", ":amount"));
    }

    #[test]
    fn reusing_models_after_a_migration_edit_equals_a_fresh_analysis() {
        after_edit(
            "priv/repo/migrations/20240101000000_create_orders.exs",
            |t| t.replace(":total", ":amount"),
        );
        after_edit(
            "priv/repo/tenant_migrations/20240101000000_create_notes.exs",
            |t| t.replace(":body", ":text"),
        );
    }

    #[test]
    fn a_repo_configuration_change_folds_everything_again() {
        after_edit("lib/shop/repo.ex", |t| {
            t.replace("AshPostgres.Repo", "Ecto.Repo")
        });
        let mut ws = workspace();
        let before = analyze(&ws);
        ws.remove("priv/repo/migrations/20240101000000_create_orders.exs");
        let changed = ["priv/repo/migrations/20240101000000_create_orders.exs".to_string()];
        assert_eq!(analyze_after_change(&ws, &before, &changed), analyze(&ws));
    }
}
