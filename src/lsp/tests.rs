//! The server's own robustness, through methods that exist only in tests: a
//! request that panics gets an error and the server lives on; a request that
//! never ends is cancelled by `$/cancelRequest`.

use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

async fn read(reader: &mut (impl tokio::io::AsyncBufRead + Unpin)) -> Option<Value> {
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        match line.trim_end().strip_prefix("Content-Length: ") {
            Some(v) => length = v.parse().ok()?,
            None if line.trim_end().is_empty() => break,
            None => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_become_errors_and_requests_can_be_cancelled() {
    let (client, server) = tokio::io::duplex(1 << 16);
    let (server_read, server_write) = tokio::io::split(server);
    let running = tokio::spawn(super::serve(server_read, server_write));
    let (client_read, mut out) = tokio::io::split(client);
    let mut input = BufReader::new(client_read);
    let send = |m: Value| {
        let body = m.to_string();
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    };
    out.write_all(&send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    ))
    .await
    .unwrap_or_default();
    let initialized = tokio::time::timeout(Duration::from_secs(10), read(&mut input)).await;
    assert!(
        matches!(&initialized, Ok(Some(m)) if m["id"] == 1),
        "{initialized:?}"
    );
    for m in [
        json!({"jsonrpc": "2.0", "id": 2, "method": "test/panic"}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "test/sleep"}),
        json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 3}}),
        json!({"jsonrpc": "2.0", "id": 4, "method": "workspace/symbol", "params": {"query": ""}}),
        json!({"jsonrpc": "2.0", "id": 5, "method": "shutdown"}),
    ] {
        out.write_all(&send(m)).await.unwrap_or_default();
    }
    let mut responses = std::collections::BTreeMap::new();
    while responses.len() < 4 {
        let m = tokio::time::timeout(Duration::from_secs(10), read(&mut input))
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no answer; got {responses:?}"));
        if let Some(id) = m["id"].as_i64().filter(|_| m.get("method").is_none()) {
            responses.insert(id, m);
        }
    }
    assert_eq!(responses[&2]["error"]["code"], -32603);
    assert_eq!(
        responses[&2]["error"]["message"],
        "ecto-ash-lsp failed while answering: a bug in a request"
    );
    assert_eq!(responses[&3]["error"]["code"], -32800);
    assert_eq!(responses[&4]["result"], json!([]));
    assert_eq!(responses[&5]["result"], Value::Null);
    out.write_all(&send(json!({"jsonrpc": "2.0", "method": "exit"})))
        .await
        .unwrap_or_default();
    let code = tokio::time::timeout(Duration::from_secs(5), running).await;
    assert!(matches!(code, Ok(Ok(0))), "{code:?}");
}
