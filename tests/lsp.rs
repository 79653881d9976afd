//! The language server end to end, in-process over a duplex pipe: a whole
//! editing session, encodings, configuration, files changing on disk,
//! several folders, and what bad clients and bad files must not break.

#[path = "lsp/client.rs"]
mod client;
mod support;

use client::{capabilities, uri, write_project, TestClient};
use serde_json::{json, Value};
use std::path::Path;

const USER: &str = "lib/shop/accounts/user.ex";
const ORG: &str = "lib/shop/accounts/org.ex";
const CREATE: &str = "priv/repo/migrations/20240101000000_create_users.exs";

/// Two resources: `User` lacks the attribute for the migration's `nickname`
/// column (an `extra-column` hint in the migration); `Org` (CRLF line
/// endings, an emoji in a column name) has an attribute with no column (a
/// `missing-column` error in the resource).
fn project(root: &Path) {
    write_project(
        root,
        r#"
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
  end
end
//- /priv/repo/migrations/20240101000000_create_users.exs
defmodule Shop.Repo.Migrations.CreateUsers do
  use Ecto.Migration

  def change do
    create_if_not_exists table(:users, primary_key: false) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")
      add :email, :string, null: false
      add :nickname, :string
    end

    create_if_not_exists table(:orgs, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :name, :string, null: false
    end
  end
end
"#,
    );
    let org = "defmodule Shop.Accounts.Org do\n  use Ash.Resource, domain: Shop.Accounts, data_layer: AshPostgres.DataLayer\n\n  postgres do\n    table \"orgs\"\n    repo Shop.Repo\n  end\n\n  attributes do\n    uuid_primary_key :id\n    # The motto may hold emoji: 😀\n    attribute :name, :string, allow_nil?: false; attribute :\"motto_😀\", :string\n  end\nend\n";
    std::fs::write(root.join(ORG), org.replace('\n', "\r\n")).expect("write org.ex");
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

fn has(code: &'static str) -> impl Fn(&[Value]) -> bool {
    move |d| codes(d).iter().any(|c| c == code)
}

fn lacks(code: &'static str) -> impl Fn(&[Value]) -> bool {
    move |d| !codes(d).iter().any(|c| c == code)
}

/// The diagnostic of `code` in a `publishDiagnostics` params object.
fn of_code<'v>(params: &'v Value, code: &str) -> &'v Value {
    params["diagnostics"]
        .as_array()
        .and_then(|d| d.iter().find(|x| x["code"] == code))
        .unwrap_or_else(|| panic!("no {code} in {params}"))
}

fn text_document(root: &Path, rel: &str) -> Value {
    json!({"uri": uri(root, rel)})
}

fn at(root: &Path, rel: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": text_document(root, rel), "position": {"line": line, "character": character}})
}

/// Line and character of the first occurrence of `needle` (ASCII lines).
fn find(root: &Path, rel: &str, needle: &str) -> (u32, u32) {
    let text = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
    for (i, line) in text.lines().enumerate() {
        if let Some(c) = line.find(needle) {
            return (i as u32, c as u32);
        }
    }
    panic!("{needle} not in {rel}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_editing_session() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    project(root);
    let mut c = TestClient::start();
    let init = c
        .initialize(
            &[root],
            capabilities(&["utf-16", "utf-8"]),
            json!({"rules": {"table-without-resource": "off"}}),
        )
        .await;
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-8");
    assert_eq!(caps["textDocumentSync"]["change"], 2);
    for provider in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentSymbolProvider",
        "workspaceSymbolProvider",
    ] {
        assert_eq!(caps[provider], true, "{provider}");
    }
    assert_eq!(init["serverInfo"]["name"], "ecto-ash-lsp");

    // Indexing: file watchers registered, progress from 0 to the end, then
    // diagnostics for files nobody opened.
    let registration = c
        .wait_for(|m| m["method"] == "client/registerCapability")
        .await;
    let globs: Vec<&str> = registration["params"]["registrations"][0]["registerOptions"]
        ["watchers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["globPattern"].as_str())
        .collect();
    assert_eq!(
        globs,
        [
            "**/*.ex",
            "**/*.exs",
            "**/priv/resource_snapshots/**/*.json",
            "**/.gitignore",
            "**/.ecto-ash-lsp.toml"
        ]
    );
    let begin = c
        .wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin")
        .await;
    assert_eq!(begin["params"]["value"]["percentage"], 0);
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end")
        .await;
    let reported: Vec<u64> = c
        .seen
        .iter()
        .filter(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "report")
        .filter_map(|m| m["params"]["value"]["percentage"].as_u64())
        .collect();
    assert_eq!(reported.last(), Some(&100), "{reported:?}");
    let migration = c.diagnostics(&uri(root, CREATE), has("extra-column")).await;
    let extra = of_code(&migration, "extra-column");
    assert_eq!(extra["severity"], 4);
    assert_eq!(extra["source"], "ecto-ash-lsp");
    assert_eq!(
        extra["codeDescription"]["href"],
        "https://github.com/ecto-ash-lsp/ecto-ash-lsp/blob/main/README.md#extra-column"
    );
    assert_eq!(extra["data"]["code"], "extra-column");
    assert_eq!(extra["data"]["table"], "public.users");
    assert_eq!(extra["data"]["column"], "nickname");
    assert_eq!(migration["version"], Value::Null);
    let org = c.diagnostics(&uri(root, ORG), has("missing-column")).await;
    let missing = of_code(&org, "missing-column");
    assert_eq!(missing["severity"], 1);
    // UTF-8 columns: the emoji counts four.
    assert_eq!(
        missing["range"],
        json!({"start": {"line": 11, "character": 59}, "end": {"line": 11, "character": 72}})
    );
    assert_eq!(
        missing["relatedInformation"][0]["location"]["uri"],
        uri(root, CREATE)
    );
    assert_eq!(
        missing["relatedInformation"][0]["message"],
        "table created here"
    );
    assert_eq!(missing["data"]["fixes"], json!(["add-column-migration"]));

    // Hover on the resource, its attribute, and the table in the migration.
    let hover = c.result("textDocument/hover", at(root, USER, 0, 12)).await;
    let markdown = hover["contents"]["value"].as_str().unwrap_or("");
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert!(
        markdown.starts_with("**Shop.Accounts.User** (Ash resource) → table `public.users`"),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            "| `nickname` | `varchar(255)` | null |  | made `20240101000000_create_users.exs:8` |"
        ),
        "{markdown}"
    );
    assert!(markdown.contains("hint `extra-column`"), "{markdown}");
    let (line, col) = find(root, CREATE, ":users");
    let hover = c
        .result("textDocument/hover", at(root, CREATE, line, col + 2))
        .await;
    let markdown = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(
        markdown.contains("Mapped by **Shop.Accounts.User** (`lib/shop/accounts/user.ex:1`)"),
        "{markdown}"
    );
    assert_eq!(
        hover["range"],
        json!({"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 6}})
    );

    // Definition: resource table → migration; migration table → resource.
    let (line, col) = find(root, USER, "\"users\"");
    let definition = c
        .result("textDocument/definition", at(root, USER, line, col + 1))
        .await;
    assert_eq!(definition[0]["uri"], uri(root, CREATE));
    assert_eq!(
        definition[0]["range"]["start"],
        json!({"line": 4, "character": 4})
    );
    let (line, col) = find(root, CREATE, ":users");
    let definition = c
        .result("textDocument/definition", at(root, CREATE, line, col + 1))
        .await;
    assert_eq!(definition[0]["uri"], uri(root, USER));
    assert_eq!(
        definition[0]["range"],
        json!({"start": {"line": 0, "character": 10}, "end": {"line": 0, "character": 28}})
    );
    // References: every statement touching the table.
    let references = c
        .result(
            "textDocument/references",
            json!({"textDocument": text_document(root, CREATE), "position": {"line": line, "character": col + 1}, "context": {"includeDeclaration": true}}),
        )
        .await;
    let places: Vec<String> = references
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            format!(
                "{}:{}",
                l["uri"]
                    .as_str()
                    .unwrap_or("")
                    .rsplit('/')
                    .next()
                    .unwrap_or(""),
                l["range"]["start"]["line"]
            )
        })
        .collect();
    assert_eq!(places, ["user.ex:4", "20240101000000_create_users.exs:4"]);

    // Symbols.
    let symbols = c
        .result(
            "textDocument/documentSymbol",
            json!({"textDocument": text_document(root, CREATE)}),
        )
        .await;
    assert_eq!(symbols[0]["name"], "Shop.Repo.Migrations.CreateUsers");
    assert_eq!(symbols[0]["children"][0]["name"], "def change");
    assert_eq!(
        symbols[0]["children"][0]["children"][0]["name"],
        "create table if not exists users"
    );
    let symbols = c
        .result(
            "textDocument/documentSymbol",
            json!({"textDocument": text_document(root, USER)}),
        )
        .await;
    let children: Vec<&str> = symbols[0]["children"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(children, ["table users", "id", "email"]);
    let found = c.result("workspace/symbol", json!({"query": "user"})).await;
    let names: Vec<&str> = found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["Shop.Accounts.User", "public.users"]);

    // Edit the resource: adding the attribute the migration's column lacks
    // clears the hint in the migration, an unopened file.
    let user_text = std::fs::read_to_string(root.join(USER)).unwrap_or_default();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(root, USER), "languageId": "elixir", "version": 1, "text": user_text}}),
    )
    .await;
    let (line, col) = find(root, USER, "attribute :email");
    c.mark();
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri(root, USER), "version": 2},
            "contentChanges": [{
                "range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}},
                "text": "attribute :nickname, :string\n    "
            }]
        }),
    )
    .await;
    let cleared = c
        .diagnostics(&uri(root, CREATE), lacks("extra-column"))
        .await;
    assert_eq!(cleared["version"], Value::Null);
    let edited = c
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri(root, USER)
                && m["params"]["version"] == 2
        })
        .await;
    assert_eq!(edited["params"]["version"], 2);
    assert!(lacks("extra-column")(
        edited["params"]["diagnostics"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
    ));
    // Hover sees the edit.
    let hover = c
        .result("textDocument/hover", at(root, USER, line, col + 12))
        .await;
    let markdown = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(
        markdown.starts_with("**attribute** `nickname` `:string`"),
        "{markdown}"
    );

    // Closing without saving goes back to the file on disk: the hint returns.
    c.mark();
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": text_document(root, USER)}),
    )
    .await;
    c.diagnostics(&uri(root, CREATE), has("extra-column")).await;

    // Settings from the editor: turn missing-column off.
    *c.settings.lock().expect("settings") = json!({"rules": {"missing-column": "off"}});
    c.mark();
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    )
    .await;
    c.diagnostics(&uri(root, ORG), lacks("missing-column"))
        .await;
    // The project's file wins over the editor for rule levels.
    std::fs::write(
        root.join(".ecto-ash-lsp.toml"),
        "[rules]\nmissing-column = \"warning\"\n",
    )
    .expect("write config");
    c.mark();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(root, ".ecto-ash-lsp.toml"), "type": 1}]}),
    )
    .await;
    let org = c.diagnostics(&uri(root, ORG), has("missing-column")).await;
    assert_eq!(of_code(&org, "missing-column")["severity"], 2);

    assert_eq!(c.shutdown().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf16_when_the_client_does_not_offer_utf8() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    project(root);
    let mut c = TestClient::start();
    let init = c.initialize(&[root], json!({}), Value::Null).await;
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    let org = c.diagnostics(&uri(root, ORG), has("missing-column")).await;
    // UTF-16 columns: the emoji counts two.
    assert_eq!(
        of_code(&org, "missing-column")["range"],
        json!({"start": {"line": 11, "character": 59}, "end": {"line": 11, "character": 70}})
    );
    c.mark();
    // A position given in UTF-16 after the emoji lands on the right byte:
    // typing after the atom keeps the file parseable and the finding moves.
    let text = std::fs::read_to_string(root.join(ORG)).unwrap_or_default();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(root, ORG), "languageId": "elixir", "version": 7, "text": text}}),
    )
    .await;
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri(root, ORG), "version": 8},
            "contentChanges": [{
                "range": {"start": {"line": 11, "character": 59}, "end": {"line": 11, "character": 70}},
                "text": ":tagline"
            }]
        }),
    )
    .await;
    let after = c
        .diagnostics(&uri(root, ORG), |d| {
            d.iter().any(|x| {
                x["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(":tagline"))
            })
        })
        .await;
    assert_eq!(after["version"], 8);
    assert_eq!(
        of_code(&after, "missing-column")["range"],
        json!({"start": {"line": 11, "character": 59}, "end": {"line": 11, "character": 67}})
    );
    assert_eq!(c.shutdown().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_changed_outside_the_editor_and_several_folders() {
    let first = tempfile::tempdir().expect("temp dir");
    let second = tempfile::tempdir().expect("temp dir");
    project(first.path());
    project(second.path());
    let mut c = TestClient::start();
    c.initialize(
        &[first.path(), second.path()],
        capabilities(&["utf-16"]),
        Value::Null,
    )
    .await;
    c.diagnostics(&uri(first.path(), ORG), has("missing-column"))
        .await;
    c.diagnostics(&uri(second.path(), ORG), has("missing-column"))
        .await;
    // A new migration on disk adds the missing column in the second folder only.
    let rel = "priv/repo/migrations/20240301000000_add_motto.exs";
    std::fs::write(
        second.path().join(rel),
        "defmodule Shop.Repo.Migrations.AddMotto do\n  use Ecto.Migration\n\n  def change do\n    alter table(:orgs) do\n      add :\"motto_😀\", :string\n    end\n  end\nend\n",
    )
    .expect("write migration");
    c.mark();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(second.path(), rel), "type": 1}]}),
    )
    .await;
    c.diagnostics(&uri(second.path(), ORG), lacks("missing-column"))
        .await;
    // Deleting it brings the finding back.
    std::fs::remove_file(second.path().join(rel)).expect("remove");
    c.mark();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(second.path(), rel), "type": 3}]}),
    )
    .await;
    c.diagnostics(&uri(second.path(), ORG), has("missing-column"))
        .await;
    // The first folder kept its finding throughout.
    let latest = c.latest_diagnostics();
    assert_eq!(
        codes(
            latest[&uri(first.path(), ORG)]["diagnostics"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[])
        ),
        ["codegen-would-recreate", "missing-column"]
    );
    // Removing a folder withdraws its diagnostics.
    c.mark();
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": [{"uri": uri(first.path(), ""), "name": "first"}]}}),
    )
    .await;
    c.diagnostics(&uri(first.path(), ORG), |d| d.is_empty())
        .await;
    assert_eq!(c.shutdown().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_errors_are_answered_not_fatal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    project(root);
    let mut c = TestClient::start();
    // Before initialize.
    let early = c.request("textDocument/hover", at(root, USER, 0, 0)).await;
    assert_eq!(early["error"]["code"], -32002);
    c.initialize(&[root], capabilities(&["utf-8"]), Value::Null)
        .await;
    c.diagnostics(&uri(root, ORG), has("missing-column")).await;
    let unknown = c.request("textDocument/frobnicate", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32601);
    let bad = c
        .request("textDocument/hover", json!({"textDocument": 3}))
        .await;
    assert_eq!(bad["error"]["code"], -32602);
    let past_end = c
        .request("textDocument/hover", at(root, USER, 500, 0))
        .await;
    assert_eq!(past_end["error"]["code"], -32602);
    assert!(past_end["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("past the end")));
    // Past the end of a line: the line's end, not an error.
    let line_end = c
        .request("textDocument/hover", at(root, USER, 0, 500))
        .await;
    assert!(line_end.get("error").is_none(), "{line_end}");
    // Outside every folder: nothing, politely.
    let outside = c
        .result("textDocument/hover", json!({"textDocument": {"uri": "file:///elsewhere/x.ex"}, "position": {"line": 0, "character": 0}}))
        .await;
    assert_eq!(outside, Value::Null);

    // Hostile documents: binary, broken Elixir, 10 MB, outside the workspace.
    let documents = [
        ("lib/shop/binary.ex", "\u{0}\u{1}\u{2}defmodule \u{0}".to_string()),
        ("lib/shop/broken.ex", "defmodule Broken do\n  use Ash.Resource, data_layer: AshPostgres.DataLayer\n  postgres do\n    table \"x\n  end\n".to_string()),
        ("lib/shop/huge.ex", format!("defmodule Huge do\n  use Ecto.Schema\n  @moduledoc \"\"\"\n{}\"\"\"\nend\n", "x".repeat(10 * 1024 * 1024))),
        ("../outside.ex", "defmodule Outside do\nend\n".to_string()),
    ];
    for (i, (rel, text)) in documents.iter().enumerate() {
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(root, rel), "languageId": "elixir", "version": i, "text": text}}),
        )
        .await;
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(root, rel), "version": i + 100}, "contentChanges": [{"range": {"start": {"line": 9999, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "\u{0}"}]}),
        )
        .await;
    }
    let huge = c
        .diagnostics(&uri(root, "lib/shop/huge.ex"), has("parse-error"))
        .await;
    assert!(huge["diagnostics"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("not indexed")));
    // Still answering.
    let hover = c.result("textDocument/hover", at(root, USER, 0, 12)).await;
    assert!(hover["contents"]["value"]
        .as_str()
        .is_some_and(|m| m.contains("Shop.Accounts.User")));
    assert_eq!(c.shutdown().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_without_shutdown_ends_with_code_one() {
    let mut c = TestClient::start();
    c.result(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    )
    .await;
    c.notify("exit", Value::Null).await;
    let code = tokio::time::timeout(std::time::Duration::from_secs(5), c.server)
        .await
        .expect("ends promptly")
        .expect("no panic");
    assert_eq!(code, 1);
}

const ADD_TEAMS: &str = "priv/repo/migrations/20240301000000_add_teams.exs";

/// A hand-written project whose migration re-creates nothing safely.
fn hand_written_project(root: &Path) {
    write_project(
        root,
        r#"
//- /.ecto-ash-lsp.toml
convention = "hand-written"
//- /mix.exs
defmodule Shop.MixProject do
  use Mix.Project
end
//- /lib/shop/repo.ex
defmodule Shop.Repo do
  use Ecto.Repo, otp_app: :shop, adapter: Ecto.Adapters.Postgres
end
//- /priv/repo/migrations/20240301000000_add_teams.exs
defmodule Shop.Repo.Migrations.AddTeams do
  use Ecto.Migration

  def change do
    create table(:teams) do
      add :name, :string
    end

    alter table(:teams) do
      add :slug, :string
    end
  end
end
"#,
    );
}

/// Apply a protocol `TextEdit` list to ASCII text (lines and characters
/// coincide in every encoding), last edit first.
fn apply_text_edits(text: &str, edits: &[Value]) -> String {
    let offset = |pos: &Value| -> usize {
        let line = pos["line"].as_u64().unwrap_or(0) as usize;
        let character = pos["character"].as_u64().unwrap_or(0) as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + character
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|(s, e, _)| (*s, *e));
    let mut out = text.to_string();
    for (s, e, new) in spans.into_iter().rev() {
        out.replace_range(s..e, &new);
    }
    out
}

fn with_workspace_edits(mut caps: Value, document_changes: bool) -> Value {
    caps["workspace"]["workspaceEdit"] = json!({
        "documentChanges": document_changes,
        "resourceOperations": ["create"]
    });
    caps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_actions_fix_a_finding_and_the_whole_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    hand_written_project(root);
    let mut c = TestClient::start();
    let init = c
        .initialize(
            &[root],
            with_workspace_edits(capabilities(&["utf-16"]), true),
            json!({}),
        )
        .await;
    let provider = &init["capabilities"]["codeActionProvider"];
    assert_eq!(
        provider["codeActionKinds"],
        json!([
            "quickfix",
            "source.fixAll.ecto-ash-lsp",
            "source.generateMigration.ecto-ash-lsp"
        ])
    );
    assert_eq!(
        init["capabilities"]["executeCommandProvider"]["commands"],
        json!(["ecto-ash-lsp.generateMigration"])
    );
    let text = std::fs::read_to_string(root.join(ADD_TEAMS)).expect("read");
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(root, ADD_TEAMS), "languageId": "elixir", "version": 7, "text": text}}),
    )
    .await;
    let published = c
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri(root, ADD_TEAMS)
                && m["params"]["version"] == 7
        })
        .await;
    let diagnostics = published["params"]["diagnostics"].clone();
    let finding = diagnostics
        .as_array()
        .and_then(|d| {
            d.iter().find(|x| {
                x["code"] == "non-idempotent-statement" && x["data"]["kind"] == "create-table"
            })
        })
        .cloned()
        .expect("a create-table finding");

    // The quick fix at the finding: preferred, versioned, and it clears it.
    let actions = c
        .result(
            "textDocument/codeAction",
            json!({
                "textDocument": text_document(root, ADD_TEAMS),
                "range": finding["range"],
                "context": {"diagnostics": [finding.clone()]}
            }),
        )
        .await;
    let list = actions.as_array().cloned().unwrap_or_default();
    let quick = list
        .iter()
        .find(|a| a["kind"] == "quickfix")
        .cloned()
        .expect("a quick fix");
    assert_eq!(quick["title"], "Use create_if_not_exists");
    assert_eq!(quick["isPreferred"], true);
    assert_eq!(quick["diagnostics"][0]["code"], "non-idempotent-statement");
    let change = &quick["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"]["uri"], uri(root, ADD_TEAMS));
    assert_eq!(change["textDocument"]["version"], 7);
    assert!(list
        .iter()
        .any(|a| a["kind"] == "source.fixAll.ecto-ash-lsp"));
    let fixed = apply_text_edits(&text, change["edits"].as_array().expect("edits"));
    assert!(fixed.contains("    create_if_not_exists table(:teams) do\n"));
    c.mark();
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(root, ADD_TEAMS), "version": 8}, "contentChanges": [{"text": fixed}]}),
    )
    .await;
    let after = c
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri(root, ADD_TEAMS)
                && m["params"]["version"] == 8
        })
        .await;
    let kinds: Vec<&str> = after["params"]["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["data"]["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["add-column"]);

    // Only the fix-all when asked for `source.fixAll`; it splits change/0.
    let only = c
        .result(
            "textDocument/codeAction",
            json!({
                "textDocument": text_document(root, ADD_TEAMS),
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": [], "only": ["source.fixAll"]}
            }),
        )
        .await;
    let only = only.as_array().cloned().unwrap_or_default();
    assert_eq!(only.len(), 1, "{only:?}");
    assert_eq!(only[0]["kind"], "source.fixAll.ecto-ash-lsp");
    let change = &only[0]["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"]["version"], 8);
    let all = apply_text_edits(&fixed, change["edits"].as_array().expect("edits"));
    assert!(all.contains("  def down do\n"), "{all}");
    c.mark();
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(root, ADD_TEAMS), "version": 9}, "contentChanges": [{"text": all}]}),
    )
    .await;
    let clean = c
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri(root, ADD_TEAMS)
                && m["params"]["version"] == 9
        })
        .await;
    let left: Vec<&str> = clean["params"]["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["code"].as_str())
        .filter(|c| *c == "non-idempotent-statement" || *c == "irreversible-idempotent-change")
        .collect();
    assert_eq!(left, Vec::<&str>::new());

    // The generate command refuses a place that is not a resource, and
    // commands it does not know.
    let (line, character) = find(root, ADD_TEAMS, "alter table");
    let refused = c
        .request(
            "workspace/executeCommand",
            json!({"command": "ecto-ash-lsp.generateMigration", "arguments": [uri(root, ADD_TEAMS), {"line": line, "character": character}]}),
        )
        .await;
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    assert!(refused["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("no resource at")));
    let bad_args = c
        .request(
            "workspace/executeCommand",
            json!({"command": "ecto-ash-lsp.generateMigration", "arguments": [42]}),
        )
        .await;
    assert_eq!(bad_args["error"]["code"], -32602, "{bad_args}");
    let unknown = c
        .request(
            "workspace/executeCommand",
            json!({"command": "something.else", "arguments": []}),
        )
        .await;
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
    assert_eq!(c.shutdown().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_actions_for_a_client_without_document_changes_use_the_changes_map() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    hand_written_project(root);
    let mut c = TestClient::start();
    c.initialize(
        &[root],
        with_workspace_edits(capabilities(&["utf-16"]), false),
        json!({}),
    )
    .await;
    c.diagnostics(&uri(root, ADD_TEAMS), has("non-idempotent-statement"))
        .await;
    let (line, _) = find(root, ADD_TEAMS, "create table");
    let actions = c
        .result(
            "textDocument/codeAction",
            json!({
                "textDocument": text_document(root, ADD_TEAMS),
                "range": {"start": {"line": line, "character": 4}, "end": {"line": line, "character": 4}},
                "context": {"diagnostics": [], "only": ["quickfix"]}
            }),
        )
        .await;
    let quick = &actions[0];
    assert_eq!(quick["kind"], "quickfix");
    assert!(quick["edit"].get("documentChanges").is_none());
    let edits = &quick["edit"]["changes"][uri(root, ADD_TEAMS)];
    let text = std::fs::read_to_string(root.join(ADD_TEAMS)).expect("read");
    let fixed = apply_text_edits(&text, edits.as_array().expect("edits"));
    assert!(fixed.contains("create_if_not_exists table(:teams)"));
    assert_eq!(c.shutdown().await, 0);
}
