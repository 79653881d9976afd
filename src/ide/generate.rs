//! New migrations: "generate idempotent migration" for a resource, and the
//! drift fixes that write one (add a column, create a table, a unique index,
//! a foreign key, change a column).

use super::actions::Action;
use super::Snapshot;
use crate::checks::Finding;

/// Drift fixes for one finding (`index` into `snap.findings`) that write a
/// new migration or change the resource.
pub fn drift_fixes(_snap: &Snapshot, _index: usize, _finding: &Finding) -> Vec<Action> {
    Vec::new()
}

/// "Generate idempotent migration" when `offset` in `file` is on a resource.
pub fn generate_at(_snap: &Snapshot, _file: &str, _offset: usize) -> Option<Action> {
    None
}
