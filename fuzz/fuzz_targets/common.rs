//! What every file-text target does with its input: index it beside a small
//! fixed project, run every check and every editor feature over it, and
//! insist that what comes out points inside the text it came from.
#![allow(dead_code)]

use ecto_ash_lsp::ide::{self, Snapshot};
use ecto_ash_lsp::model::workspace::Workspace;
use ecto_ash_lsp::text::ColumnUnit;
use std::path::Path;

pub const MIGRATION: &str = "priv/repo/migrations/20240102000000_fuzzed.exs";
pub const RESOURCE: &str = "lib/app/fuzzed.ex";

/// The fixed part of the project: a repo, one resource and one migration,
/// so fuzzed text has something to link, fold and drift against.
const PROJECT: &[(&str, &str)] = &[
    ("mix.exs", "defmodule App.MixProject do\n  use Mix.Project\nend\n"),
    (
        "lib/app/repo.ex",
        "defmodule App.Repo do\n  use AshPostgres.Repo, otp_app: :app\nend\n",
    ),
    (
        "lib/app/user.ex",
        "defmodule App.User do\n  use Ash.Resource, domain: App, data_layer: AshPostgres.DataLayer\n\n  postgres do\n    table \"users\"\n    repo App.Repo\n  end\n\n  attributes do\n    uuid_primary_key :id\n    attribute :email, :string, allow_nil?: false\n  end\nend\n",
    ),
    (
        "priv/repo/migrations/20240101000000_create_users.exs",
        "defmodule App.Repo.Migrations.CreateUsers do\n  use Ecto.Migration\n\n  def change do\n    create table(:users, primary_key: false) do\n      add :id, :uuid, primary_key: true\n      add :email, :string, null: false\n    end\n  end\nend\n",
    ),
];

/// Index `text` as the file `rel` of the fixed project and exercise it.
pub fn exercise(rel: &str, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut files: Vec<(String, String)> = PROJECT
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    files.push((rel.to_string(), text.to_string()));
    let Ok(ws) = Workspace::from_memory(Path::new("/fuzz"), files) else {
        return;
    };
    let snap = Snapshot::new(ws);
    for finding in snap.findings.iter() {
        let Some(file) = snap.file(&finding.file) else {
            continue;
        };
        assert_span_in(&file.text, &finding.span, finding.code());
        for r in &finding.related {
            if let Some(other) = snap.file(&r.file) {
                assert_span_in(&other.text, &r.span, "related");
            }
        }
        for unit in [ColumnUnit::Utf8, ColumnUnit::Utf16] {
            let _ = file.lines.position(&file.text, finding.span.start, unit);
            let _ = file.lines.position(&file.text, finding.span.end, unit);
        }
    }
    let Some(file) = snap.file(rel) else {
        return;
    };
    let len = file.text.len();
    let _ = ide::symbols::document_symbols(&snap, rel);
    let _ = ide::symbols::workspace_symbols(&snap, "a", 64);
    // A handful of offsets spread over the file, char boundaries or not:
    // the features must take any offset a client can produce.
    let step = (len / 16).max(1);
    for offset in (0..=len + 1).step_by(step) {
        let _ = ide::hover::hover(&snap, rel, offset);
        let _ = ide::navigation::definition(&snap, rel, offset);
        let _ = ide::navigation::references(&snap, rel, offset, true);
        let _ = ide::actions::actions_at(&snap, rel, offset..offset.saturating_add(3));
    }
}

fn assert_span_in(text: &str, span: &ecto_ash_lsp::model::facts::Span, what: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} outside a text of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} splits a character"
    );
}
