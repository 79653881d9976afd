//! Incremental equals fresh: random sequences of edits (typing, deleting,
//! pasting whole migrations, breaking the syntax and repairing it) across
//! the open files of a small project, sent to the in-process server as
//! `didChange` ranges in UTF-16; the diagnostics it publishes at the end
//! must equal a fresh index of the final texts written to disk.
//!
//! `PROPTEST_CASES` sets the number of sequences (default 24, about 2 s).

#[path = "lsp/client.rs"]
mod client;
#[path = "reliability/fresh.rs"]
mod fresh;
mod support;

use client::{capabilities, uri, write_project, TestClient};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::Path;

const FILES: &[&str] = &[
    "lib/shop/accounts/user.ex",
    "lib/shop/accounts/org.ex",
    "priv/repo/migrations/20240101000000_create_users.exs",
    "priv/repo/migrations/20240102000000_create_orgs.exs",
];

const PROJECT: &str = r#"
//- /mix.exs
defmodule Shop.MixProject do
  use Mix.Project
end
//- /lib/shop/repo.ex
defmodule Shop.Repo do
  use AshPostgres.Repo, otp_app: :shop
end
//- /lib/shop/accounts/user.ex
defmodule Shop.Accounts.User do
  use Ash.Resource, domain: Shop.Accounts, data_layer: AshPostgres.DataLayer

  postgres do
    table "users"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :email, :string, allow_nil?: false
    attribute :motto, :string
  end

  relationships do
    belongs_to :org, Shop.Accounts.Org
  end
end
//- /lib/shop/accounts/org.ex
defmodule Shop.Accounts.Org do
  use Ash.Resource, domain: Shop.Accounts, data_layer: AshPostgres.DataLayer

  postgres do
    table "orgs"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :name, :string, allow_nil?: false
  end

  identities do
    identity :unique_name, [:name]
  end
end
//- /priv/repo/migrations/20240101000000_create_users.exs
defmodule Shop.Repo.Migrations.CreateUsers do
  use Ecto.Migration

  def change do
    # Users 😀
    create table(:users, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :email, :string, null: false
      add :nickname, :string
    end

    create unique_index(:users, [:email])
  end
end
//- /priv/repo/migrations/20240102000000_create_orgs.exs
defmodule Shop.Repo.Migrations.CreateOrgs do
  use Ecto.Migration

  @schema "public"

  def up do
    create_if_not_exists table(:orgs, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :name, :text
    end

    alter table(:users) do
      add :org_id, references(:orgs, type: :uuid, on_delete: :delete_all)
    end

    execute "CREATE INDEX IF NOT EXISTS orgs_name_index ON orgs (name)"
    index = "orgs_lower_name_index"
    execute "CREATE INDEX IF NOT EXISTS #{index} ON #{@schema}.orgs (lower(name))"
    guard_names()
  end

  defp guard_names do
    create constraint(:orgs, :name_not_blank, check: "name <> ''")
  end

  def down do
    drop table(:orgs)
  end
end
"#;

/// A whole migration, pasted over a file or into it.
const PASTED_MIGRATION: &str = "defmodule Shop.Repo.Migrations.AddTags do\n  use Ecto.Migration\n\n  def change do\n    create table(:tags) do\n      add :label, :string\n      add :user_id, references(:users, type: :uuid)\n    end\n\n    rename table(:users), :motto, to: :tagline\n    execute \"ALTER TABLE orgs ADD COLUMN slug text\"\n  end\nend\n";

/// Text typed or pasted in: DSL lines, fragments that break the syntax
/// (an open string, a stray `do`, an unclosed call), non-ASCII, CRLF.
const SNIPPETS: &[&str] = &[
    "      add :age, :integer\n",
    "    attribute :nickname, :string\n",
    "    attribute :org_id, :uuid\n",
    "    remove :nickname\n",
    "end\n",
    "do\n",
    "\"",
    "(",
    "# 🎉 ünïcode\n",
    "\r\n",
    "    create index(:users, [:nickname])\n",
    "    execute \"DROP TABLE IF EXISTS legacy\"\n",
    // What later statements read: an attribute, a variable, a helper.
    "  @schema \"other\"\n",
    "    index = \"orgs_other_index\"\n",
    "  defp guard_names, do: execute(\"CREATE TABLE IF NOT EXISTS h (id int)\")\n",
    ":",
    "x",
    PASTED_MIGRATION,
];

#[derive(Debug, Clone)]
enum Edit {
    /// Insert `SNIPPETS[snippet]` before the character at `at` (a fraction
    /// of the document, in thousandths).
    Insert {
        file: usize,
        at: u16,
        snippet: usize,
    },
    /// Delete up to `len` characters from `at`.
    Delete { file: usize, at: u16, len: u16 },
    /// Replace the whole document (no range) with a pasted migration.
    Replace { file: usize },
    /// Put the file back as it is on disk (the repair of whatever broke).
    Restore { file: usize },
    /// Close and reopen the document with its current text.
    Reopen { file: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    let file = 0..FILES.len();
    prop_oneof![
        6 => (file.clone(), 0..1000u16, 0..SNIPPETS.len())
            .prop_map(|(file, at, snippet)| Edit::Insert { file, at, snippet }),
        4 => (file.clone(), 0..1000u16, 1..120u16).prop_map(|(file, at, len)| Edit::Delete { file, at, len }),
        1 => file.clone().prop_map(|file| Edit::Replace { file }),
        1 => file.clone().prop_map(|file| Edit::Restore { file }),
        1 => file.prop_map(|file| Edit::Reopen { file }),
    ]
}

/// The (line, UTF-16 character) of the character index `ch` in `text`,
/// with lines ending at `\n`, and its byte offset.
fn position(text: &str, ch: usize) -> (u32, u32, usize) {
    let mut line = 0u32;
    let mut col = 0u32;
    let mut byte = text.len();
    for (i, (b, c)) in text.char_indices().enumerate() {
        if i == ch {
            byte = b;
            break;
        }
        if c == '\n' {
            line += 1;
            col = 0;
        } else {
            col += c.len_utf16() as u32;
        }
    }
    (line, col, byte)
}

/// `ch`, moved off the middle of a CRLF: the protocol has no position
/// between `\r` and `\n` (the server reads one as the line's end).
fn nudge(text: &str, ch: usize) -> usize {
    let mut chars = text.chars().skip(ch.saturating_sub(1));
    if ch > 0 && chars.next() == Some('\r') && chars.next() == Some('\n') {
        ch - 1
    } else {
        ch
    }
}

fn range(text: &str, from: usize, to: usize) -> (Value, std::ops::Range<usize>) {
    let (from, to) = (nudge(text, from), nudge(text, to));
    let (l1, c1, b1) = position(text, from);
    let (l2, c2, b2) = position(text, to);
    (
        json!({"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}}),
        b1..b2,
    )
}

async fn run(edits: Vec<Edit>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write_project(root, PROJECT);
    assert!(
        !fresh::fresh(root).is_empty(),
        "the fixture has findings to compare"
    );
    let on_disk: Vec<String> = FILES
        .iter()
        .map(|rel| std::fs::read_to_string(root.join(rel)).expect("read"))
        .collect();
    let mut texts = on_disk.clone();
    let mut versions = vec![1i64; FILES.len()];
    let mut c = TestClient::start();
    c.initialize(&[root], capabilities(&["utf-16"]), Value::Null)
        .await;
    for (i, rel) in FILES.iter().enumerate() {
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(root, rel), "languageId": "elixir", "version": 1, "text": texts[i]}}),
        )
        .await;
    }
    for e in &edits {
        let (file, change) = match *e {
            Edit::Insert { file, at, snippet } => {
                let text = &mut texts[file];
                let chars = text.chars().count();
                let ch = chars * at as usize / 1000;
                let (r, bytes) = range(text, ch, ch);
                text.insert_str(bytes.start, SNIPPETS[snippet]);
                (file, json!([{"range": r, "text": SNIPPETS[snippet]}]))
            }
            Edit::Delete { file, at, len } => {
                let text = &mut texts[file];
                let chars = text.chars().count();
                let from = chars * at as usize / 1000;
                let to = (from + len as usize).min(chars);
                let (r, bytes) = range(text, from, to);
                text.replace_range(bytes, "");
                (file, json!([{"range": r, "text": ""}]))
            }
            Edit::Replace { file } => {
                texts[file] = PASTED_MIGRATION.to_string();
                (file, json!([{"text": PASTED_MIGRATION}]))
            }
            Edit::Restore { file } => {
                texts[file] = on_disk[file].clone();
                (file, json!([{"text": on_disk[file]}]))
            }
            Edit::Reopen { file } => {
                let doc = uri(root, FILES[file]);
                c.notify(
                    "textDocument/didClose",
                    json!({"textDocument": {"uri": doc}}),
                )
                .await;
                versions[file] += 1;
                c.notify(
                    "textDocument/didOpen",
                    json!({"textDocument": {"uri": doc, "languageId": "elixir", "version": versions[file], "text": texts[file]}}),
                )
                .await;
                continue;
            }
        };
        versions[file] += 1;
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(root, FILES[file]), "version": versions[file]}, "contentChanges": change}),
        )
        .await;
    }
    // Every buffer caught up (a request waits for the analysis of its file).
    for rel in FILES {
        c.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri(root, rel)}}),
        )
        .await;
    }
    let copy = tempfile::tempdir().expect("temp dir");
    write_project(copy.path(), PROJECT);
    for (rel, text) in FILES.iter().zip(&texts) {
        std::fs::write(copy.path().join(rel), text).expect("write final text");
    }
    // Random edits may remove every finding; the fixture as written has
    // some, so the comparison is not empty in general.
    fresh::settles_to(&mut c, root, fresh::fresh(copy.path())).await;
    assert_eq!(c.shutdown().await, 0);
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn incremental_equals_fresh(edits in proptest::collection::vec(edit(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(run(edits));
    }
}

/// A fixed sequence that breaks every file and repairs it, so the default
/// run always covers the repair path whatever the random cases draw.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn break_everything_then_repair() {
    let mut edits = Vec::new();
    for file in 0..FILES.len() {
        edits.push(Edit::Insert {
            file,
            at: 500,
            snippet: 6,
        });
        edits.push(Edit::Insert {
            file,
            at: 100,
            snippet: 5,
        });
    }
    edits.push(Edit::Replace { file: 1 });
    for file in 0..FILES.len() {
        edits.push(Edit::Restore { file });
    }
    edits.push(Edit::Insert {
        file: 2,
        at: 990,
        snippet: 14,
    });
    run(edits).await;
}

#[test]
fn positions_count_utf16_and_lines() {
    let text = "a😀b\nc";
    assert_eq!(position(text, 2), (0, 3, 5));
    assert_eq!(position(text, 4), (1, 0, 7));
    assert_eq!(position(text, 5), (1, 1, 8));
    let _ = Path::new("");
}

/// Found by `incremental_equals_fresh`: a buffer edited until nothing in it
/// can matter to the model (here a lib file turned into a migration-like
/// module, then broken) was still parsed and reported, while a fresh index
/// skips such a file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buffer_that_stops_mattering_leaves_the_model() {
    run(vec![
        Edit::Replace { file: 1 },
        Edit::Insert {
            file: 1,
            at: 500,
            snippet: 6,
        },
    ])
    .await;
}
