//! ecto-ash-lsp: a static checker and language server for Ecto migrations and
//! Ash resources. Layers, lowest first: `text`, `syntax`, `model`, `checks`,
//! `ide`, `cli`, `lsp`.

pub mod checks;
pub mod cli;
pub mod ide;
pub mod lsp;
pub mod model;
pub mod syntax;
pub mod text;
