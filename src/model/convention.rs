//! How each project root makes its migrations, and so which rule families
//! speak for it: `codegen` (Option A: `mix ash.codegen` from tracked
//! snapshots), `hand-written` (Option B: migrations safe to re-run), or, under
//! `auto` without tracked snapshots, the undecided seed state where both the
//! idempotency rules and what codegen would do are reported. Every check asks
//! here; nothing else decides it.

use crate::model::config::Convention;
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

    pub fn name(self) -> &'static str {
        match self {
            Stance::Codegen => "codegen",
            Stance::HandWritten => "hand-written",
            Stance::Seed => "auto (no tracked snapshots)",
        }
    }
}

/// The stance of project root `root`: the configured convention, or under
/// `auto`, `codegen` when a fresh checkout has snapshots and the seed state
/// otherwise.
pub fn stance(ws: &Workspace, root: &str) -> Stance {
    match ws.config.convention {
        Convention::Codegen => Stance::Codegen,
        Convention::HandWritten => Stance::HandWritten,
        Convention::Auto => {
            if snapshots::has_tracked(ws, root) {
                Stance::Codegen
            } else {
                Stance::Seed
            }
        }
    }
}
