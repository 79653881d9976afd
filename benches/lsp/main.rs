//! didChange → publishDiagnostics latency of the language server on a
//! generated project: 150 resources, 150 migrations and one 72 KB migration
//! being edited, plus RSS after indexing. Run with `cargo bench --bench lsp`
//! (numbers, not a pass/fail test). `LSP_BENCH_EDITS=n` sets the number of
//! edits timed.

mod generate;

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, WriteHalf};
use tokio::sync::mpsc;

const RESOURCES: usize = 150;
const LARGE_BYTES: usize = 72 * 1024;

type Output = WriteHalf<tokio::io::DuplexStream>;

async fn send(out: &mut Output, message: Value) {
    let body = message.to_string();
    let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
    out.write_all(framed.as_bytes())
        .await
        .expect("server input");
}

async fn read(
    reader: &mut BufReader<tokio::io::ReadHalf<tokio::io::DuplexStream>>,
) -> Option<Value> {
    let mut length = 0;
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
            length = v.parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

/// Resident and peak memory of this process (the server runs in it), in MB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn main() {
    let edits: usize = std::env::var("LSP_BENCH_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().expect("temp dir");
    let large = generate::project(dir.path(), RESOURCES, LARGE_BYTES).expect("generate project");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(dir.path(), large, edits));
}

async fn run(root: &std::path::Path, large: String, edits: usize) {
    let (client, server) = tokio::io::duplex(1 << 22);
    let (server_read, server_write) = tokio::io::split(server);
    tokio::spawn(ecto_ash_lsp::lsp::serve(server_read, server_write));
    let (client_read, mut out) = tokio::io::split(client);
    let (tx, mut incoming) = mpsc::unbounded_channel::<Value>();
    tokio::spawn(async move {
        let mut reader = BufReader::new(client_read);
        while let Some(m) = read(&mut reader).await {
            if tx.send(m).is_err() {
                break;
            }
        }
    });
    let root_uri = format!("file://{}", root.display());
    let started = Instant::now();
    send(
        &mut out,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": null, "rootUri": null,
            "capabilities": {"window": {"workDoneProgress": true}, "general": {"positionEncodings": ["utf-16"]}},
            "workspaceFolders": [{"uri": root_uri, "name": "big"}]
        }}),
    )
    .await;
    // A client waits for the answer to `initialize` before `initialized`.
    while incoming.recv().await.expect("server output")["id"] != 1 {}
    send(
        &mut out,
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    )
    .await;
    let mut findings = 0;
    loop {
        let m = incoming.recv().await.expect("server output");
        if let (Some(id), Some(_)) = (m.get("id"), m.get("method")) {
            send(
                &mut out,
                json!({"jsonrpc": "2.0", "id": id, "result": null}),
            )
            .await;
        }
        if m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end" {
            break;
        }
    }
    let indexed = started.elapsed();
    // The first publication of every file with findings follows the end of indexing.
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(300), incoming.recv()).await
    {
        if m["method"] == "textDocument/publishDiagnostics" {
            findings += m["params"]["diagnostics"].as_array().map_or(0, Vec::len);
        }
    }
    let (rss, peak) = memory();
    println!(
        "indexed {RESOURCES} resources + {} migrations in {indexed:.1?}; {findings} findings; RSS {rss:.1} MB (peak {peak:.1} MB)",
        RESOURCES + 1
    );

    let uri = format!("{root_uri}/{}", generate::LARGE_MIGRATION);
    send(
        &mut out,
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "elixir", "version": 0, "text": large
        }}}),
    )
    .await;
    wait_publish(&mut incoming, &uri, 0).await;

    // Type a character into a column name and delete it again, one edit at
    // a time, timing each until its diagnostics arrive.
    let (line, character) = large
        .lines()
        .enumerate()
        .skip(large.lines().count() / 2)
        .find_map(|(i, l)| l.find("[:field_").map(|c| (i, c + "[:field_".len() + 1)))
        .expect("an index line in the middle");
    let mut times = Vec::with_capacity(edits);
    for version in 1..=edits as i64 {
        let change = if version % 2 == 1 {
            json!({"range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}}, "text": "x"})
        } else {
            json!({"range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character + 1}}, "text": ""})
        };
        let t = Instant::now();
        send(
            &mut out,
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]
            }}),
        )
        .await;
        wait_publish(&mut incoming, &uri, version).await;
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "didChange → publishDiagnostics on a {} KB migration, {edits} edits: p50 {:.2?}, p90 {:.2?}, p99 {:.2?}, max {:.2?}",
        large.len() / 1024,
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
    );

    // A burst of keystrokes: they coalesce, and the last one is answered.
    let burst = 20;
    let t = Instant::now();
    let first = edits as i64 + 1;
    for version in first..first + burst {
        let change = if version % 2 == 1 {
            json!({"range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}}, "text": "x"})
        } else {
            json!({"range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character + 1}}, "text": ""})
        };
        send(
            &mut out,
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]
            }}),
        )
        .await;
    }
    let published = wait_publish(&mut incoming, &uri, first + burst - 1).await;
    println!(
        "burst of {burst} edits → diagnostics for the last in {:.2?} ({published} publications for the burst)",
        t.elapsed()
    );
    let (rss, peak) = memory();
    println!("RSS after editing {rss:.1} MB (peak {peak:.1} MB)");
    send(
        &mut out,
        json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
    )
    .await;
    send(
        &mut out,
        json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    )
    .await;
}

/// Wait for diagnostics of `uri` at `version`; returns how many
/// publications for `uri` came on the way (including it).
async fn wait_publish(
    incoming: &mut mpsc::UnboundedReceiver<Value>,
    uri: &str,
    version: i64,
) -> usize {
    let mut count = 0;
    loop {
        let m = tokio::time::timeout(Duration::from_secs(30), incoming.recv())
            .await
            .expect("diagnostics within 30 s")
            .expect("server output");
        if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
            count += 1;
            if m["params"]["version"] == version {
                return count;
            }
        }
    }
}
