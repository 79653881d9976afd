//! Per-file facts → the folded database model (tables in version order per
//! repo) and the resource ↔ table links.

pub mod facts;
