//! What `mix ash.codegen` would do with a project, predicted from its
//! resources and the snapshots a fresh checkout has: whether there are any
//! (`snapshots-untracked`), which resources it would create tables for that
//! migrations already make (`codegen-would-recreate`), which snapshots
//! disagree with their resources (`stale-snapshot`), and the preview of the
//! migration it would write. Each project root's stance (convention.rs)
//! decides which of the rules speak.

use crate::checks::rebase::Edits;
use crate::checks::rules::{
    CODEGEN_WOULD_RECREATE, SNAPSHOTS_UNTRACKED, STALE_SNAPSHOT, UNRESOLVED,
};
use crate::checks::{FileKey, Finding, Modules, Reuse};
use crate::model::analysis::{unseen_columns, Analysis, LinkedResource, UnseenColumns};
use crate::model::convention;
use crate::model::facts::{AttributeFacts, AttributeOrigin, ResourceKind, Span, TypeStorage};
use crate::model::fold::underscore;
use crate::model::gitignore::GitRepo;
use crate::model::snapshots::{
    folder_name, RootSnapshots, SnapshotFacts, SnapshotType, TableSnapshot,
};
use crate::model::types::{array_inner, ash_family, pg_family, TypeFamily};
use crate::model::workspace::{FileRole, SourceFile, Workspace};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

const GEN_RANDOM_UUID: &str = "fragment(\"gen_random_uuid()\")";
const UUID_V7: &str = "fragment(\"uuid_generate_v7()\")";
const UTC_NOW: &str = "fragment(\"(now() AT TIME ZONE 'utc')\")";

pub fn check(ws: &Workspace, analysis: &Analysis, out: &mut Vec<Finding>) {
    check_with(ws, analysis, &mut Memo::default(), out);
}

/// [`check`] reusing what `memo` kept from an earlier run where its inputs
/// are unchanged (a keystroke changes one file): the result is the same.
pub fn check_with(ws: &Workspace, analysis: &Analysis, memo: &mut Memo, out: &mut Vec<Finding>) {
    memo.reuse = Reuse::default();
    if let Some((file, span)) = moved_snapshots(ws) {
        out.push(Finding::new(
            &UNRESOLVED,
            &file,
            span,
            "`snapshots_path` moves the resource snapshots away from `priv/resource_snapshots`; the snapshot rules (`snapshots-untracked`, `codegen-would-recreate`, `stale-snapshot`) are skipped",
        ));
        return;
    }
    for root in &ws.roots {
        let stance = convention::stance(ws, analysis, root);
        if !stance.codegen_collisions() && !stance.stale_snapshots() {
            continue;
        }
        let plan = RootPlan::new(ws, analysis, root, memo);
        if stance.codegen_collisions() {
            snapshots_untracked(ws, analysis, &plan, out);
            would_recreate(analysis, &plan, out);
        }
        if stance.stale_snapshots() {
            stale(ws, &plan, out);
            orphans(ws, analysis, &plan, out);
        }
    }
}

/// Where a repo's config sets `snapshots_path`: snapshots then live where
/// we do not look, so predicting codegen would be guessing.
fn moved_snapshots(ws: &Workspace) -> Option<(String, Span)> {
    ws.files.values().find_map(|f| {
        let in_config = f.rel.starts_with("config/") || f.rel.contains("/config/");
        if !matches!(f.role, FileRole::Elixir { .. }) || !in_config {
            return None;
        }
        let at = f.text.find("snapshots_path")?;
        Some((f.rel.clone(), at..at + "snapshots_path".len()))
    })
}

/// One table codegen manages: the resources mapped to it (usually one).
struct Target<'a> {
    resources: Vec<&'a LinkedResource>,
    /// The repo's snapshot folder (`repo`).
    repo_folder: String,
    tenant: bool,
    schema: Option<String>,
    table: String,
}

/// What codegen does with one target.
#[derive(Debug, Clone)]
enum Plan {
    /// No tracked snapshot: `create table`.
    Create,
    /// The newest snapshot differs.
    Alter {
        file: String,
        differences: Vec<Difference>,
    },
    /// Nothing to do, or nothing we can predict (a snapshot we cannot read,
    /// a resource we cannot fully follow).
    Quiet,
}

#[derive(Debug, Clone)]
struct Difference {
    text: String,
    /// Where the snapshot says the other thing.
    at: Option<Span>,
}

impl Plan {
    /// Move the spans into the snapshot; false when one cannot be moved.
    fn rebase(&mut self, edits: &Edits) -> bool {
        match self {
            Plan::Alter { file, differences } => differences.iter_mut().all(|d| {
                let Difference { text: _, at } = d;
                at.as_mut().is_none_or(|at| edits.span(file, at))
            }),
            Plan::Create | Plan::Quiet => true,
        }
    }
}

struct RootPlan<'a> {
    root: &'a str,
    snapshots: Arc<RootSnapshots>,
    targets: Vec<(Target<'a>, Plan)>,
}

impl<'a> RootPlan<'a> {
    fn new(ws: &Workspace, analysis: &'a Analysis, root: &'a str, memo: &mut Memo) -> RootPlan<'a> {
        let targets = targets(analysis, root);
        let repo_hint = targets
            .first()
            .map(|t| t.repo_folder.clone())
            .unwrap_or_else(|| "repo".into());
        let snapshots = memo.snapshots(ws, root, &repo_hint);
        memo.forget_plans_unless(ws, analysis);
        let modules = Modules::of(analysis);
        let planned = targets
            .into_iter()
            .map(|t| {
                let plan = memo.plan(ws, analysis, &modules, &snapshots, &t);
                (t, plan)
            })
            .collect();
        RootPlan {
            root,
            snapshots,
            targets: planned,
        }
    }
}

/// What [`RootSnapshots::read`] reads: the git repositories, every snapshot
/// and ignore file, and the repo folder it asks about.
#[derive(Debug)]
struct SnapshotsKey {
    repo_hint: String,
    git: Vec<GitRepo>,
    files: Vec<FileKey>,
}

impl SnapshotsKey {
    fn files(ws: &Workspace) -> impl Iterator<Item = &SourceFile> {
        ws.files.values().filter(|f| {
            matches!(
                f.role,
                FileRole::Snapshot { .. } | FileRole::GitIgnore { .. }
            )
        })
    }

    fn new(ws: &Workspace, repo_hint: &str) -> SnapshotsKey {
        SnapshotsKey {
            repo_hint: repo_hint.to_string(),
            git: ws.git.clone(),
            files: SnapshotsKey::files(ws).map(FileKey::of).collect(),
        }
    }

    /// Whether this is the key [`SnapshotsKey::new`] would make, without
    /// copying the workspace's files.
    fn holds(&self, ws: &Workspace, repo_hint: &str) -> bool {
        let mut kept = self.files.iter();
        self.repo_hint == repo_hint
            && self.git == ws.git
            && SnapshotsKey::files(ws).all(|f| kept.next().is_some_and(|k| k.is(f)))
            && kept.next().is_none()
    }
}

/// What every target's comparison reads from the analysis and workspace
/// as a whole: the repos (and their modules' texts) and the type modules.
#[derive(Debug, PartialEq)]
struct SharedKey {
    repos: Vec<crate::model::analysis::RepoInfo>,
    repo_files: Vec<Option<FileKey>>,
    type_storage: BTreeMap<String, crate::model::facts::TypeStorage>,
}

impl SharedKey {
    fn new(ws: &Workspace, analysis: &Analysis) -> SharedKey {
        SharedKey {
            repos: analysis.repos.clone(),
            repo_files: analysis
                .repos
                .iter()
                .map(|r| FileKey::at(ws, &r.file))
                .collect(),
            type_storage: analysis.type_storage.clone(),
        }
    }
}

/// What one target's comparison with its snapshot reads besides
/// [`SharedKey`]: its resources (facts, file, repo), the resources their
/// `belongs_to` point at (with their repos), and the snapshot file.
/// Borrowed to compare with what is kept, owned to keep.
#[derive(Debug, PartialEq)]
struct PlanKey<'a> {
    resources: Vec<(Resource<'a>, Option<FileKey>)>,
    destinations: Vec<Option<Resource<'a>>>,
    snapshot: Option<FileKey>,
}

/// A resource with the repo module it writes through.
type Resource<'a> = (Cow<'a, LinkedResource>, Option<Cow<'a, str>>);

impl<'a> PlanKey<'a> {
    fn new(
        ws: &Workspace,
        analysis: &'a Analysis,
        modules: &Modules<'a>,
        t: &Target<'a>,
        snapshot: &str,
    ) -> PlanKey<'a> {
        let repo = |r: &'a LinkedResource| repo_of(analysis, r).map(Cow::Borrowed);
        PlanKey {
            resources: t
                .resources
                .iter()
                .map(|r| ((Cow::Borrowed(*r), repo(r)), FileKey::at(ws, &r.file)))
                .collect(),
            destinations: t
                .resources
                .iter()
                .flat_map(|r| &r.facts.belongs_to)
                .map(|bt| {
                    modules
                        .resource(&bt.destination)
                        .map(|d| (Cow::Borrowed(d), repo(d)))
                })
                .collect(),
            snapshot: FileKey::at(ws, snapshot),
        }
    }

    /// Move the resources' facts; false when the key holds the text of an
    /// edited file (the target's resource file or snapshot) or a span the
    /// edits replaced.
    fn rebase(&mut self, edits: &Edits) -> bool {
        let texts_kept = self
            .resources
            .iter()
            .filter_map(|(_, file)| file.as_ref())
            .chain(&self.snapshot)
            .all(|f| !edits.outdates(f));
        texts_kept
            && self
                .resources
                .iter_mut()
                .map(|((r, _), _)| r)
                .chain(self.destinations.iter_mut().flatten().map(|(r, _)| r))
                .all(|r| edits.resource(r.to_mut()))
    }

    fn into_owned(self) -> PlanKey<'static> {
        let owned = |c: Option<Cow<str>>| c.map(|c| Cow::Owned(c.into_owned()));
        PlanKey {
            resources: self
                .resources
                .into_iter()
                .map(|((r, repo), f)| ((Cow::Owned(r.into_owned()), owned(repo)), f))
                .collect(),
            destinations: self
                .destinations
                .into_iter()
                .map(|d| d.map(|(r, repo)| (Cow::Owned(r.into_owned()), owned(repo))))
                .collect(),
            snapshot: self.snapshot,
        }
    }
}

/// Which table of which repo folder a target is.
type TargetId = (String, bool, Option<String>, String);

fn target_id(t: &Target) -> TargetId {
    (
        t.repo_folder.clone(),
        t.tenant,
        t.schema.clone(),
        t.table.clone(),
    )
}

/// Codegen's work kept between runs on one workspace: each root's
/// snapshots (rebuilt only when a snapshot or ignore file changes) and each
/// target's comparison with its newest snapshot (redone only when what it
/// reads changed). Every entry is keyed by all it was computed from.
#[derive(Debug, Default)]
pub struct Memo {
    snapshots: HashMap<String, (SnapshotsKey, Arc<RootSnapshots>)>,
    shared: Option<SharedKey>,
    plans: HashMap<TargetId, (PlanKey<'static>, Plan)>,
    pub(crate) reuse: Reuse,
}

impl Memo {
    /// Move the kept comparisons to the edited texts. Entries keyed by the
    /// exact text of an edited file can never match again and go; so does
    /// a comparison with a span the edits replaced.
    pub(crate) fn rebase(&mut self, edits: &Edits) {
        // Snapshots hold spans only of the snapshot and ignore files they key on.
        self.snapshots
            .retain(|_, (key, _)| !key.files.iter().any(|f| edits.outdates(f)));
        let shared_outdated = self
            .shared
            .as_ref()
            .is_some_and(|s| s.repo_files.iter().flatten().any(|f| edits.outdates(f)));
        if shared_outdated {
            self.shared = None;
            self.plans.clear();
        }
        self.plans
            .retain(|_, (key, plan)| key.rebase(edits) && plan.rebase(edits));
    }

    fn snapshots(&mut self, ws: &Workspace, root: &str, repo_hint: &str) -> Arc<RootSnapshots> {
        if let Some((k, s)) = self.snapshots.get(root) {
            if k.holds(ws, repo_hint) {
                return s.clone();
            }
        }
        let fresh = Arc::new(RootSnapshots::read(ws, root, repo_hint));
        self.snapshots.insert(
            root.to_string(),
            (SnapshotsKey::new(ws, repo_hint), fresh.clone()),
        );
        fresh
    }

    /// Drop every kept comparison when what they all read changed.
    fn forget_plans_unless(&mut self, ws: &Workspace, analysis: &Analysis) {
        let shared = SharedKey::new(ws, analysis);
        if self.shared.as_ref() != Some(&shared) {
            self.plans.clear();
            self.shared = Some(shared);
        }
    }

    fn plan<'a>(
        &mut self,
        ws: &Workspace,
        analysis: &'a Analysis,
        modules: &Modules<'a>,
        snapshots: &RootSnapshots,
        t: &Target<'a>,
    ) -> Plan {
        let found = snapshots.newest(&t.repo_folder, t.tenant, t.schema.as_deref(), &t.table);
        let Some(found) = found else {
            return Plan::Create;
        };
        let key = PlanKey::new(ws, analysis, modules, t, found.file);
        let id = target_id(t);
        if let Some((kept, plan)) = self.plans.get(&id) {
            if *kept == key {
                self.reuse.count(true);
                return plan.clone();
            }
        }
        self.reuse.count(false);
        let plan = plan_for(ws, analysis, snapshots, t);
        self.plans.insert(id, (key.into_owned(), plan.clone()));
        plan
    }
}

/// The repo module a resource writes through.
fn repo_of<'a>(analysis: &'a Analysis, r: &'a LinkedResource) -> Option<&'a str> {
    r.facts
        .repo
        .as_deref()
        .or_else(|| analysis.model_of(r).and_then(|m| m.repo_module.as_deref()))
}

/// The project root whose `priv/resource_snapshots` holds a resource's
/// snapshots: that of its repo's app (codegen writes them under the repo's
/// `otp_app`), else the resource's own.
fn snapshot_root<'a>(analysis: &'a Analysis, r: &'a LinkedResource) -> &'a str {
    let Some(repo) = repo_of(analysis, r) else {
        return &r.root;
    };
    let mut roots = analysis
        .repos
        .iter()
        .filter(|info| info.module == repo)
        .map(|info| info.root.as_str());
    match (roots.next(), roots.next()) {
        (Some(one), None) => one,
        _ => &r.root,
    }
}

fn repo_folder(repo_module: &str) -> String {
    underscore(repo_module.rsplit('.').next().unwrap_or(repo_module))
}

/// Ash resources of `root` that codegen manages (`migrate?` not false, a
/// literal table, a known repo), grouped by the table they share.
fn targets<'a>(analysis: &'a Analysis, root: &str) -> Vec<Target<'a>> {
    let mut by_key: BTreeMap<(String, bool, Option<String>, String), Vec<&LinkedResource>> =
        BTreeMap::new();
    for r in &analysis.resources {
        if r.facts.kind != ResourceKind::Ash
            || !r.facts.migrate
            || snapshot_root(analysis, r) != root
        {
            continue;
        }
        let Some(table) = r.facts.table.as_ref().and_then(|t| t.value()) else {
            continue;
        };
        let schema = match &r.facts.schema {
            None => None,
            Some(s) => match s.value() {
                Some(v) => Some(v.clone()),
                None => continue,
            },
        };
        let Some(repo) = repo_of(analysis, r) else {
            continue;
        };
        by_key
            .entry((repo_folder(repo), r.is_tenant(), schema, table.clone()))
            .or_default()
            .push(r);
    }
    by_key
        .into_iter()
        .map(|((repo_folder, tenant, schema, table), resources)| Target {
            resources,
            repo_folder,
            tenant,
            schema,
            table,
        })
        .collect()
}

fn plan_for(ws: &Workspace, analysis: &Analysis, snapshots: &RootSnapshots, t: &Target) -> Plan {
    let Some(found) = snapshots.newest(&t.repo_folder, t.tenant, t.schema.as_deref(), &t.table)
    else {
        return Plan::Create;
    };
    let Some(SnapshotFacts::Table(snapshot)) = ws.files.get(found.file).and_then(|f| f.snapshot())
    else {
        return Plan::Quiet;
    };
    match differences(ws, analysis, t, snapshot) {
        Some(differences) if !differences.is_empty() => Plan::Alter {
            file: found.file.to_string(),
            differences,
        },
        _ => Plan::Quiet,
    }
}

fn migrations_of(analysis: &Analysis, root: &str) -> usize {
    analysis
        .models
        .iter()
        .filter(|m| m.root == root)
        .map(|m| m.migrations.len())
        .sum()
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `snapshots-untracked`: a fresh checkout of a root with migrations and
/// codegen-managed resources has no snapshots.
fn snapshots_untracked(
    ws: &Workspace,
    analysis: &Analysis,
    plan: &RootPlan,
    out: &mut Vec<Finding>,
) {
    let migrations = migrations_of(analysis, plan.root);
    if plan.targets.is_empty() || migrations == 0 || plan.snapshots.has_tracked() {
        return;
    }
    let s = &plan.snapshots;
    let dir = &s.dir;
    let verb = if migrations == 1 { "exists" } else { "exist" };
    let consequence = format!(
        "while {} {verb}, so the next `mix ash.codegen` sees no snapshots and emits a migration that creates every table again, which fails with 42P07 on a migrated database",
        plural(migrations, "migration")
    );
    let (ignore, message) = match (&s.ignored_by, s.in_git) {
        (Some(m), true) => {
            let local = match s.present {
                0 => String::new(),
                1 => "; the 1 snapshot file here is local only".to_string(),
                n => format!("; the {n} snapshot files here are local only"),
            };
            (
                Some(m),
                format!(
                    "`{dir}` is ignored by git ({}) {consequence}{local}",
                    m.describe()
                ),
            )
        }
        (_, true) => (None, format!("`{dir}` is absent {consequence}")),
        (ignored, false) => {
            let also = ignored
                .as_ref()
                .map(|m| format!("; {} would also keep it out of git", m.describe()))
                .unwrap_or_default();
            (
                ignored.as_ref(),
                format!(
                    "`{dir}` is absent {consequence} (not a git repository, so only the folder's absence is checked){also}"
                ),
            )
        }
    };
    let at = match ignore.and_then(|m| m.file.as_ref().map(|f| (f.clone(), m.span.clone()))) {
        Some(at) => Some(at),
        None => anchor(ws, analysis, plan.root),
    };
    if let Some((file, span)) = at {
        out.push(Finding::new(&SNAPSHOTS_UNTRACKED, &file, span, message));
    }
}

/// Where a root-level finding goes when no ignore line can carry it: the
/// root's repo module, else its first migration.
fn anchor(ws: &Workspace, analysis: &Analysis, root: &str) -> Option<(String, Span)> {
    for repo in analysis.repos.iter().filter(|r| r.root == root) {
        let span = ws
            .files
            .get(&repo.file)
            .and_then(|f| f.elixir())
            .and_then(|e| e.repos.iter().find(|x| x.module == repo.module))
            .map(|x| x.span.clone());
        if let Some(span) = span {
            return Some((repo.file.clone(), span));
        }
    }
    let first = analysis
        .models
        .iter()
        .filter(|m| m.root == root)
        .filter_map(|m| m.migrations.first())
        .min()?;
    let span = ws
        .files
        .get(first)
        .and_then(|f| f.migration())
        .and_then(|m| m.module_span.clone())
        .unwrap_or(0..0);
    Some((first.clone(), span))
}

/// `codegen-would-recreate`: a resource with no tracked snapshot whose table
/// a migration already creates.
fn would_recreate(analysis: &Analysis, plan: &RootPlan, out: &mut Vec<Finding>) {
    for (target, p) in &plan.targets {
        if !matches!(p, Plan::Create) {
            continue;
        }
        for r in &target.resources {
            let (Some(model), Some(qualified)) = (analysis.model_of(r), r.table.as_deref()) else {
                continue;
            };
            let Some(table) = model.table(qualified) else {
                continue;
            };
            let Some(span) = r.facts.table.as_ref().map(|t| t.span().clone()) else {
                continue;
            };
            let module = &r.facts.module;
            let folder = format!(
                "{}/{}/{}{}",
                plan.snapshots.dir,
                target.repo_folder,
                if target.tenant { "tenants/" } else { "" },
                folder_name(target.schema.as_deref(), &target.table)
            );
            let mut f = Finding::new(
                &CODEGEN_WOULD_RECREATE,
                &r.file,
                span,
                format!(
                    "no snapshot covers {module} (nothing in `{folder}`), but a migration already creates table {qualified}: `mix ash.codegen` would emit a second `create table`, which fails with 42P07"
                ),
            )
            .resource(module)
            .table(qualified);
            if let Some(origin) = &table.created {
                f = f.related(&origin.file, origin.span.clone(), "table created here");
            }
            out.push(f);
        }
    }
}

/// `stale-snapshot` on each resource whose newest snapshot disagrees.
fn stale(ws: &Workspace, plan: &RootPlan, out: &mut Vec<Finding>) {
    for (target, p) in &plan.targets {
        let Plan::Alter { file, differences } = p else {
            continue;
        };
        let Some(first) = target.resources.first() else {
            continue;
        };
        let Some(span) = first.facts.table.as_ref().map(|t| t.span().clone()) else {
            continue;
        };
        let modules: Vec<&str> = target
            .resources
            .iter()
            .map(|r| r.facts.module.as_str())
            .collect();
        let qualified = first.table.clone().unwrap_or_else(|| target.table.clone());
        let listed: Vec<&str> = differences.iter().map(|d| d.text.as_str()).collect();
        let snapshot_span = differences
            .iter()
            .find_map(|d| d.at.clone())
            .or_else(|| {
                ws.files
                    .get(file)
                    .and_then(|f| f.snapshot())
                    .and_then(|s| match s {
                        SnapshotFacts::Table(t) => Some(t.table_span.clone()),
                        SnapshotFacts::Extensions => None,
                    })
            })
            .unwrap_or(0..0);
        out.push(
            Finding::new(
                &STALE_SNAPSHOT,
                &first.file,
                span,
                format!(
                    "the newest snapshot of {qualified} disagrees with {}: {}; the next `mix ash.codegen` will generate a migration for this",
                    modules.join(" and "),
                    listed.join("; ")
                ),
            )
            .resource(&first.facts.module)
            .table(&qualified)
            .related(file, snapshot_span, "newest snapshot"),
        );
    }
}

/// `stale-snapshot` on tracked snapshots no resource maps to any more. Only
/// when every Ash resource of the root could be placed, so that "no
/// resource" is known rather than guessed.
fn orphans(ws: &Workspace, analysis: &Analysis, plan: &RootPlan, out: &mut Vec<Finding>) {
    let mut placed = Vec::new();
    for r in &analysis.resources {
        if r.facts.kind != ResourceKind::Ash || snapshot_root(analysis, r) != plan.root {
            continue;
        }
        let table = r.facts.table.as_ref().and_then(|t| t.value());
        let schema_known = r.facts.schema.as_ref().is_none_or(|s| s.value().is_some());
        let (Some(table), Some(repo), true) = (table, repo_of(analysis, r), schema_known) else {
            return;
        };
        let schema = r.facts.schema.as_ref().and_then(|s| s.value());
        placed.push((r, repo, schema, table));
    }
    // Few repos, many resources: each repo's folder name is made once.
    let mut repo_folders: HashMap<&str, String> = HashMap::new();
    for (_, repo, _, _) in &placed {
        repo_folders
            .entry(repo)
            .or_insert_with(|| repo_folder(repo));
    }
    let mut mapped: HashSet<(&str, bool, Cow<str>)> = HashSet::new();
    for (r, repo, schema, table) in &placed {
        let repo = repo_folders
            .get(repo)
            .map(String::as_str)
            .unwrap_or_default();
        let schema_folder = schema.map(|s| folder_name(Some(s), table));
        for folder in schema_folder
            .into_iter()
            .map(Cow::Owned)
            .chain([Cow::Borrowed(table.as_str())])
        {
            // A context-multitenant resource marked `global?` also has a
            // snapshot outside `tenants/`.
            for tenant in [r.is_tenant(), false] {
                mapped.insert((repo, tenant, folder.clone()));
            }
        }
    }
    // A resource file we could not read fully may map to any folder.
    let unreadable = ws.files.values().any(|f| {
        matches!(f.role, FileRole::Elixir { .. })
            && (f.problem.is_some() || !f.syntax_errors.is_empty())
    });
    if unreadable {
        return;
    }
    for (repo, tenant, folder, file) in plan.snapshots.tables() {
        if mapped.contains(&(repo, tenant, Cow::Borrowed(folder))) {
            continue;
        }
        let Some(SnapshotFacts::Table(snapshot)) = ws.files.get(file).and_then(|f| f.snapshot())
        else {
            continue;
        };
        out.push(Finding::new(
            &STALE_SNAPSHOT,
            file,
            snapshot.table_span.clone(),
            format!(
                "no resource maps to table `{folder}` of repo folder `{repo}`{} any more; `mix ash.codegen` ignores this snapshot and never drops the table, so delete the folder once the table is dealt with",
                if tenant { " (tenants)" } else { "" }
            ),
        ));
    }
}

/// What the resource's source says that changes its snapshot in ways we do
/// not model; each one turns the comparisons it affects off.
#[derive(Default)]
struct Quirks {
    migration_types: bool,
    migration_defaults: bool,
    ignored_attributes: bool,
    polymorphic: bool,
    /// Columns extensions add that the source does not show.
    extension_columns: BTreeSet<&'static str>,
    /// An extension we cannot see into, or `fragments:`: columns and
    /// identities may come from anywhere.
    opaque: bool,
}

fn quirks(ws: &Workspace, r: &LinkedResource) -> Quirks {
    let Some(file) = ws.files.get(&r.file) else {
        return Quirks {
            polymorphic: true,
            ..Quirks::default()
        };
    };
    let postgres = r
        .facts
        .postgres_span
        .clone()
        .and_then(|s| file.text.get(s))
        .unwrap_or("");
    let (extension_columns, opaque) = match unseen_columns(&r.facts) {
        UnseenColumns::None => (BTreeSet::new(), false),
        UnseenColumns::Known(columns) => (columns, false),
        UnseenColumns::Unknown => (BTreeSet::new(), true),
    };
    Quirks {
        migration_types: postgres.contains("migration_types"),
        migration_defaults: postgres.contains("migration_defaults"),
        ignored_attributes: postgres.contains("migration_ignore_attributes"),
        polymorphic: postgres.contains("polymorphic?"),
        extension_columns,
        // Fragments add sections from other modules.
        opaque: opaque || file.text.contains("fragments:"),
    }
}

/// The snapshot type AshPostgres writes for an Ash type it maps without
/// looking at constraints, or `None` when that depends on more than the
/// type's name.
fn ash_snapshot_type(written: &str) -> Option<SnapshotType> {
    let t = written.trim();
    if let Some(inner) = t
        .strip_prefix('{')
        .and_then(|i| i.strip_suffix('}'))
        .and_then(|i| i.trim().strip_prefix(":array"))
        .and_then(|i| i.trim_start().strip_prefix(','))
    {
        return ash_snapshot_type(inner).map(|i| SnapshotType::Array(Box::new(i)));
    }
    let name = t.trim_start_matches(':');
    let name = name.strip_prefix("Ash.Type.").unwrap_or(name);
    let stored = match name {
        "string" | "String" | "atom" | "Atom" | "duration_name" | "DurationName" | "module"
        | "Module" => "text",
        "ci_string" | "CiString" => "citext",
        "integer" | "Integer" => "bigint",
        "boolean" | "Boolean" => "boolean",
        "uuid" | "UUID" | "uuid_v7" | "UUIDv7" => "uuid",
        "map" | "Map" | "keyword" | "Keyword" | "struct" | "Struct" | "union" | "Union"
        | "tuple" | "Tuple" => "map",
        "float" | "Float" => "float",
        "decimal" | "Decimal" => "decimal",
        "date" | "Date" => "date",
        "utc_datetime" | "UtcDatetime" => "utc_datetime",
        "utc_datetime_usec" | "UtcDatetimeUsec" => "utc_datetime_usec",
        "binary" | "Binary" | "term" | "Term" | "url_encoded_binary" | "UrlEncodedBinary" => {
            "binary"
        }
        _ => return None,
    };
    Some(SnapshotType::Name(stored.to_string()))
}

fn snapshot_family(t: &SnapshotType) -> Option<TypeFamily> {
    match t {
        SnapshotType::Name(n) if n == "map" => Some(TypeFamily::Json),
        SnapshotType::Name(n) | SnapshotType::Sized(n, _) => Some(pg_family(n)),
        SnapshotType::Array(inner) => {
            snapshot_family(inner).map(|f| TypeFamily::Array(Box::new(f)))
        }
        SnapshotType::Other(_) => None,
    }
}

/// A type's name without its size, for comparing `["varchar", 255]` with `varchar`.
fn without_size(t: &SnapshotType) -> SnapshotType {
    match t {
        SnapshotType::Sized(n, _) => SnapshotType::Name(n.clone()),
        SnapshotType::Array(inner) => SnapshotType::Array(Box::new(without_size(inner))),
        other => other.clone(),
    }
}

/// The written type an attribute is stored as: a belongs_to key takes its
/// destination's primary key type unless it says `attribute_type`.
fn stored_written_type(
    analysis: &Analysis,
    r: &LinkedResource,
    attr: &AttributeFacts,
) -> Option<String> {
    if attr.origin != AttributeOrigin::BelongsTo {
        return (attr.written_type != "?").then(|| attr.written_type.clone());
    }
    let bt = r
        .facts
        .belongs_to
        .iter()
        .find(|b| b.attribute == attr.name || b.attribute == attr.column)?;
    if let Some(t) = &bt.attribute_type {
        return Some(t.clone());
    }
    let destination = analysis.resource(&bt.destination)?;
    if destination.facts.kind != ResourceKind::Ash {
        return None;
    }
    let pk: Vec<&AttributeFacts> = destination
        .facts
        .attributes
        .iter()
        .filter(|a| a.primary_key)
        .collect();
    match pk.as_slice() {
        [one] if one.origin != AttributeOrigin::BelongsTo => Some(one.written_type.clone()),
        _ => None,
    }
}

/// How many type modules (a NewType of an enum …) are followed.
const MAX_TYPE_CHAIN: usize = 8;

/// A written type with the project's own type modules replaced by the Ash
/// type they store as (`MyApp.Status` → `:string` for an `Ash.Type.Enum`),
/// or `None` when a module stores through a custom `storage_type/1`, whose
/// migration type AshPostgres may map differently.
fn through_type_modules(analysis: &Analysis, written: &str, depth: usize) -> Option<String> {
    let t = written.trim();
    if depth > MAX_TYPE_CHAIN {
        return None;
    }
    if let Some(inner) = array_inner(t) {
        return through_type_modules(analysis, inner, depth + 1)
            .map(|i| format!("{{:array, {i}}}"));
    }
    match analysis.type_storage.get(t) {
        None => Some(t.to_string()),
        Some(TypeStorage::Ash(w)) => through_type_modules(analysis, w, depth + 1),
        Some(TypeStorage::Ecto(_)) => None,
    }
}

/// The default the generator writes for an attribute, as Elixir code, or
/// `None` when it depends on something we do not read.
fn expected_default(attr: &AttributeFacts) -> Option<String> {
    match attr.origin {
        AttributeOrigin::PrimaryKey => match attr.written_type.as_str() {
            ":uuid" => Some(GEN_RANDOM_UUID.into()),
            ":uuid_v7" => Some(UUID_V7.into()),
            _ => Some("nil".into()),
        },
        AttributeOrigin::Timestamp => Some(UTC_NOW.into()),
        AttributeOrigin::BelongsTo | AttributeOrigin::Cloak => Some("nil".into()),
        AttributeOrigin::Attribute | AttributeOrigin::Base => match &attr.default {
            None => Some("nil".into()),
            Some(d) => literal_default(d.trim(), &attr.written_type),
        },
    }
}

/// `EctoMigrationDefault` for the literals it renders without casting.
fn literal_default(d: &str, written_type: &str) -> Option<String> {
    let family = ash_family(written_type);
    let type_name = written_type
        .trim_start_matches(':')
        .trim_start_matches("Ash.Type.")
        .to_ascii_lowercase();
    match d {
        "nil" => return Some("nil".into()),
        "[]" => return Some("[]".into()),
        "%{}" => return Some("%{}".into()),
        "&DateTime.utc_now/0" => return Some(UTC_NOW.into()),
        "&Ash.UUID.generate/0" | "&Ecto.UUID.generate/0" => return Some(GEN_RANDOM_UUID.into()),
        "&Ash.UUIDv7.generate/0" => return Some(UUID_V7.into()),
        "&Date.utc_today/0" => return Some("fragment(\"CURRENT_DATE\")".into()),
        "true" | "false" if family == Some(TypeFamily::Boolean) => return Some(d.into()),
        _ => {}
    }
    // Other function defaults become `nil` in the migration.
    if d.starts_with('&') || (d.starts_with("fn") && d.ends_with("end")) {
        return Some("nil".into());
    }
    let digits = d.strip_prefix('-').unwrap_or(d);
    if family == Some(TypeFamily::Integer)
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_')
        && digits.starts_with(|c: char| c.is_ascii_digit())
    {
        return Some(d.replace('_', ""));
    }
    if type_name == "string" {
        let inner = d.strip_prefix('"')?.strip_suffix('"')?;
        let plain = inner
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\' && c != '#' || c == ' ');
        return plain.then(|| d.to_string());
    }
    if type_name == "atom" {
        let name = d.strip_prefix(':')?;
        let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        return plain.then(|| format!("\"{name}\""));
    }
    None
}

/// How the snapshot differs from the resources of its table, or `None` when
/// a resource cannot be followed far enough to say.
fn differences(
    ws: &Workspace,
    analysis: &Analysis,
    t: &Target,
    snapshot: &TableSnapshot,
) -> Option<Vec<Difference>> {
    let mut quirks_all = Vec::new();
    for r in &t.resources {
        let readable = r.facts.unresolved.is_empty()
            && ws
                .files
                .get(&r.file)
                .is_some_and(|f| f.syntax_errors.is_empty());
        let q = quirks(ws, r);
        if !readable || q.polymorphic {
            return None;
        }
        quirks_all.push(q);
    }
    let any = |f: fn(&Quirks) -> bool| quirks_all.iter().any(f);
    let single = t.resources.len() == 1;
    let override_types = repo_overrides_types(ws, analysis, t);
    let mut out = Vec::new();

    if t.schema != snapshot.schema {
        out.push(Difference {
            text: format!(
                "schema {} → {} (codegen creates the table anew)",
                snapshot.schema.as_deref().unwrap_or("(none)"),
                t.schema.as_deref().unwrap_or("(none)")
            ),
            at: None,
        });
    }

    // Columns of the resources, in declaration order.
    let mut columns: Vec<(&LinkedResource, &AttributeFacts)> = Vec::new();
    let mut seen = BTreeSet::new();
    for r in &t.resources {
        for a in &r.facts.attributes {
            if seen.insert(a.column.as_str()) {
                columns.push((r, a));
            }
        }
    }
    if !any(|q| q.ignored_attributes) {
        for (_, a) in &columns {
            if snapshot.attribute(&a.column).is_none() {
                out.push(Difference {
                    text: format!("attribute :{} added", a.column),
                    at: None,
                });
            }
        }
        if !any(|q| q.opaque) {
            let added_by_extensions: BTreeSet<&str> = quirks_all
                .iter()
                .flat_map(|q| q.extension_columns.iter().copied())
                .collect();
            for s in &snapshot.attributes {
                let source = s.source.as_str();
                if !seen.contains(source) && !added_by_extensions.contains(source) {
                    out.push(Difference {
                        text: format!("column {} removed", s.source),
                        at: Some(s.span.clone()),
                    });
                }
            }
        }
    }

    for (r, a) in &columns {
        let Some(s) = snapshot.attribute(&a.column) else {
            continue;
        };
        let name = &a.column;
        let at = Some(s.span.clone());
        if !any(|q| q.migration_types) && !override_types {
            if let Some(written) = stored_written_type(analysis, r, a)
                .and_then(|w| through_type_modules(analysis, &w, 0))
            {
                let changed = match ash_snapshot_type(&written) {
                    Some(want) => without_size(&want) != without_size(&s.column_type),
                    None => match (ash_family(&written), snapshot_family(&s.column_type)) {
                        (Some(want), Some(have)) => want != have,
                        _ => false,
                    },
                };
                if changed {
                    let want = ash_snapshot_type(&written)
                        .map(|w| w.describe())
                        .unwrap_or(written.clone());
                    out.push(Difference {
                        text: format!(":{name} type {} → {want}", s.column_type.describe()),
                        at: at.clone(),
                    });
                }
            }
        }
        if !single {
            continue;
        }
        if let (Some(want), Some(have)) = (a.allow_nil, s.allow_nil) {
            if want != have {
                out.push(Difference {
                    text: format!(":{name} allow_nil? {have} → {want}"),
                    at: at.clone(),
                });
            }
        }
        if let Some(have) = s.primary_key {
            if have != a.primary_key {
                out.push(Difference {
                    text: format!(":{name} primary_key? {have} → {}", a.primary_key),
                    at: at.clone(),
                });
            }
        }
        if !any(|q| q.migration_defaults) {
            if let Some(want) = expected_default(a) {
                if want != s.default {
                    out.push(Difference {
                        text: format!(":{name} default {} → {want}", s.default),
                        at: at.clone(),
                    });
                }
            }
        }
        if let Some(text) = reference_change(
            analysis,
            r,
            a,
            s.references.as_ref().and_then(|x| x.table.as_deref()),
            s.references.is_some(),
        ) {
            out.push(Difference { text, at });
        }
    }

    let extensions_add = any(|q| q.opaque || !q.extension_columns.is_empty());
    identity_changes(t, snapshot, extensions_add, &mut out);
    if single {
        check_changes(t, snapshot, &mut out);
    }
    Some(out)
}

/// Whether the repo of a target defines `override_migration_type/1`, which
/// rewrites snapshot types.
fn repo_overrides_types(ws: &Workspace, analysis: &Analysis, t: &Target) -> bool {
    analysis.repos.iter().any(|repo| {
        repo_folder(&repo.module) == t.repo_folder
            && ws
                .files
                .get(&repo.file)
                .is_some_and(|f| f.text.contains("override_migration_type"))
    })
}

/// How the reference of a column changed: a `belongs_to` to a resource of
/// the same repo makes one (to its table).
fn reference_change(
    analysis: &Analysis,
    r: &LinkedResource,
    a: &AttributeFacts,
    snapshot_table: Option<&str>,
    snapshot_has: bool,
) -> Option<String> {
    let bt = r
        .facts
        .belongs_to
        .iter()
        .find(|b| b.attribute == a.column || b.attribute == a.name);
    let want: Option<String> = match bt {
        None => None,
        Some(bt) if r.facts.ignored_references.contains(&bt.name) => None,
        Some(bt) => {
            let destination = analysis.resource(&bt.destination)?;
            if destination.facts.kind != ResourceKind::Ash
                || repo_of(analysis, destination)? != repo_of(analysis, r)?
            {
                None
            } else {
                Some(destination.facts.table.as_ref()?.value()?.clone())
            }
        }
    };
    let name = &a.column;
    match (want, snapshot_has) {
        (Some(table), false) => Some(format!(":{name} reference to {table} added")),
        (None, true) => Some(format!(
            ":{name} reference to {} removed",
            snapshot_table.unwrap_or("?")
        )),
        (Some(table), true) if snapshot_table.is_some_and(|s| s != table) => Some(format!(
            ":{name} reference {} → {table}",
            snapshot_table.unwrap_or("?")
        )),
        _ => None,
    }
}

fn identity_changes(
    t: &Target,
    snapshot: &TableSnapshot,
    extensions_add: bool,
    out: &mut Vec<Difference>,
) {
    let mut wanted: BTreeMap<&str, Option<Vec<String>>> = BTreeMap::new();
    for r in &t.resources {
        // `skip_unique_indexes`: codegen leaves these out of the snapshot.
        for i in r
            .facts
            .identities
            .iter()
            .filter(|i| !r.facts.skip_unique_indexes.contains(&i.name))
        {
            // Keys that are not attributes (calculations) are stored as SQL.
            let keys: Option<Vec<String>> = i
                .keys
                .iter()
                .map(|k| r.facts.column_of(k).map(str::to_string))
                .collect();
            wanted.insert(i.name.as_str(), keys);
        }
    }
    for (name, keys) in &wanted {
        let Some(keys) = keys else { continue };
        match snapshot.identities.iter().find(|s| s.name == *name) {
            None => out.push(Difference {
                text: format!("identity :{name} added"),
                at: None,
            }),
            Some(s) if s.keys.iter().any(|k| k.contains('(')) => {}
            Some(s) if &s.keys != keys => out.push(Difference {
                text: format!(
                    "identity :{name} keys [{}] → [{}]",
                    s.keys.join(", "),
                    keys.join(", ")
                ),
                at: Some(s.span.clone()),
            }),
            Some(_) => {}
        }
    }
    if !extensions_add {
        for s in &snapshot.identities {
            if !wanted.contains_key(s.name.as_str()) {
                out.push(Difference {
                    text: format!("identity :{} removed", s.name),
                    at: Some(s.span.clone()),
                });
            }
        }
    }
}

fn check_changes(t: &Target, snapshot: &TableSnapshot, out: &mut Vec<Difference>) {
    let Some(r) = t.resources.first() else { return };
    let wanted: Vec<_> = r
        .facts
        .check_constraints
        .iter()
        .filter(|c| c.check.is_some())
        .collect();
    for c in &wanted {
        match snapshot.check_constraints.iter().find(|s| s.name == c.name) {
            None => out.push(Difference {
                text: format!("check constraint {} added", c.name),
                at: None,
            }),
            Some(s) => {
                if let (Some(have), Some(want)) = (&s.check, &c.check) {
                    if have.trim() != want.trim() {
                        out.push(Difference {
                            text: format!("check constraint {} changed", c.name),
                            at: None,
                        });
                    }
                }
            }
        }
    }
    for s in &snapshot.check_constraints {
        // A constraint whose check we could not read may still be there.
        if !r.facts.check_constraints.iter().any(|c| c.name == s.name) {
            out.push(Difference {
                text: format!("check constraint {} removed", s.name),
                at: None,
            });
        }
    }
}

/// One table of the migration `mix ash.codegen` would write.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PreviewEntry {
    /// Schema-qualified, as elsewhere in the output.
    pub table: String,
    /// `create` or `alter`.
    pub operation: &'static str,
    pub changes: Vec<String>,
}

/// What `mix ash.codegen` would emit for every project root, given the
/// snapshots a fresh checkout has. One entry per table, sorted by table.
pub fn preview(ws: &Workspace, analysis: &Analysis) -> Vec<PreviewEntry> {
    let mut out = Vec::new();
    if moved_snapshots(ws).is_some() {
        return out;
    }
    for root in &ws.roots {
        let plan = RootPlan::new(ws, analysis, root, &mut Memo::default());
        for (target, p) in &plan.targets {
            let Some(first) = target.resources.first() else {
                continue;
            };
            let table = first.table.clone().unwrap_or_else(|| target.table.clone());
            match p {
                Plan::Create => {
                    let mut changes = Vec::new();
                    let mut seen = BTreeSet::new();
                    for r in &target.resources {
                        for a in &r.facts.attributes {
                            if !seen.insert(a.column.clone()) {
                                continue;
                            }
                            let written = stored_written_type(analysis, r, a);
                            let shown = written
                                .as_deref()
                                .map(|w| {
                                    ash_snapshot_type(w)
                                        .map(|t| t.describe())
                                        .unwrap_or(w.to_string())
                                })
                                .unwrap_or_else(|| "?".into());
                            let mut change = format!("add {} {shown}", a.column);
                            if a.primary_key {
                                change.push_str(" primary key");
                            } else if a.allow_nil == Some(false) {
                                change.push_str(" not null");
                            }
                            changes.push(change);
                        }
                    }
                    out.push(PreviewEntry {
                        table,
                        operation: "create",
                        changes,
                    });
                }
                Plan::Alter { differences, .. } => out.push(PreviewEntry {
                    table,
                    operation: "alter",
                    changes: differences.iter().map(|d| d.text.clone()).collect(),
                }),
                Plan::Quiet => {}
            }
        }
    }
    out.sort_by(|a, b| a.table.cmp(&b.table));
    out
}

/// Whether any project root has resources codegen manages.
pub fn manages_any(analysis: &Analysis) -> bool {
    analysis.resources.iter().any(|r| {
        r.facts.kind == ResourceKind::Ash
            && r.facts.migrate
            && r.facts.table.as_ref().and_then(|t| t.value()).is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Option<SnapshotType> {
        Some(SnapshotType::Name(n.into()))
    }

    #[test]
    fn ash_types_as_snapshots_store_them() {
        assert_eq!(ash_snapshot_type(":string"), name("text"));
        assert_eq!(ash_snapshot_type("Ash.Type.String"), name("text"));
        assert_eq!(ash_snapshot_type(":atom"), name("text"));
        assert_eq!(ash_snapshot_type(":ci_string"), name("citext"));
        assert_eq!(ash_snapshot_type(":integer"), name("bigint"));
        assert_eq!(ash_snapshot_type(":uuid_v7"), name("uuid"));
        assert_eq!(ash_snapshot_type(":keyword"), name("map"));
        assert_eq!(ash_snapshot_type(":term"), name("binary"));
        assert_eq!(ash_snapshot_type(":utc_datetime"), name("utc_datetime"));
        assert_eq!(
            ash_snapshot_type("{:array, Ash.Type.UUID}"),
            Some(SnapshotType::Array(Box::new(SnapshotType::Name(
                "uuid".into()
            ))))
        );
        // Depends on constraints or on code we do not compile.
        assert_eq!(ash_snapshot_type(":datetime"), None);
        assert_eq!(ash_snapshot_type(":time"), None);
        assert_eq!(ash_snapshot_type("MyApp.Types.Money"), None);
        assert_eq!(ash_snapshot_type("{:array, MyApp.Embedded.Address}"), None);
        assert_eq!(ash_snapshot_type("{:array"), None);
    }

    #[test]
    fn snapshot_types_reduce_to_families() {
        let family = |t: SnapshotType| snapshot_family(&t);
        assert_eq!(
            family(SnapshotType::Name("map".into())),
            Some(TypeFamily::Json)
        );
        assert_eq!(
            family(SnapshotType::Name("jsonb".into())),
            Some(TypeFamily::Json)
        );
        assert_eq!(
            family(SnapshotType::Name("timestamptz(6)".into())),
            Some(TypeFamily::Timestamp)
        );
        assert_eq!(
            family(SnapshotType::Sized("varchar".into(), 40)),
            Some(TypeFamily::Text)
        );
        assert_eq!(family(SnapshotType::Other("{}".into())), None);
    }

    #[test]
    fn defaults_as_the_generator_renders_them() {
        let d = |default: &str, ty: &str| literal_default(default, ty);
        assert_eq!(d("\"draft\"", ":string"), Some("\"draft\"".into()));
        assert_eq!(d(":draft", ":atom"), Some("\"draft\"".into()));
        assert_eq!(d("0", ":integer"), Some("0".into()));
        assert_eq!(d("-1_000", ":integer"), Some("-1000".into()));
        assert_eq!(d("false", ":boolean"), Some("false".into()));
        assert_eq!(d("nil", ":string"), Some("nil".into()));
        assert_eq!(d("[]", "{:array, :string}"), Some("[]".into()));
        assert_eq!(d("%{}", ":map"), Some("%{}".into()));
        assert_eq!(
            d("&DateTime.utc_now/0", ":utc_datetime_usec"),
            Some(UTC_NOW.into())
        );
        assert_eq!(
            d("&Ash.UUID.generate/0", ":uuid"),
            Some(GEN_RANDOM_UUID.into())
        );
        assert_eq!(d("&MyApp.Codes.next/0", ":string"), Some("nil".into()));
        assert_eq!(d("fn -> 1 end", ":integer"), Some("nil".into()));
        // Cast, escaped or computed at compile time: not predicted.
        assert_eq!(d("0", ":decimal"), None);
        assert_eq!(d("1", ":float"), None);
        assert_eq!(d("\"a\\\"b\"", ":string"), None);
        assert_eq!(d("\"#{@prefix}x\"", ":string"), None);
        assert_eq!(d("\"x\"", ":ci_string"), None);
        assert_eq!(d("@default_status", ":atom"), None);
        assert_eq!(d(":\"odd atom\"", ":atom"), None);
        assert_eq!(d("Decimal.new(0)", ":decimal"), None);
    }
}
