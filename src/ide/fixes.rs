//! Quick fixes that edit a migration in place: make a statement idempotent
//! (`create` → `create_if_not_exists`, raw SQL with `IF NOT EXISTS`, guarded
//! `DO` blocks for constraints) and split `change/0` into `up/0`/`down/0`.

use super::actions::Action;
use super::Snapshot;
use crate::checks::Finding;

/// The fixes for one finding (`index` into `snap.findings`).
pub fn quick_fixes(_snap: &Snapshot, _index: usize, _finding: &Finding) -> Vec<Action> {
    Vec::new()
}

/// Every safe fix in `file` as one action, when there is at least one.
pub fn fix_all(_snap: &Snapshot, _file: &str) -> Option<Action> {
    None
}
