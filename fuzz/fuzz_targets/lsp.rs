//! JSON-RPC input to the language server, in-process over a pipe. After a
//! fixed `initialize` on a small project, the input is either raw bytes
//! (first byte 0: framing, headers and all, are the fuzzer's; then the end
//! of input must end the server) or one message body per line, framed here
//! with a right `Content-Length` and followed by `shutdown`, whose answer
//! must come. A panic anywhere, or a server that hangs, is a finding.
#![no_main]

use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// How long the server may take to answer `shutdown` after the input.
const PATIENCE: Duration = Duration::from_secs(20);

/// The project the server indexes, written once per process.
fn project() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("ecto-ash-lsp-fuzz-{}", std::process::id()));
        let files = [
            ("mix.exs", "defmodule App.MixProject do\n  use Mix.Project\nend\n"),
            ("lib/app/repo.ex", "defmodule App.Repo do\n  use AshPostgres.Repo, otp_app: :app\nend\n"),
            ("lib/app/user.ex", "defmodule App.User do\n  use Ash.Resource, domain: App, data_layer: AshPostgres.DataLayer\n\n  postgres do\n    table \"users\"\n    repo App.Repo\n  end\n\n  attributes do\n    uuid_primary_key :id\n    attribute :email, :string, allow_nil?: false\n    attribute :name, :string\n  end\nend\n"),
            ("priv/repo/migrations/20240101000000_create_users.exs", "defmodule App.Repo.Migrations.CreateUsers do\n  use Ecto.Migration\n\n  def change do\n    create table(:users, primary_key: false) do\n      add :id, :uuid, primary_key: true\n      add :email, :string, null: false\n      add :nickname, :string\n    end\n  end\nend\n"),
        ];
        for (rel, text) in files {
            let path = root.join(rel);
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = std::fs::write(path, text);
        }
        root
    })
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// `$ROOT` in the input stands for the project's URI, so seeds can name
/// its files.
fn expand(data: &[u8], root_uri: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    while let Some(at) = rest.windows(5).position(|w| w == b"$ROOT") {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(root_uri.as_bytes());
        rest = &rest[at + 5..];
    }
    out.extend_from_slice(rest);
    out
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Adding a folder (such as `/`) makes the server index it: a real walk of
    // the machine, not a bug to find here.
    if data
        .windows(16)
        .any(|w| w.eq_ignore_ascii_case(b"workspacefolders"))
    {
        return;
    }
    let root = project();
    let root_uri = format!("file://{}", root.display());
    let data = expand(data, &root_uri);
    let input: Vec<u8> = match data.split_first() {
        Some((0, raw)) => raw.to_vec(),
        _ => data
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .flat_map(frame)
            .collect(),
    };
    let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async move {
        let (client, server) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server);
        let served = tokio::spawn(ecto_ash_lsp::lsp::serve(server_read, server_write));
        let (client_read, mut client_write) = tokio::io::split(client);
        // Read everything the server says; tell when `shutdown` is answered.
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        // Set to see what the server says when triaging a finding.
        let debug = std::env::var_os("FUZZ_DEBUG").is_some();
        tokio::spawn(async move {
            let mut done = Some(done_tx);
            let mut reader = BufReader::new(client_read);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line).await {
                        Ok(0) | Err(_) => {
                            if debug {
                                eprintln!("<- (end of output)");
                            }
                            return;
                        }
                        Ok(_) => {}
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
                if reader.read_exact(&mut body).await.is_err() {
                    return;
                }
                let message: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                if debug {
                    eprintln!("<- {message}");
                }
                if message["id"] == json!("fuzz-end") && message.get("method").is_none() {
                    if let Some(tx) = done.take() {
                        let _ = tx.send(());
                    }
                }
            }
        });
        let init = json!({"jsonrpc": "2.0", "id": "fuzz-init", "method": "initialize", "params": {
            "processId": null, "rootUri": null, "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
            "workspaceFolders": [{"uri": root_uri, "name": "app"}]}});
        let initialized = json!({"jsonrpc": "2.0", "method": "initialized", "params": {}});
        let end = json!({"jsonrpc": "2.0", "id": "fuzz-end", "method": "shutdown"});
        let raw = data.first() == Some(&0);
        let mut stream = frame(init.to_string().as_bytes());
        stream.extend(frame(initialized.to_string().as_bytes()));
        stream.extend(input);
        if !raw {
            stream.extend(frame(end.to_string().as_bytes()));
        }
        if client_write.write_all(&stream).await.is_err() {
            return;
        }
        if raw {
            // Bad framing can leave the reader inside a body that never
            // ends: the end of the input must still end the server. (A
            // split pipe closes only on an explicit shutdown.)
            let _ = client_write.shutdown().await;
            let ended = tokio::time::timeout(PATIENCE, served).await;
            assert!(ended.is_ok(), "the server outlived its input by {PATIENCE:?}");
            return;
        }
        let answered = tokio::time::timeout(PATIENCE, done_rx).await;
        assert!(
            matches!(answered, Ok(Ok(()))),
            "the server did not answer shutdown within {PATIENCE:?}"
        );
        let exit = json!({"jsonrpc": "2.0", "method": "exit"});
        let _ = client_write.write_all(&frame(exit.to_string().as_bytes())).await;
        let _ = client_write.shutdown().await;
        let _ = tokio::time::timeout(Duration::from_secs(5), served).await;
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
});
