//! Protocol abuse: what a confused or hostile client sends, over the real
//! binary's stdio (framing: bad JSON, wrong `Content-Length`, stray bytes,
//! truncated frames) and in-process (requests before `initialize`, unknown
//! methods, wrong parameter types, positions past the end and inside a
//! UTF-16 surrogate pair, out-of-range edits, edits to unopened documents,
//! 10,000 rapid edits, cancellations). Every case gets a proper answer, the
//! server stays up, and a final check shows its state is still right: the
//! published diagnostics equal a fresh index of the final texts.

#[path = "lsp/client.rs"]
mod client;
#[path = "reliability/fresh.rs"]
mod fresh;
mod support;

use client::{capabilities, uri, write_project, TestClient};
use fresh::settles_to_fresh;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const USER: &str = "lib/shop/accounts/user.ex";
const CREATE: &str = "priv/repo/migrations/20240101000000_create_users.exs";

/// A resource `User` without the migration's `nickname` (an `extra-column`)
/// and with a `motto` the migration lacks (a `missing-column`); the
/// migration's comment holds an emoji (a surrogate pair in UTF-16).
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
    attribute :motto, :string
  end
end
//- /priv/repo/migrations/20240101000000_create_users.exs
defmodule Shop.Repo.Migrations.CreateUsers do
  use Ecto.Migration

  def change do
    # Users 😀 and their e-mail
    create table(:users, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :email, :string, null: false
      add :nickname, :string
    end
  end
end
"#,
    );
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

fn message(m: &Value) -> Vec<u8> {
    frame(m.to_string().as_bytes())
}

/// The real binary, with its stdout read on a thread into a channel.
struct Binary {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: mpsc::Receiver<Value>,
}

impl Binary {
    fn start() -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ecto-ash-lsp"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the binary");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, incoming) = mpsc::channel();
        std::thread::spawn(move || loop {
            let mut length = None;
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length: ") {
                    length = v.parse::<usize>().ok();
                }
            }
            let mut body = vec![0; length.unwrap_or(0)];
            if stdout.read_exact(&mut body).is_err() {
                return;
            }
            let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if tx.send(value).is_err() {
                return;
            }
        });
        Binary {
            child,
            stdin,
            incoming,
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write to the server");
        stdin.flush().expect("flush");
    }

    /// The next response (a message with an id and no method).
    fn response(&mut self) -> Value {
        self.next_where(|m| m.get("id").is_some() && m.get("method").is_none())
    }

    /// The next message from the server that satisfies `pred`.
    fn next_where(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let m = self
                .incoming
                .recv_timeout(Duration::from_secs(20))
                .expect("the server answers");
            if pred(&m) {
                return m;
            }
        }
    }

    fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Wait (bounded) for the process to end; its exit code.
    fn wait(mut self, patience: Duration) -> Option<i32> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            if started.elapsed() > patience {
                let _ = self.child.kill();
                panic!("the server was still running {patience:?} after its input ended");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn initialize(root: &Path) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": null, "rootUri": uri(root, ""), "capabilities": {}
    }})
}

fn error_code(response: &Value) -> i64 {
    response["error"]["code"].as_i64().unwrap_or(0)
}

#[test]
fn malformed_frames_get_errors_and_the_session_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    project(dir.path());
    let mut server = Binary::start();
    server.write(&message(&initialize(dir.path())));
    assert!(server.response()["result"]["capabilities"].is_object());
    server.write(&message(
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    ));
    // Indexed once the first diagnostics come.
    server.next_where(|m| m["method"] == "textDocument/publishDiagnostics");
    // Each bad frame, and the error it must get (id null unless it had one).
    let cases: Vec<(Vec<u8>, i64, Value)> =
        vec![
        (frame(b"{not json"), -32700, Value::Null),
        (frame(b"\xff\xfe\x00binary"), -32700, Value::Null),
        (frame(b"[1, 2, 3]"), -32600, Value::Null),
        (frame(br#"{"id": 7, "method": 3}"#), -32600, json!(7)),
        (frame(b""), -32700, Value::Null),
        // A key twice (found by fuzzing: it ended the session).
        (
            frame(br#"{"jsonrpc":"2.0","method":"x","id":5,"method":"shutdown"}"#),
            -32600,
            json!(5),
        ),
        // Not UTF-8 inside a field nobody reads, and a float id (both found
        // by fuzzing: each ended the session).
        (frame(b"{\"jsonrpc\":\"2.0\",\"\":\"\xae\"}"), -32700, Value::Null),
        (frame(br#"{"id":7e7}"#), -32600, json!(70_000_000)),
        // Not a number: the frame (and its body) is skipped.
        (b"Content-Length: ten\r\n\r\n{}".to_vec(), -32700, Value::Null),
        // No Content-Length at all.
        (
            b"Content-Type: application/vscode-jsonrpc\r\n\r\n{}".to_vec(),
            -32700,
            Value::Null,
        ),
        // Too short: the body's tail is stray bytes before the next frame.
        (
            b"Content-Length: 10\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"shutdown\"}"
                .to_vec(),
            -32700,
            Value::Null,
        ),
        // A request the protocol reserves (`$/…`) that the server lacks.
        (
            message(&json!({"jsonrpc": "2.0", "id": 8, "method": "$/frobnicate"})),
            -32601,
            json!(8),
        ),
    ];
    for (bytes, code, id) in &cases {
        server.write(bytes);
        // A good request after each bad frame shows where the stream is.
        server.write(&message(&json!({"jsonrpc": "2.0", "id": 2, "method": "workspace/symbol", "params": {"query": "User"}})));
        let error = server.response();
        assert_eq!(
            (error_code(&error), &error["id"]),
            (*code, id),
            "after {:?}: {error}",
            String::from_utf8_lossy(bytes)
        );
        let answer = server.response();
        assert_eq!(answer["id"], 2, "{answer}");
    }
    // The session is intact: the index still answers with the right symbols.
    server.write(&message(&json!({"jsonrpc": "2.0", "id": 3, "method": "workspace/symbol", "params": {"query": "Shop.Accounts.User"}})));
    let symbols = server.response();
    assert!(
        symbols["result"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["name"] == "Shop.Accounts.User")),
        "{symbols}"
    );
    // A Content-Length longer than what follows, then the end of input:
    // the server ends promptly instead of waiting for the rest.
    server.write(b"Content-Length: 100\r\n\r\n{\"jsonrpc\"");
    server.close_stdin();
    assert_eq!(server.wait(Duration::from_secs(10)), Some(1));
}

#[test]
fn input_ending_before_initialize_or_inside_a_header_ends_the_server() {
    for tail in [
        &b""[..],
        b"Content-Len",
        b"Content-Length: 5\r\n",
        b"\x00\x01\x02",
    ] {
        let mut server = Binary::start();
        server.write(tail);
        server.close_stdin();
        assert_eq!(server.wait(Duration::from_secs(10)), Some(1), "{tail:?}");
    }
}

fn at(root: &Path, rel: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri(root, rel)}, "position": {"line": line, "character": character}})
}

fn text_of(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).expect("read fixture file")
}

fn open(root: &Path, rel: &str, text: &str, version: i64) -> Value {
    json!({"textDocument": {"uri": uri(root, rel), "languageId": "elixir", "version": version, "text": text}})
}

fn change(root: &Path, rel: &str, version: i64, changes: Value) -> Value {
    json!({"textDocument": {"uri": uri(root, rel), "version": version}, "contentChanges": changes})
}

fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}})
}

/// Copy `root` with some files replaced, for a fresh index of the texts
/// the server should hold.
fn copy_with(root: &Path, replaced: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for rel in ["mix.exs", "lib/shop/repo.ex", USER, CREATE] {
        let to = dir.path().join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(root.join(rel), &to).expect("copy");
    }
    for (rel, text) in replaced {
        std::fs::write(dir.path().join(rel), text).expect("write");
    }
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_before_initialize_are_refused_and_a_second_initialize_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    project(root);
    let mut c = TestClient::start();
    for method in [
        "textDocument/hover",
        "textDocument/definition",
        "workspace/symbol",
        "shutdown",
    ] {
        let early = c.request(method, at(root, USER, 0, 0)).await;
        assert_eq!(error_code(&early), -32002, "{method}: {early}");
    }
    // A notification before initialize is dropped, not applied later.
    c.notify(
        "textDocument/didOpen",
        open(root, USER, "defmodule Early do\nend\n", 1),
    )
    .await;
    c.initialize(&[root], capabilities(&["utf-16"]), Value::Null)
        .await;
    let again = c
        .request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {}}),
        )
        .await;
    assert_eq!(error_code(&again), -32600, "{again}");
    settles_to_fresh(&mut c, root, root).await;
    assert_eq!(c.shutdown().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_methods_and_wrong_parameter_types() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    project(root);
    let mut c = TestClient::start();
    c.initialize(&[root], capabilities(&["utf-16"]), Value::Null)
        .await;
    for method in [
        "textDocument/frobnicate",
        "$/frobnicate",
        "",
        "workspace/unknown",
    ] {
        let r = c.request(method, json!({})).await;
        assert_eq!(error_code(&r), -32601, "{method}: {r}");
    }
    // Unknown notifications are ignored.
    c.notify("$/frobnicate", json!({"x": 1})).await;
    c.notify("textDocument/frobnicate", json!(null)).await;
    for (method, params) in [
        ("textDocument/hover", json!({"textDocument": 3})),
        ("textDocument/hover", json!(null)),
        ("textDocument/hover", json!([1, 2])),
        (
            "textDocument/hover",
            json!({"textDocument": {"uri": "not a uri"}, "position": {"line": 0, "character": 0}}),
        ),
        (
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(root, USER)}, "position": {"line": -1, "character": 0}}),
        ),
        (
            "textDocument/references",
            json!({"textDocument": {"uri": uri(root, USER)}, "position": {"line": 0, "character": 0}}),
        ),
        ("workspace/symbol", json!({"query": 5})),
        ("textDocument/documentSymbol", json!("x")),
    ] {
        let r = c.request(method, params.clone()).await;
        assert_eq!(error_code(&r), -32602, "{method} {params}: {r}");
    }
    // Notifications with wrong types are dropped without harm.
    c.notify("textDocument/didOpen", json!({"textDocument": 5}))
        .await;
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(root, USER), "version": "x"}, "contentChanges": "all"}),
    )
    .await;
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": 3}]}),
    )
    .await;
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"ectoAshLsp": {"rules": 5, "convention": []}}}),
    )
    .await;
    settles_to_fresh(&mut c, root, root).await;
    let hover = c.result("textDocument/hover", at(root, USER, 0, 12)).await;
    assert!(hover["contents"]["value"]
        .as_str()
        .is_some_and(|m| m.contains("Shop.Accounts.User")));
    assert_eq!(c.shutdown().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_past_the_end_and_inside_a_surrogate_pair() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    project(root);
    let mut c = TestClient::start();
    c.initialize(&[root], capabilities(&["utf-16"]), Value::Null)
        .await;
    settles_to_fresh(&mut c, root, root).await;
    let lines = text_of(root, CREATE).lines().count() as u32;
    for method in [
        "textDocument/hover",
        "textDocument/definition",
        "textDocument/references",
    ] {
        let mut params = at(root, CREATE, lines + 10, 0);
        params["context"] = json!({"includeDeclaration": true});
        let past = c.request(method, params).await;
        assert_eq!(error_code(&past), -32602, "{method}: {past}");
        for (line, character) in [(0, u32::MAX), (lines, 0), (4, 12), (4, 13)] {
            let mut params = at(root, CREATE, line, character);
            params["context"] = json!({"includeDeclaration": true});
            let r = c.request(method, params).await;
            assert!(
                r.get("error").is_none(),
                "{method} at {line}:{character}: {r}"
            );
        }
    }
    // Column 12 is the emoji's high surrogate, 13 its low one: both mean the
    // emoji, and a hover there is the same as at its start.
    let before = c
        .result("textDocument/hover", at(root, CREATE, 4, 11))
        .await;
    let inside = c
        .result("textDocument/hover", at(root, CREATE, 4, 13))
        .await;
    assert_eq!(before, inside);
    // The answer's own positions stay whole characters.
    let table = c
        .result("textDocument/hover", at(root, CREATE, 5, 18))
        .await;
    assert!(
        table["contents"]["value"]
            .as_str()
            .is_some_and(|m| m.contains("users")),
        "{table}"
    );
    assert_eq!(c.shutdown().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_edits_clamp_and_unopened_documents_are_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    project(root);
    let mut c = TestClient::start();
    c.initialize(&[root], capabilities(&["utf-16"]), Value::Null)
        .await;
    settles_to_fresh(&mut c, root, root).await;
    // didChange for a document never opened: ignored (logged), the file on
    // disk stays the truth.
    c.notify(
        "textDocument/didChange",
        change(root, USER, 2, json!([{"text": "defmodule Gone do\nend\n"}])),
    )
    .await;
    c.wait_for(|m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|s| s.contains("not open"))
    })
    .await;

    let original = text_of(root, CREATE);
    c.notify("textDocument/didOpen", open(root, CREATE, &original, 1))
        .await;
    let lines = original.lines().count() as u32;
    // Each edit and the text it must leave, by the documented clamping:
    // a line past the end is the end of the file, a character past the end
    // of a line is its end (before the newline), a position inside a
    // surrogate pair is the character's start, a reversed range is empty.
    let edits = [
        (range(lines + 50, 0, lines + 60, 9), "# appended\n"),
        (range(8, 500, 8, 900), ", default: \"n/a\""),
        (range(4, 13, 4, 13), "🎉"),
        (range(7, 0, 6, 0), "      add :age, :integer\n"),
        (range(0, 0, 0, 0), ""),
    ];
    let mut expected = original.clone();
    expected.push_str("# appended\n");
    expected = expected.replacen(
        "add :nickname, :string\n",
        "add :nickname, :string, default: \"n/a\"\n",
        1,
    );
    expected = expected.replacen("# Users 😀", "# Users 🎉😀", 1);
    expected = expected.replacen(
        "      add :email, :string, null: false\n",
        "      add :age, :integer\n      add :email, :string, null: false\n",
        1,
    );
    for (i, (r, text)) in edits.iter().enumerate() {
        c.notify(
            "textDocument/didChange",
            change(
                root,
                CREATE,
                i as i64 + 2,
                json!([{"range": r, "text": text}]),
            ),
        )
        .await;
    }
    let copy = copy_with(root, &[(CREATE, &expected)]);
    settles_to_fresh(&mut c, root, copy.path()).await;
    // The document's text is exactly the expected one: the symbols of the
    // migration name the added column.
    let symbols = c
        .result(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri(root, CREATE)}}),
        )
        .await;
    assert!(symbols.to_string().contains("age"), "{symbols}");
    assert_eq!(c.shutdown().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_rapid_edits_end_in_the_right_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    project(root);
    let mut c = TestClient::start();
    c.initialize(&[root], capabilities(&["utf-16"]), Value::Null)
        .await;
    settles_to_fresh(&mut c, root, root).await;
    let original = text_of(root, USER);
    c.notify("textDocument/didOpen", open(root, USER, &original, 1))
        .await;
    // Type the missing attribute one character at a time, with an `x`
    // typed and deleted after each character, until 10,000 edits.
    let (line, _) = original
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("attribute :motto"))
        .expect("motto line");
    let typed = "    attribute :nickname, :string\n";
    let started = Instant::now();
    let mut version = 1;
    let mut col = 0u32;
    let mut row = line as u32 + 1;
    let mut edits = 0;
    for ch in typed.chars() {
        version += 1;
        edits += 1;
        c.notify(
            "textDocument/didChange",
            change(
                root,
                USER,
                version,
                json!([{"range": range(row, col, row, col), "text": ch.to_string()}]),
            ),
        )
        .await;
        if ch == '\n' {
            row += 1;
            col = 0;
        } else {
            col += 1;
        }
    }
    let mut has_x = false;
    while edits < 10_000 || has_x {
        version += 1;
        let r = if has_x {
            json!([{"range": range(0, 0, 0, 1), "text": ""}])
        } else {
            json!([{"range": range(0, 0, 0, 0), "text": "x"}])
        };
        has_x = !has_x;
        c.notify("textDocument/didChange", change(root, USER, version, r))
            .await;
        edits += 1;
    }
    let sent = started.elapsed();
    let mut expected = original.clone();
    let at_line: usize = original.lines().take(line + 1).map(|l| l.len() + 1).sum();
    expected.insert_str(at_line, typed);
    // The final version's diagnostics come, and equal a fresh index.
    c.diagnostics(&uri(root, USER), |_| true).await;
    let copy = copy_with(root, &[(USER, &expected)]);
    settles_to_fresh(&mut c, root, copy.path()).await;
    eprintln!(
        "10,000 edits sent in {sent:?}; settled after {:?}",
        started.elapsed()
    );
    let hover = c
        .result("textDocument/hover", at(root, USER, line as u32 + 1, 16))
        .await;
    assert!(hover.to_string().contains("nickname"), "{hover}");
    assert_eq!(c.shutdown().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellations_are_answered_or_ignored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    project(root);
    let mut c = TestClient::start();
    c.initialize(&[root], capabilities(&["utf-16"]), Value::Null)
        .await;
    settles_to_fresh(&mut c, root, root).await;
    // A burst of requests, each cancelled at once: each gets exactly one
    // answer, the result or -32800 (RequestCancelled).
    let ids: Vec<i64> = (1000..1050).collect();
    for id in &ids {
        c.send(
            json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/references", "params": {
            "textDocument": {"uri": uri(root, CREATE)}, "position": {"line": 5, "character": 18},
            "context": {"includeDeclaration": true}}}),
        )
        .await;
        c.notify("$/cancelRequest", json!({"id": id})).await;
    }
    for id in &ids {
        let r = c
            .wait_for(|m| m["id"] == json!(id) && m.get("method").is_none())
            .await;
        assert!(r.get("result").is_some() || error_code(&r) == -32800, "{r}");
    }
    // Cancelling what is unknown or already answered changes nothing.
    for id in [json!(1), json!("never-sent"), json!(null), json!({"x": 1})] {
        c.notify("$/cancelRequest", json!({"id": id})).await;
    }
    let hover = c.result("textDocument/hover", at(root, USER, 0, 12)).await;
    assert!(hover.to_string().contains("Shop.Accounts.User"), "{hover}");
    settles_to_fresh(&mut c, root, root).await;
    assert_eq!(c.shutdown().await, 0);
}
