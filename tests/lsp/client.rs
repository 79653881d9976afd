//! A scripted LSP client for end-to-end tests: runs the server in-process
//! over a `tokio::io::duplex` pipe, frames messages by hand, answers the
//! server's own requests (registration, progress tokens, configuration) and
//! keeps every message the server sent for assertions.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long a test waits for a message before failing.
pub const PATIENCE: Duration = Duration::from_secs(20);

type Writer = Arc<tokio::sync::Mutex<Box<dyn AsyncWrite + Send + Unpin>>>;

pub struct TestClient {
    writer: Writer,
    incoming: mpsc::UnboundedReceiver<Value>,
    /// Every message from the server, in order (requests, notifications, responses).
    pub seen: Vec<Value>,
    /// Where in `seen` `wait_for` starts looking (see [`TestClient::mark`]).
    from: usize,
    next_id: i64,
    /// What the client answers to `workspace/configuration`.
    pub settings: Arc<Mutex<Value>>,
    pub server: JoinHandle<i32>,
}

pub async fn write_message(writer: &Writer, message: &Value) {
    let body = message.to_string();
    let mut w = writer.lock().await;
    let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
    w.write_all(framed.as_bytes())
        .await
        .expect("server input open");
    w.flush().await.expect("flush");
}

/// Read one framed message; `None` when the stream ends.
pub async fn read_message<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            length = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

impl TestClient {
    /// Start a server in-process.
    pub fn start() -> TestClient {
        let (client_side, server_side) = tokio::io::duplex(1 << 22);
        let (server_read, server_write) = tokio::io::split(server_side);
        let server = tokio::spawn(ecto_ash_lsp::lsp::serve(server_read, server_write));
        let (client_read, client_write) = tokio::io::split(client_side);
        let writer: Writer = Arc::new(tokio::sync::Mutex::new(Box::new(client_write)));
        let settings = Arc::new(Mutex::new(Value::Null));
        let (tx, incoming) = mpsc::unbounded_channel();
        let answer_with = writer.clone();
        let answer_settings = settings.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(client_read);
            while let Some(message) = read_message(&mut reader).await {
                // Answer the server's requests as an editor would.
                if let (Some(id), Some(method)) = (message.get("id"), message["method"].as_str()) {
                    let result = match method {
                        "workspace/configuration" => {
                            let s = answer_settings
                                .lock()
                                .map(|s| s.clone())
                                .unwrap_or_default();
                            json!([s])
                        }
                        // The test reads the edit from `seen` and applies it.
                        "workspace/applyEdit" => json!({"applied": true}),
                        _ => Value::Null,
                    };
                    write_message(
                        &answer_with,
                        &json!({"jsonrpc": "2.0", "id": id, "result": result}),
                    )
                    .await;
                }
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        TestClient {
            writer,
            incoming,
            seen: Vec::new(),
            from: 0,
            next_id: 1,
            settings,
            server,
        }
    }

    pub async fn send(&self, message: Value) {
        write_message(&self.writer, &message).await;
    }

    pub async fn notify(&self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    /// Send a request and return the whole response (`result` or `error`).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        self.wait_for(|m| m["id"] == json!(id) && m.get("method").is_none())
            .await
    }

    /// The result of a request, failing the test on an error response.
    pub async fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    async fn receive(&mut self) -> Value {
        match tokio::time::timeout(PATIENCE, self.incoming.recv()).await {
            Ok(Some(m)) => {
                self.seen.push(m.clone());
                m
            }
            Ok(None) => panic!("the server closed its output"),
            Err(_) => panic!(
                "no message from the server for {PATIENCE:?}; seen so far:\n{}",
                self.seen
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }

    /// From now on, `wait_for` looks only at messages that arrive later.
    pub fn mark(&mut self) {
        self.from = self.seen.len();
    }

    /// The first message since the last [`TestClient::mark`] matching
    /// `pred`, waiting for it if it has not come yet.
    pub async fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(m) = self
            .seen
            .get(self.from..)
            .and_then(|s| s.iter().find(|m| pred(m)))
        {
            return m.clone();
        }
        loop {
            let m = self.receive().await;
            if pred(&m) {
                return m;
            }
        }
    }

    /// The next `publishDiagnostics` for `uri` that satisfies `pred`.
    pub async fn diagnostics(&mut self, uri: &str, pred: impl Fn(&[Value]) -> bool) -> Value {
        self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["diagnostics"]
                    .as_array()
                    .is_some_and(|d| pred(d))
        })
        .await["params"]
            .clone()
    }

    /// Every `publishDiagnostics` seen so far, latest per file.
    pub fn latest_diagnostics(&self) -> std::collections::BTreeMap<String, Value> {
        let mut out = std::collections::BTreeMap::new();
        for m in &self.seen {
            if m["method"] == "textDocument/publishDiagnostics" {
                out.insert(
                    m["params"]["uri"].as_str().unwrap_or("").to_string(),
                    m["params"].clone(),
                );
            }
        }
        out
    }

    /// Initialize with `capabilities` and `options`, send `initialized`, and
    /// wait until indexing ended. Returns the initialize result.
    pub async fn initialize(
        &mut self,
        roots: &[&Path],
        capabilities: Value,
        options: Value,
    ) -> Value {
        let folders: Vec<Value> = roots
            .iter()
            .map(|r| json!({"uri": uri(r, ""), "name": r.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()}))
            .collect();
        let result = self
            .result(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": null,
                    "capabilities": capabilities,
                    "workspaceFolders": folders,
                    "initializationOptions": options,
                }),
            )
            .await;
        self.notify("initialized", json!({})).await;
        result
    }

    /// Shut down and exit; the server's exit code.
    pub async fn shutdown(mut self) -> i32 {
        let response = self.request("shutdown", Value::Null).await;
        assert_eq!(response["result"], Value::Null, "{response}");
        self.notify("exit", Value::Null).await;
        tokio::time::timeout(Duration::from_secs(5), self.server)
            .await
            .expect("the server ends promptly after exit")
            .expect("the server task did not panic")
    }
}

/// A `file://` URI for `rel` under `root` (`rel` empty: the root itself).
pub fn uri(root: &Path, rel: &str) -> String {
    let mut path = root.to_path_buf();
    if !rel.is_empty() {
        path.extend(rel.split('/'));
    }
    format!("file://{}", path.display())
}

/// Capabilities of a full-featured editor offering the given encodings.
pub fn capabilities(encodings: &[&str]) -> Value {
    json!({
        "general": {"positionEncodings": encodings},
        "window": {"workDoneProgress": true},
        "workspace": {
            "configuration": true,
            "didChangeWatchedFiles": {"dynamicRegistration": true},
            "workspaceFolders": true
        },
        "textDocument": {"publishDiagnostics": {"relatedInformation": true, "versionSupport": true}}
    })
}

/// Write fixture files (`//- /path` headers) under `root`.
pub fn write_project(root: &Path, fixture: &str) {
    for (rel, text) in crate::support::files(fixture) {
        let path = root.join(&rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create folder");
        }
        std::fs::write(path, text).expect("write fixture file");
    }
}
