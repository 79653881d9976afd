//! `ecto-ash-lsp sql`: the SQL each migration sends, per repo in version
//! order (newest first for `--direction down`).

use super::{trouble, Report};
use crate::model::ecto_sql::{render_workspace, Way};
use crate::model::workspace::FileRole;
use std::io::Write;
use std::path::Path;

/// Print the SQL of the migrations under `path` (only `version`'s when given).
pub fn sql(path: &Path, version: Option<&str>, way: Way) -> i32 {
    let report = match Report::build(path) {
        Ok(r) => r,
        Err(e) => return trouble(&e),
    };
    if let Some(wanted) = version {
        let known = report.workspace.files.values().any(
            |f| matches!(&f.role, FileRole::Migration { version: Some(v), .. } if v == wanted),
        );
        if !known {
            return trouble(&format!("no migration with version {wanted}"));
        }
    }
    let text = render_workspace(&report.workspace, &report.analysis, version, way);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            trouble(&format!("writing the SQL: {e}"))
        }
        _ => 0,
    }
}
