//! Base-module resolution (placeholder until the resource extractor lands).

use crate::model::facts::{ResourceFacts, ResourceTemplate};

pub fn resolve(
    resources: Vec<ResourceFacts>,
    templates: &[ResourceTemplate],
) -> Vec<ResourceFacts> {
    let _ = templates;
    resources
}
