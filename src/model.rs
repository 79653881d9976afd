//! Per-file facts → the folded database model (tables in version order per
//! repo) and the resource ↔ table links.

pub mod analysis;
pub mod bases;
pub mod config;
pub mod convention;
pub mod ecto_sql;
pub mod facts;
pub mod fold;
pub mod gitignore;
pub mod snapshots;
pub mod types;
pub mod workspace;
