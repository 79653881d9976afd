//! Drift: each resource or Ecto schema against the table its repo's
//! migrations build. When the model is uncertain about a table (its creation
//! was in SQL we could not read, or an unreadable statement mentions it),
//! checks that need the whole table stay quiet rather than guess.

use crate::checks::rebase::Edits;
use crate::checks::rules::{
    BELONGS_TO_WITHOUT_FOREIGN_KEY, COLUMN_TYPE_MISMATCH, EXTRA_COLUMN,
    IDENTITY_WITHOUT_UNIQUE_INDEX, MISSING_COLUMN, MISSING_TABLE, NULLABILITY_MISMATCH,
    PRIMARY_KEY_MISMATCH, TABLE_WITHOUT_RESOURCE,
};
use crate::checks::{Finding, Modules, Reuse};
use crate::model::analysis::{
    unseen_columns, Analysis, LinkedResource, UnseenColumns, PAPER_TRAIL_EXTENSION,
};
use crate::model::facts::{AttributeFacts, AttributeOrigin, ResourceKind, TypeStorage};
use crate::model::fold::{FoldedColumn, FoldedTable, ModelKey, RelationKind, RepoModel};
use crate::model::types::{compatible, normalize_pg_type, pg_family, TypeFamily};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub fn check(analysis: &Analysis, out: &mut Vec<Finding>) {
    check_with(analysis, &mut Memo::default(), out);
}

/// [`check`] reusing each resource's findings from an earlier run when all
/// that its comparison reads is unchanged: the result is the same.
pub fn check_with(analysis: &Analysis, memo: &mut Memo, out: &mut Vec<Finding>) {
    if memo.type_storage.as_ref() != Some(&analysis.type_storage) {
        memo.type_storage = Some(analysis.type_storage.clone());
        memo.resources.clear();
    }
    memo.resources.truncate(analysis.resources.len());
    memo.reuse = Reuse::default();
    memo.mentions.refresh(analysis);
    let modules = Modules::of(analysis);
    for (i, r) in analysis.resources.iter().enumerate() {
        let key = ResourceKey::new(analysis, &modules, &mut memo.mentions, r);
        if let Some(Some((kept, findings))) = memo.resources.get(i) {
            if *kept == key {
                out.extend(findings.iter().cloned());
                memo.reuse.count(true);
                continue;
            }
        }
        memo.reuse.count(false);
        let mut findings = Vec::new();
        check_resource(analysis, r, &mut findings);
        out.extend(findings.iter().cloned());
        let entry = Some((key.into_owned(), findings));
        match memo.resources.get_mut(i) {
            Some(slot) => *slot = entry,
            None => memo.resources.push(entry),
        }
    }
    check_tables(analysis, out);
}

/// Findings of each resource kept between runs on one workspace, by its
/// place in [`Analysis::resources`] and everything its check reads.
#[derive(Debug, Default)]
pub struct Memo {
    /// The type modules every resource's comparison reads.
    type_storage: Option<BTreeMap<String, TypeStorage>>,
    /// `None` where an edit made the kept entry unusable.
    resources: Vec<Option<(ResourceKey<'static>, Vec<Finding>)>>,
    mentions: Mentions,
    pub(crate) reuse: Reuse,
}

/// What [`RepoModel::maybe_in_unresolved`] answered for each model, kept
/// while the model's unreadable statements stay the same: every run asks
/// it twice per resource.
#[derive(Debug, Default)]
struct Mentions {
    models: Vec<(Vec<String>, HashMap<String, bool>)>,
}

impl Mentions {
    /// Forget the answers of models whose unreadable statements changed.
    fn refresh(&mut self, analysis: &Analysis) {
        self.models.truncate(analysis.models.len());
        for (i, model) in analysis.models.iter().enumerate() {
            match self.models.get_mut(i) {
                Some((text, _)) if *text == model.unresolved_text => {}
                Some(slot) => *slot = (model.unresolved_text.clone(), HashMap::new()),
                None => self
                    .models
                    .push((model.unresolved_text.clone(), HashMap::new())),
            }
        }
    }

    fn maybe_in_unresolved(&mut self, index: Option<usize>, model: &RepoModel, word: &str) -> bool {
        if model.unresolved_text.is_empty() {
            return false;
        }
        let Some((_, answers)) = index.and_then(|i| self.models.get_mut(i)) else {
            return model.maybe_in_unresolved(word);
        };
        if let Some(answer) = answers.get(word) {
            return *answer;
        }
        let answer = model.maybe_in_unresolved(word);
        answers.insert(word.to_string(), answer);
        answer
    }
}

impl Memo {
    /// Move the kept keys and findings to the edited texts; drop an entry
    /// with a span the edits replaced.
    pub(crate) fn rebase(&mut self, edits: &Edits) {
        for slot in &mut self.resources {
            let moved = slot
                .as_mut()
                .is_some_and(|(key, findings)| key.rebase(edits) && edits.findings(findings));
            if !moved {
                *slot = None;
            }
        }
    }
}

/// What [`check_resource`] reads besides the type modules: the resource,
/// its model's key and table, whether unreadable statements mention the
/// table, and the models, tables and primary keys of its `belongs_to`
/// destinations. Borrowed to compare with what is kept, owned to keep.
#[derive(Debug, PartialEq)]
struct ResourceKey<'a> {
    resource: Cow<'a, LinkedResource>,
    model: Option<Cow<'a, ModelKey>>,
    table: Option<Cow<'a, FoldedTable>>,
    /// `maybe_in_unresolved` of the written table name and of the table's.
    unresolved: (bool, bool),
    destinations: Vec<Destination<'a>>,
}

/// A `belongs_to` destination: its model index and table (absent when not
/// a known resource), and its primary key family.
type Destination<'a> = (
    Option<(Option<usize>, Option<Cow<'a, str>>)>,
    Option<Cow<'a, Option<TypeFamily>>>,
);

impl<'a> ResourceKey<'a> {
    fn new(
        analysis: &'a Analysis,
        modules: &Modules<'a>,
        mentions: &mut Mentions,
        r: &'a LinkedResource,
    ) -> ResourceKey<'a> {
        let model = analysis.model_of(r);
        let table = model.and_then(|m| r.table.as_deref().and_then(|t| m.table(t)));
        let written = r.facts.table.as_ref().and_then(|t| t.value());
        let unresolved = match model {
            Some(m) => (
                written.is_some_and(|w| mentions.maybe_in_unresolved(r.model, m, w)),
                table.is_some_and(|t| mentions.maybe_in_unresolved(r.model, m, &t.name)),
            ),
            None => (false, false),
        };
        ResourceKey {
            resource: Cow::Borrowed(r),
            model: model.map(|m| Cow::Borrowed(&m.key)),
            table: table.map(Cow::Borrowed),
            unresolved,
            destinations: r
                .facts
                .belongs_to
                .iter()
                .map(|bt| {
                    let dest = modules
                        .resource(&bt.destination)
                        .map(|d| (d.model, d.table.as_deref().map(Cow::Borrowed)));
                    let pk = analysis
                        .primary_keys
                        .get(&bt.destination)
                        .map(Cow::Borrowed);
                    (dest, pk)
                })
                .collect(),
        }
    }

    /// Move the resource's facts and the table's provenance (the rest of
    /// the key holds no spans).
    fn rebase(&mut self, edits: &Edits) -> bool {
        edits.resource(self.resource.to_mut())
            && self.table.as_mut().is_none_or(|t| edits.table(t.to_mut()))
    }

    fn into_owned(self) -> ResourceKey<'static> {
        ResourceKey {
            resource: Cow::Owned(self.resource.into_owned()),
            model: self.model.map(|m| Cow::Owned(m.into_owned())),
            table: self.table.map(|t| Cow::Owned(t.into_owned())),
            unresolved: self.unresolved,
            destinations: self
                .destinations
                .into_iter()
                .map(|(dest, pk)| {
                    (
                        dest.map(|(m, t)| (m, t.map(|t| Cow::Owned(t.into_owned())))),
                        pk.map(|pk| Cow::Owned(pk.into_owned())),
                    )
                })
                .collect(),
        }
    }
}

/// The table as the model has it, and whether the model may be missing parts of it.
fn table_of<'a>(
    analysis: &'a Analysis,
    r: &LinkedResource,
) -> Option<(&'a RepoModel, Option<&'a FoldedTable>)> {
    let model = analysis.model_of(r)?;
    let table = r.table.as_deref().and_then(|t| model.table(t));
    Some((model, table))
}

fn uncertain(model: &RepoModel, table: &FoldedTable) -> bool {
    table.partial || model.maybe_in_unresolved(&table.name)
}

fn created_here(f: Finding, table: &FoldedTable) -> Finding {
    match &table.created {
        Some(origin) => f.related(&origin.file, origin.span.clone(), "table created here"),
        None => f,
    }
}

fn check_resource(analysis: &Analysis, r: &LinkedResource, out: &mut Vec<Finding>) {
    let Some(written_table) = r.facts.table.as_ref().and_then(|t| t.value()) else {
        return;
    };
    let Some(qualified) = r.table.as_deref() else {
        return;
    };
    let Some((model, table)) = table_of(analysis, r) else {
        return;
    };
    let module = r.facts.module.as_str();
    let Some(table) = table else {
        if model.maybe_in_unresolved(written_table) {
            return;
        }
        let span = r
            .facts
            .table
            .as_ref()
            .map(|t| t.span().clone())
            .unwrap_or(r.facts.module_span.clone());
        let folder = if model.key.tenant {
            "tenant_migrations"
        } else {
            "migrations"
        };
        out.push(
            Finding::new(
                &MISSING_TABLE,
                &r.file,
                span,
                format!(
                    "table {qualified} of {module} is created by no migration in {}/{folder}",
                    model.key.repo_dir
                ),
            )
            .resource(module)
            .table(qualified)
            .fix("create-table-migration"),
        );
        return;
    };
    let pk_reported = check_primary_key(analysis, r, model, table, out);
    for attr in &r.facts.attributes {
        if attr.primary_key && (pk_reported || !table.primary_key().is_empty()) {
            continue;
        }
        match table.column(&attr.column) {
            None => {
                if uncertain(model, table) {
                    continue;
                }
                out.push(
                    created_here(
                        Finding::new(
                            &MISSING_COLUMN,
                            &r.file,
                            attr.name_span.clone(),
                            missing_column_message(attr, qualified),
                        ),
                        table,
                    )
                    .resource(module)
                    .table(qualified)
                    .column(&attr.column)
                    .fix("add-column-migration"),
                );
            }
            Some(column) => {
                check_type(analysis, r, attr, column, qualified, out);
                check_null(r, attr, column, qualified, out);
            }
        }
    }
    check_identities(r, model, table, qualified, out);
    check_belongs_to(analysis, r, model, table, qualified, out);
}

fn missing_column_message(attr: &AttributeFacts, table: &str) -> String {
    match attr.origin {
        AttributeOrigin::Cloak => format!(
            "AshCloak stores this attribute in column {}, which table {table} lacks",
            attr.column
        ),
        AttributeOrigin::BelongsTo => format!(
            "belongs_to key {} has no column in table {table}",
            attr.column
        ),
        AttributeOrigin::Timestamp => {
            format!("timestamp {} has no column in table {table}", attr.column)
        }
        _ if attr.column != attr.name => format!(
            "attribute :{} (source {}) has no column in table {table}",
            attr.name, attr.column
        ),
        _ => format!("attribute :{} has no column in table {table}", attr.name),
    }
}

fn column_family(column: &FoldedColumn) -> Option<TypeFamily> {
    column.pg_type.as_deref().map(pg_family)
}

/// The storage family of an attribute; a belongs_to key without an explicit
/// type takes its destination's primary key type.
fn family_of(analysis: &Analysis, r: &LinkedResource, attr: &AttributeFacts) -> Option<TypeFamily> {
    if attr.origin == AttributeOrigin::BelongsTo {
        let bt = r
            .facts
            .belongs_to
            .iter()
            .find(|b| b.attribute == attr.name || b.attribute == attr.column)?;
        return match &bt.attribute_type {
            Some(t) => analysis.attribute_family(r.facts.kind, t),
            None => analysis
                .primary_keys
                .get(&bt.destination)
                .cloned()
                .flatten(),
        };
    }
    analysis.attribute_family(r.facts.kind, &attr.written_type)
}

fn check_type(
    analysis: &Analysis,
    r: &LinkedResource,
    attr: &AttributeFacts,
    column: &FoldedColumn,
    qualified: &str,
    out: &mut Vec<Finding>,
) {
    let (Some(want), Some(have)) = (family_of(analysis, r, attr), column_family(column)) else {
        return;
    };
    if compatible(&want, &have) {
        return;
    }
    let column_type = column.pg_type.as_deref().unwrap_or("?");
    out.push(
        Finding::new(
            &COLUMN_TYPE_MISMATCH,
            &r.file,
            attr.span.clone(),
            format!(
                "attribute :{} is {} ({}) but column {qualified}.{} is {column_type}",
                attr.name,
                attr.written_type,
                want.describe(),
                column.name
            ),
        )
        .related(
            &column.created.file,
            column.created.span.clone(),
            "column made here",
        )
        .resource(&r.facts.module)
        .table(qualified)
        .column(&column.name)
        .fix("change-attribute-type")
        .fix("change-column-type-migration"),
    );
}

fn check_null(
    r: &LinkedResource,
    attr: &AttributeFacts,
    column: &FoldedColumn,
    qualified: &str,
    out: &mut Vec<Finding>,
) {
    if attr.primary_key
        || column.primary_key
        || !column.null_known
        || r.facts.kind == ResourceKind::Ecto
    {
        return;
    }
    let Some(allow_nil) = attr.allow_nil else {
        return;
    };
    let message = if !allow_nil && column.null {
        format!(
            "attribute :{} has allow_nil? false but column {qualified}.{} is nullable",
            attr.name, column.name
        )
    } else if allow_nil && !column.null && !has_default(column) && attr.default.is_none() {
        format!(
            "attribute :{} allows nil but column {qualified}.{} is NOT NULL without a default: writing nil fails in the database",
            attr.name, column.name
        )
    } else {
        return;
    };
    let changed = column.changed.as_ref().unwrap_or(&column.created);
    out.push(
        Finding::new(&NULLABILITY_MISMATCH, &r.file, attr.span.clone(), message)
            .related(
                &changed.file,
                changed.span.clone(),
                "column nullability set here",
            )
            .resource(&r.facts.module)
            .table(qualified)
            .column(&column.name)
            .fix("change-attribute-nullability")
            .fix("change-column-null-migration"),
    );
}

/// Whether the database fills the column when a write leaves it out: an
/// explicit default, or a serial type's sequence.
fn has_default(column: &FoldedColumn) -> bool {
    column.default.is_some()
        || column.pg_type.as_deref().is_some_and(|t| {
            matches!(
                normalize_pg_type(t).as_str(),
                "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
            )
        })
}

/// Returns true when a mismatch was reported.
fn check_primary_key(
    analysis: &Analysis,
    r: &LinkedResource,
    model: &RepoModel,
    table: &FoldedTable,
    out: &mut Vec<Finding>,
) -> bool {
    let mine: Vec<&AttributeFacts> = r
        .facts
        .attributes
        .iter()
        .filter(|a| a.primary_key)
        .collect();
    let theirs = table.primary_key();
    if mine.is_empty() || (theirs.is_empty() && uncertain(model, table)) {
        return false;
    }
    let describe_mine = mine
        .iter()
        .map(|a| format!("{} {}", a.column, a.written_type))
        .collect::<Vec<_>>()
        .join(", ");
    let describe_theirs = theirs
        .iter()
        .map(|c| format!("{} {}", c.name, c.pg_type.as_deref().unwrap_or("?")))
        .collect::<Vec<_>>()
        .join(", ");
    let my_names: BTreeSet<&str> = mine.iter().map(|a| a.column.as_str()).collect();
    let their_names: BTreeSet<&str> = theirs.iter().map(|c| c.name.as_str()).collect();
    let names_differ = my_names != their_names;
    let type_differs = !names_differ
        && mine.iter().any(|a| {
            let want = analysis.attribute_family(r.facts.kind, &a.written_type);
            let have = table.column(&a.column).and_then(column_family);
            matches!((want, have), (Some(w), Some(h)) if !compatible(&w, &h))
        });
    if !names_differ && !type_differs {
        return false;
    }
    let qualified = table.qualified();
    let theirs_text = if theirs.is_empty() {
        "no primary key".to_string()
    } else {
        format!("primary key ({describe_theirs})")
    };
    let first = mine[0];
    out.push(
        created_here(
            Finding::new(
                &PRIMARY_KEY_MISMATCH,
                &r.file,
                first.span.clone(),
                format!(
                    "{} has primary key ({describe_mine}) but table {qualified} has {theirs_text}",
                    r.facts.module
                ),
            ),
            table,
        )
        .resource(&r.facts.module)
        .table(&qualified)
        .column(&first.column),
    );
    true
}

fn check_identities(
    r: &LinkedResource,
    model: &RepoModel,
    table: &FoldedTable,
    qualified: &str,
    out: &mut Vec<Finding>,
) {
    if uncertain(model, table) {
        return;
    }
    for identity in &r.facts.identities {
        if r.facts.skip_unique_indexes.contains(&identity.name) {
            continue;
        }
        // The strategy is `:attribute` but its attribute is not known.
        let Some(keys) = r.facts.identity_index_keys(identity) else {
            continue;
        };
        let columns: Option<BTreeSet<&str>> = keys
            .into_iter()
            .map(|k| r.facts.column_of(k).filter(|c| table.column(c).is_some()))
            .collect();
        // A key that is not a column (a calculation, a missing column) is
        // reported elsewhere or cannot be judged here.
        let Some(columns) = columns else { continue };
        if columns.is_empty() {
            continue;
        }
        let covered = table.indexes.iter().filter(|i| i.unique).any(|i| {
            i.columns
                .iter()
                .map(String::as_str)
                .collect::<BTreeSet<_>>()
                == columns
        }) || table
            .primary_key()
            .iter()
            .map(|c| c.name.as_str())
            .collect::<BTreeSet<_>>()
            == columns;
        if covered {
            continue;
        }
        let expected = r
            .facts
            .identity_index_names
            .get(&identity.name)
            .cloned()
            .unwrap_or_else(|| format!("{}_{}_index", table.name, identity.name));
        out.push(
            created_here(
                Finding::new(
                    &IDENTITY_WITHOUT_UNIQUE_INDEX,
                    &r.file,
                    identity.span.clone(),
                    format!(
                        "identity :{} on ({}) has no unique index in table {qualified}; AshPostgres expects {expected}",
                        identity.name,
                        columns.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                ),
                table,
            )
            .resource(&r.facts.module)
            .table(qualified)
            .fix("unique-index-migration"),
        );
    }
}

fn check_belongs_to(
    analysis: &Analysis,
    r: &LinkedResource,
    model: &RepoModel,
    table: &FoldedTable,
    qualified: &str,
    out: &mut Vec<Finding>,
) {
    if uncertain(model, table) {
        return;
    }
    for bt in &r.facts.belongs_to {
        if table.column(&bt.attribute).is_none() || r.facts.ignored_references.contains(&bt.name) {
            continue;
        }
        // Foreign keys exist only within one repo.
        let Some(dest) = analysis.resource(&bt.destination) else {
            continue;
        };
        if dest.model != r.model || dest.model.is_none() {
            continue;
        }
        let has_fk = table
            .foreign_keys
            .iter()
            // A composite key (`references(…, with: …)`) leads with the belongs_to key.
            .any(|fk| fk.columns.first() == Some(&bt.attribute));
        if has_fk {
            continue;
        }
        let dest_table = dest.table.as_deref().unwrap_or("?");
        out.push(
            created_here(
                Finding::new(
                    &BELONGS_TO_WITHOUT_FOREIGN_KEY,
                    &r.file,
                    bt.span.clone(),
                    format!(
                        "belongs_to :{} uses column {qualified}.{} but no foreign key references {dest_table}",
                        bt.name, bt.attribute
                    ),
                ),
                table,
            )
            .resource(&r.facts.module)
            .table(qualified)
            .column(&bt.attribute)
            .fix("foreign-key-migration"),
        );
    }
}

/// Tables that libraries map with schemas of their own (in `deps/`, which
/// is not indexed), so no project resource is expected for them.
const LIBRARY_TABLES: &[&str] = &[
    "oban_jobs",
    "oban_peers",
    "oban_producers",
    "schema_migrations",
    "error_tracker_errors",
    "error_tracker_occurrences",
    "error_tracker_meta",
];

/// Whether `qualified` is the `<table>_versions` table AshPaperTrail keeps
/// for a resource of the same model through a resource it generates.
fn is_paper_trail_versions(analysis: &Analysis, index: usize, qualified: &str) -> bool {
    let Some(source) = qualified.strip_suffix("_versions") else {
        return false;
    };
    analysis.resources.iter().any(|r| {
        r.model == Some(index)
            && r.table.as_deref() == Some(source)
            && r.facts
                .extensions
                .iter()
                .any(|e| e == PAPER_TRAIL_EXTENSION)
    })
}

/// The resources mapped to each table, by model index and qualified name.
type Mapped<'a> = HashMap<(usize, &'a str), Vec<&'a LinkedResource>>;

fn check_tables(analysis: &Analysis, out: &mut Vec<Finding>) {
    let mut mapped: Mapped = HashMap::new();
    for r in &analysis.resources {
        if let (Some(model), Some(table)) = (r.model, r.table.as_deref()) {
            mapped.entry((model, table)).or_default().push(r);
        }
    }
    // A resource whose table name could not be read may map to any table.
    let unlinked = analysis.resources.iter().any(|r| r.table.is_none());
    for (index, model) in analysis.models.iter().enumerate() {
        for table in model.tables.values() {
            if table.kind != RelationKind::Table {
                continue;
            }
            let qualified = table.qualified();
            let mapped = mapped
                .get(&(index, qualified.as_str()))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let Some(origin) = table.created.as_ref().or(table.touched.first()) else {
                continue;
            };
            if mapped.is_empty() {
                if unlinked
                    || is_paper_trail_versions(analysis, index, &qualified)
                    || LIBRARY_TABLES.contains(&table.name.as_str())
                {
                    continue;
                }
                out.push(
                    Finding::new(
                        &TABLE_WITHOUT_RESOURCE,
                        &origin.file,
                        origin.span.clone(),
                        format!("table {qualified} is mapped by no resource or schema"),
                    )
                    .table(&qualified),
                );
                continue;
            }
            extra_columns(table, &qualified, mapped, out);
        }
    }
}

/// `extra-column` on each column of `table` that no attribute of the
/// resources mapped to it covers.
fn extra_columns(
    table: &FoldedTable,
    qualified: &str,
    mapped: &[&LinkedResource],
    out: &mut Vec<Finding>,
) {
    if mapped.iter().any(|r| !r.facts.unresolved.is_empty()) {
        return;
    }
    let mut added = BTreeSet::new();
    for r in mapped {
        match unseen_columns(&r.facts) {
            UnseenColumns::None => {}
            UnseenColumns::Known(columns) => added.extend(columns),
            // An extension may have added any of the other columns.
            UnseenColumns::Unknown => return,
        }
    }
    let covered = |column: &str| {
        added.contains(column)
            || mapped
                .iter()
                .any(|r| r.facts.attributes.iter().any(|a| a.column == column))
    };
    let mut owners: Option<String> = None;
    for column in &table.columns {
        if covered(&column.name) {
            continue;
        }
        let owners = owners.get_or_insert_with(|| {
            mapped
                .iter()
                .map(|r| r.facts.module.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        });
        let mut f = Finding::new(
            &EXTRA_COLUMN,
            &column.created.file,
            column.created.span.clone(),
            format!(
                "column {qualified}.{} has no attribute on {owners}",
                column.name
            ),
        )
        .table(qualified)
        .column(&column.name);
        if let [only] = mapped {
            f = f.resource(&only.facts.module);
        }
        out.push(f);
    }
}
