//! Source text → typed facts: tree-sitter-elixir parsing of migrations,
//! resources, schemas, repos and config, and a tolerant reader of the DDL in
//! raw SQL strings.

pub mod elixir;
pub mod migration;
pub mod resource;
pub mod sql;
pub mod suppress;
