//! How each project root makes its migrations, and so which rule families
//! speak for it: `codegen` (Option A: `mix ash.codegen` from tracked
//! snapshots), `hand-written` (Option B: migrations safe to re-run), or, under
//! `auto` without tracked snapshots, the undecided seed state where both the
//! idempotency rules and what codegen would do are reported; a plain Ecto
//! project under `auto` is neither. Every check asks here; nothing else
//! decides it.

use crate::model::analysis::Analysis;
use crate::model::config::Convention;
use crate::model::facts::ResourceKind;
use crate::model::snapshots;
use crate::model::workspace::Workspace;

/// Where a project root stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stance {
    /// Migrations come from `mix ash.codegen` and tracked snapshots.
    Codegen,
    /// Migrations are written by hand and must survive a re-run.
    HandWritten,
    /// `auto` with no tracked snapshots: hand-written so far, and the next
    /// `mix ash.codegen` would start from nothing.
    Seed,
    /// `auto` in a project without Ash: `schema_migrations` runs every
    /// migration once, and there is no codegen.
    PlainEcto,
}

impl Stance {
    /// `non-idempotent-statement`, `irreversible-idempotent-change`, `hidden-drift`.
    pub fn idempotency(self) -> bool {
        matches!(self, Stance::HandWritten | Stance::Seed)
    }

    /// `snapshots-untracked` and `codegen-would-recreate`: what codegen would
    /// do on a fresh checkout.
    pub fn codegen_collisions(self) -> bool {
        matches!(self, Stance::Codegen | Stance::Seed)
    }

    /// `stale-snapshot`: only where the snapshots are the team's record;
    /// local-only snapshots would be noise.
    pub fn stale_snapshots(self) -> bool {
        self == Stance::Codegen
    }
}

/// The stance of project root `root`: the configured convention, or under
/// `auto`, `codegen` when a fresh checkout has snapshots, the seed state in
/// an Ash project without them, and plain Ecto otherwise.
pub fn stance(ws: &Workspace, analysis: &Analysis, root: &str) -> Stance {
    match ws.config.convention {
        Convention::Codegen => Stance::Codegen,
        Convention::HandWritten => Stance::HandWritten,
        Convention::Auto => {
            if snapshots::has_tracked(ws, root) {
                Stance::Codegen
            } else if uses_ash(ws, analysis, root) {
                Stance::Seed
            } else {
                Stance::PlainEcto
            }
        }
    }
}

/// Whether a project root is an Ash project: it declares an Ash resource or
/// a repo with `use AshPostgres.Repo`.
fn uses_ash(ws: &Workspace, analysis: &Analysis, root: &str) -> bool {
    let ash_resource = analysis
        .resources
        .iter()
        .any(|r| r.root == root && r.facts.kind == ResourceKind::Ash);
    ash_resource
        || ws
            .files
            .values()
            .filter(|f| f.role.root() == root)
            .filter_map(|f| f.elixir().map(|e| (f, e)))
            .any(|(f, e)| {
                e.repos.iter().any(|r| {
                    f.text.get(r.span.clone()).is_some_and(|u| {
                        u.split_whitespace()
                            .collect::<String>()
                            .contains("AshPostgres.Repo")
                    })
                })
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::analysis::analyze;
    use std::path::Path;

    const ASH_REPO: &str = "defmodule Shop.Repo do\n  use AshPostgres.Repo, otp_app: :shop\nend\n";

    const SNAPSHOT: &str = r#"{"table": "users", "attributes": []}"#;

    fn stance_of(files: &[(&str, &str)], root: &str) -> Stance {
        let files = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let ws = Workspace::from_memory(Path::new("/w"), files).unwrap_or_default();
        stance(&ws, &analyze(&ws), root)
    }

    #[test]
    fn auto_follows_tracked_snapshots_per_root() {
        let tracked = [
            ("mix.exs", ""),
            (".git/HEAD", ""),
            (
                "priv/resource_snapshots/repo/users/20240101000000.json",
                SNAPSHOT,
            ),
        ];
        assert_eq!(stance_of(&tracked, ""), Stance::Codegen);
        let ignored = [
            ("mix.exs", ""),
            (".git/HEAD", ""),
            (".gitignore", "priv/resource_snapshots/\n"),
            (
                "priv/resource_snapshots/repo/users/20240101000000.json",
                SNAPSHOT,
            ),
        ];
        assert_eq!(stance_of(&ignored, ""), Stance::PlainEcto);
        let ignored_ash = [&ignored[..], &[("lib/shop/repo.ex", ASH_REPO)]].concat();
        assert_eq!(stance_of(&ignored_ash, ""), Stance::Seed);
        assert_eq!(
            stance_of(&[("mix.exs", ""), ("lib/shop/repo.ex", ASH_REPO)], ""),
            Stance::Seed
        );
        // No Ash at all: plain Ecto, whose migrations run once.
        let ecto_repo = "defmodule Blog.Repo do\n  use Ecto.Repo, otp_app: :blog\nend\n";
        assert_eq!(
            stance_of(&[("mix.exs", ""), ("lib/blog/repo.ex", ecto_repo)], ""),
            Stance::PlainEcto
        );
        // Snapshots of one umbrella app say nothing about another.
        let umbrella = [
            ("apps/a/mix.exs", ""),
            ("apps/b/mix.exs", ""),
            (
                "apps/a/priv/resource_snapshots/repo/users/20240101000000.json",
                SNAPSHOT,
            ),
            ("apps/b/lib/b/repo.ex", ASH_REPO),
        ];
        assert_eq!(stance_of(&umbrella, "apps/a"), Stance::Codegen);
        assert_eq!(stance_of(&umbrella, "apps/b"), Stance::Seed);
    }

    #[test]
    fn configuration_wins() {
        let with = |convention: &str| {
            stance_of(
                &[
                    ("mix.exs", ""),
                    (".ecto-ash-lsp.toml", convention),
                    (
                        "priv/resource_snapshots/repo/users/20240101000000.json",
                        SNAPSHOT,
                    ),
                ],
                "",
            )
        };
        assert_eq!(with("convention = \"hand-written\"\n"), Stance::HandWritten);
        assert_eq!(with("convention = \"codegen\"\n"), Stance::Codegen);
        assert_eq!(with("convention = \"auto\"\n"), Stance::Codegen);
        let s = Stance::Seed;
        assert!(s.idempotency() && s.codegen_collisions() && !s.stale_snapshots());
        let c = Stance::Codegen;
        assert!(!c.idempotency() && c.codegen_collisions() && c.stale_snapshots());
        let h = Stance::HandWritten;
        assert!(h.idempotency() && !h.codegen_collisions() && !h.stale_snapshots());
        let e = Stance::PlainEcto;
        assert!(!e.idempotency() && !e.codegen_collisions() && !e.stale_snapshots());
    }
}
