//! Ecto migration modules → [`MigrationFacts`].

use crate::model::facts::MigrationFacts;
use tree_sitter::Tree;

/// Extract the operations of every migration statement in the file.
pub fn extract(src: &str, tree: &Tree) -> MigrationFacts {
    let _ = (src, tree);
    MigrationFacts::default()
}
