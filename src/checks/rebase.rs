//! Rebasing kept work across edits: the checks' memos hold keys and
//! findings with byte spans, and an edit in the middle of a file moves every
//! later span of that file. Moving the kept spans by the edit's [`Splice`]
//! lets a later run see an unchanged table or resource as equal and reuse
//! its findings. A key and the findings computed from it are always moved
//! together by the same splice, so a reused entry says what a fresh run on
//! the new text says; anything a splice cannot move (a span across the
//! replaced bytes) drops its whole entry.
//!
//! Every span-bearing struct is taken apart field by field without `..`, so
//! a field added later does not compile until it is rebased here.

use crate::checks::{FileKey, Finding, Related};
use crate::model::analysis::LinkedResource;
use crate::model::facts::{
    AttributeFacts, BaseUse, BelongsToFacts, CheckConstraintFacts, CustomIndexFacts, IdentityFacts,
    ResourceFacts, Span, Unresolved, Valued,
};
use crate::model::fold::{
    FoldedCheck, FoldedColumn, FoldedForeignKey, FoldedIndex, FoldedTable, Origin,
};
use crate::model::workspace::Workspace;
use crate::text::Splice;
use std::sync::Arc;

/// The files whose text changed since the kept work was computed, each with
/// the one replacement that turned its old text into the new.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Edits {
    splices: Vec<(String, Splice)>,
}

impl Edits {
    /// Compare the texts `kept` (path and text, sorted by path) with the
    /// workspace's, keep the workspace's instead, and return how each
    /// changed file was edited. Files added or removed need no splice:
    /// nothing kept can match a file that was not there.
    pub(crate) fn since(kept: &mut Vec<(String, Arc<str>)>, ws: &Workspace) -> Edits {
        let mut splices = Vec::new();
        let mut changed = |path: &str, old: &Arc<str>, new: &Arc<str>| {
            if !Arc::ptr_eq(old, new) {
                let splice = Splice::between(old, new);
                if !splice.is_identity() {
                    splices.push((path.to_string(), splice));
                }
            }
        };
        let same_files = kept.len() == ws.files.len()
            && kept.iter().zip(ws.files.keys()).all(|((a, _), b)| a == b);
        if same_files {
            // The usual keystroke: the same files, one text replaced.
            for ((path, text), file) in kept.iter_mut().zip(ws.files.values()) {
                changed(path, text, &file.text);
                if !Arc::ptr_eq(text, &file.text) {
                    *text = file.text.clone();
                }
            }
            return Edits { splices };
        }
        let mut now = Vec::with_capacity(ws.files.len());
        let mut old = std::mem::take(kept).into_iter().peekable();
        for (rel, file) in &ws.files {
            // Both are sorted by path: skip removed files, then compare.
            while old.next_if(|(o, _)| o < rel).is_some() {}
            match old.next_if(|(o, _)| o == rel) {
                Some((path, text)) => {
                    changed(&path, &text, &file.text);
                    now.push((path, file.text.clone()));
                }
                None => now.push((rel.clone(), file.text.clone())),
            }
        }
        *kept = now;
        Edits { splices }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.splices.is_empty()
    }

    fn of(&self, file: &str) -> Option<&Splice> {
        self.splices
            .iter()
            .find(|(rel, _)| rel == file)
            .map(|(_, s)| s)
    }

    /// Whether `file` was edited.
    pub(crate) fn touches(&self, file: &str) -> bool {
        self.of(file).is_some()
    }

    /// Whether a key that holds this file's exact text is now stale.
    pub(crate) fn outdates(&self, key: &FileKey) -> bool {
        self.touches(&key.rel)
    }

    /// Move a span of `file`; false when it cannot be moved.
    pub(crate) fn span(&self, file: &str, span: &mut Span) -> bool {
        match self.of(file) {
            None => true,
            Some(splice) => within(splice, span),
        }
    }

    /// Move a finding's spans (its own, its related places', the offset that
    /// may carry its suppression); false when one cannot be moved.
    pub(crate) fn finding(&self, f: &mut Finding) -> bool {
        let Finding {
            rule: _,
            severity: _,
            file,
            span,
            message: _,
            resource: _,
            table: _,
            column: _,
            kind: _,
            related,
            fixes: _,
            unnecessary: _,
            suppressible_at,
        } = f;
        let at = match (self.of(file), *suppressible_at) {
            (Some(splice), Some(at)) => match splice.map(at) {
                Some(moved) => Some(moved),
                None => return false,
            },
            (_, at) => at,
        };
        *suppressible_at = at;
        self.span(file, span)
            && related.iter_mut().all(|r| {
                let Related {
                    file,
                    span,
                    message: _,
                } = r;
                self.span(file, span)
            })
    }

    pub(crate) fn findings(&self, findings: &mut [Finding]) -> bool {
        findings.iter_mut().all(|f| self.finding(f))
    }

    fn origin(&self, o: &mut Origin) -> bool {
        let Origin { file, span } = o;
        self.span(file, span)
    }

    /// Move the provenance of a folded table (each part remembers the
    /// statement that made it).
    pub(crate) fn table(&self, t: &mut FoldedTable) -> bool {
        let FoldedTable {
            schema: _,
            name: _,
            kind: _,
            created,
            created_guarded: _,
            partial: _,
            columns,
            indexes,
            foreign_keys,
            checks,
            exclusions,
            touched,
        } = t;
        created.iter_mut().all(|o| self.origin(o))
            && columns.iter_mut().all(|c| {
                let FoldedColumn {
                    name: _,
                    pg_type: _,
                    null: _,
                    null_known: _,
                    default: _,
                    primary_key: _,
                    created,
                    changed,
                } = c;
                self.origin(created) && changed.iter_mut().all(|o| self.origin(o))
            })
            && indexes.iter_mut().all(|i| {
                let FoldedIndex {
                    name: _,
                    columns: _,
                    unique: _,
                    where_clause: _,
                    using: _,
                    origin,
                    constraint: _,
                    conditional: _,
                } = i;
                self.origin(origin)
            })
            && foreign_keys.iter_mut().all(|k| {
                let FoldedForeignKey {
                    name: _,
                    columns: _,
                    references: _,
                    referenced_columns: _,
                    on_delete: _,
                    on_update: _,
                    origin,
                } = k;
                self.origin(origin)
            })
            && checks.iter_mut().chain(exclusions.iter_mut()).all(|c| {
                let FoldedCheck {
                    name: _,
                    expression: _,
                    origin,
                } = c;
                self.origin(origin)
            })
            && touched.iter_mut().all(|o| self.origin(o))
    }

    /// Move a linked resource's facts, all of which point into its file
    /// (a base module's declarations point at the `use` that brings them).
    pub(crate) fn resource(&self, r: &mut LinkedResource) -> bool {
        let LinkedResource {
            file,
            root: _,
            facts,
            model: _,
            table: _,
        } = r;
        match self.of(file) {
            None => true,
            Some(splice) => resource_facts(splice, Arc::make_mut(facts)),
        }
    }
}

/// Move `span` by `splice`; false when it cannot be moved.
fn within(splice: &Splice, span: &mut Span) -> bool {
    match splice.map_span(span) {
        Some(moved) => {
            *span = moved;
            true
        }
        None => false,
    }
}

fn valued<T>(splice: &Splice, v: &mut Valued<T>) -> bool {
    match v {
        Valued::Literal { value: _, span } | Valued::Unresolved { span } => within(splice, span),
    }
}

fn unresolved(splice: &Splice, u: &mut Unresolved) -> bool {
    let Unresolved { span, message: _ } = u;
    within(splice, span)
}

fn resource_facts(splice: &Splice, facts: &mut ResourceFacts) -> bool {
    let ResourceFacts {
        module: _,
        module_span,
        kind: _,
        postgres: _,
        table,
        schema,
        repo: _,
        migrate: _,
        multitenancy: _,
        multitenancy_attribute: _,
        skip_unique_indexes: _,
        ignored_references: _,
        postgres_span,
        attributes,
        identities,
        belongs_to,
        custom_indexes,
        check_constraints,
        identity_index_names: _,
        extensions: _,
        base,
        unresolved: unread,
    } = facts;
    within(splice, module_span)
        && table.iter_mut().all(|v| valued(splice, v))
        && schema.iter_mut().all(|v| valued(splice, v))
        && postgres_span.iter_mut().all(|s| within(splice, s))
        && attributes.iter_mut().all(|a| {
            let AttributeFacts {
                name: _,
                span,
                name_span,
                written_type: _,
                column: _,
                allow_nil: _,
                primary_key: _,
                default: _,
                origin: _,
            } = a;
            within(splice, span) && within(splice, name_span)
        })
        && identities.iter_mut().all(|i| {
            let IdentityFacts {
                name: _,
                span,
                keys: _,
                all_tenants: _,
            } = i;
            within(splice, span)
        })
        && belongs_to.iter_mut().all(|b| {
            let BelongsToFacts {
                name: _,
                span,
                destination: _,
                attribute: _,
                attribute_type: _,
                allow_nil: _,
                define_attribute: _,
                primary_key: _,
            } = b;
            within(splice, span)
        })
        && custom_indexes.iter_mut().all(|c| {
            let CustomIndexFacts {
                span,
                columns: _,
                name: _,
                unique: _,
            } = c;
            within(splice, span)
        })
        && check_constraints.iter_mut().all(|c| {
            let CheckConstraintFacts {
                span,
                name: _,
                check: _,
            } = c;
            within(splice, span)
        })
        && base.iter_mut().all(|b| {
            let BaseUse {
                module: _,
                span,
                options: _,
                unresolved_options: _,
            } = b;
            within(splice, span)
        })
        && unread.iter_mut().all(|u| unresolved(splice, u))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::rules::NON_IDEMPOTENT_STATEMENT;
    use std::path::Path;

    const MIGRATION: &str = "priv/repo/migrations/20240101000000_create_users.exs";
    const OTHER: &str = "priv/repo/migrations/20240102000000_create_orgs.exs";

    fn workspace(files: &[(&str, &str)]) -> Workspace {
        let files = files
            .iter()
            .map(|(rel, text)| (rel.to_string(), text.to_string()))
            .collect();
        Workspace::from_memory(Path::new("/w"), files).unwrap_or_default()
    }

    fn edits(old: &[(&str, &str)], new: &[(&str, &str)]) -> Edits {
        let mut kept = Vec::new();
        let _ = Edits::since(&mut kept, &workspace(old));
        Edits::since(&mut kept, &workspace(new))
    }

    #[test]
    fn edits_since_compare_each_file_with_its_kept_text() {
        let mix = ("mix.exs", "defmodule A.MixProject do\nend\n");
        let old = [mix, (MIGRATION, "# a\n"), (OTHER, "# b\n")];
        // Nothing changed, a file removed, a file added: no splice.
        assert!(edits(&old, &old).is_empty());
        assert!(edits(&old, &[mix, (MIGRATION, "# a\n")]).is_empty());
        assert!(edits(&[mix, (MIGRATION, "# a\n")], &old).is_empty());
        // Two files changed in one run, one of them also next to a removal.
        let both = edits(&old, &[mix, (MIGRATION, "# ab\n"), (OTHER, "#\n")]);
        assert_eq!(
            both.splices,
            vec![
                (
                    MIGRATION.to_string(),
                    Splice {
                        at: 3,
                        removed: 0,
                        inserted: 1
                    }
                ),
                (
                    OTHER.to_string(),
                    Splice {
                        at: 1,
                        removed: 2,
                        inserted: 0
                    }
                ),
            ]
        );
        assert!(both.touches(MIGRATION) && !both.touches("mix.exs"));
        // The same text in a new buffer is no edit.
        let mut kept = Vec::new();
        let _ = Edits::since(&mut kept, &workspace(&old));
        assert!(Edits::since(&mut kept, &workspace(&old)).is_empty());
    }

    fn finding() -> Finding {
        let mut f = Finding::new(&NON_IDEMPOTENT_STATEMENT, MIGRATION, 40..60, "m")
            .related(OTHER, 10..20, "there")
            .related(MIGRATION, 0..8, "here");
        f.suppressible_at = Some(30);
        f
    }

    #[test]
    fn a_finding_moves_with_every_span_of_the_edited_file() {
        let splice = Splice {
            at: 20,
            removed: 2,
            inserted: 5,
        };
        let edits = Edits {
            splices: vec![(MIGRATION.to_string(), splice)],
        };
        let mut f = finding();
        assert!(edits.finding(&mut f));
        assert_eq!(f.span, 43..63);
        assert_eq!(f.suppressible_at, Some(33));
        // The related place in another file stays; the one before the edit too.
        assert_eq!(f.related[0].span, 10..20);
        assert_eq!(f.related[1].span, 0..8);
        // Only the related place is in the edited file.
        let edits = Edits {
            splices: vec![(OTHER.to_string(), splice)],
        };
        let mut f = finding();
        assert!(edits.finding(&mut f));
        assert_eq!((f.span.clone(), f.suppressible_at), (40..60, Some(30)));
        assert_eq!(f.related[0].span, 10..20);
        let edits = Edits {
            splices: vec![(
                OTHER.to_string(),
                Splice {
                    at: 5,
                    removed: 0,
                    inserted: 1,
                },
            )],
        };
        let mut f = finding();
        assert!(edits.finding(&mut f));
        assert_eq!(f.related[0].span, 11..21);
        // Any span across the edit makes the finding unmovable.
        for splice in [
            Splice {
                at: 50,
                removed: 1,
                inserted: 0,
            },
            Splice {
                at: 30,
                removed: 1,
                inserted: 0,
            },
            Splice {
                at: 4,
                removed: 0,
                inserted: 1,
            },
        ] {
            let edits = Edits {
                splices: vec![(MIGRATION.to_string(), splice)],
            };
            assert!(!edits.finding(&mut finding()), "{splice:?}");
        }
    }
}
