//! The language server (the real binary over stdio) on the generated N=1
//! monorepo: initialize → first diagnostics, RSS after indexing, and
//! didChange → publishDiagnostics latency over 1,000 edits on the 72 KB
//! migration and on a resource whose edit changes findings in another
//! file. Prints Markdown; never fails on a timing.
//!
//! `cargo bench --bench lsp -- [--smoke] [--edits N] [--scales 1]`

#[path = "../common/mod.rs"]
mod common;

use common::{binary, corpus_dir, cpu_time_of, memory_of, ms, percentile, read_json, Options};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

fn send(input: &mut ChildStdin, message: Value) {
    let body = message.to_string();
    let _ = write!(input, "Content-Length: {}\r\n\r\n{body}", body.len());
    let _ = input.flush();
}

/// Read framed messages from the server until it closes its output.
fn reader(output: impl Read + Send + 'static) -> Receiver<Value> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(output);
        loop {
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length: ") {
                    length = v.parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            if let Ok(m) = serde_json::from_slice::<Value>(&body) {
                if tx.send(m).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

struct Session {
    input: ChildStdin,
    incoming: Receiver<Value>,
}

impl Session {
    /// The next message; answers the server's own requests (progress
    /// tokens, registrations, configuration) with `null` on the way.
    fn next(&mut self, timeout: Duration) -> Option<Value> {
        let m = self.incoming.recv_timeout(timeout).ok()?;
        if let (Some(id), Some(_)) = (m.get("id"), m.get("method")) {
            send(
                &mut self.input,
                json!({"jsonrpc": "2.0", "id": id, "result": null}),
            );
        }
        Some(m)
    }

    /// Wait for diagnostics of `uri` at `version`; with `other`, also for a
    /// publication of another file. Returns the times of both.
    fn wait_publish(
        &mut self,
        uri: &str,
        version: i64,
        other: bool,
        since: Instant,
    ) -> Option<(Duration, Option<Duration>)> {
        let (mut own, mut elsewhere) = (None, None);
        while own.is_none() || (other && elsewhere.is_none()) {
            let m = self.next(Duration::from_secs(30))?;
            if m["method"] != "textDocument/publishDiagnostics" {
                continue;
            }
            if m["params"]["uri"] == uri {
                if m["params"]["version"] == version {
                    own = Some(since.elapsed());
                }
            } else if elsewhere.is_none() {
                elsewhere = Some(since.elapsed());
            }
        }
        own.map(|o| (o, elsewhere))
    }
}

fn main() {
    let options = Options::parse();
    let scale = options.scales.first().copied().unwrap_or(1.0);
    let dir = corpus_dir(scale);
    println!("## Language server (N={scale}, over stdio)\n");
    println!("Machine: {}\n", common::machine());
    if let Err(e) = run(&dir, &options) {
        println!("the server session failed: {e}");
    }
}

fn run(root: &Path, options: &Options) -> Result<(), String> {
    let corpus = read_json(&root.join("corpus.json"));
    let mut child = Command::new(binary())
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("spawning {}: {e}", binary().display()))?;
    let pid = child.id();
    let input = child.stdin.take().ok_or("no stdin")?;
    let output = child.stdout.take().ok_or("no stdout")?;
    let mut s = Session {
        input,
        incoming: reader(output),
    };
    let root_uri = format!("file://{}", root.display());
    let started = Instant::now();
    send(
        &mut s.input,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": null, "rootUri": null,
            "capabilities": {"window": {"workDoneProgress": true}, "general": {"positionEncodings": ["utf-8"]}},
            "workspaceFolders": [{"uri": root_uri, "name": "corpus"}]
        }}),
    );
    while s
        .next(Duration::from_secs(30))
        .ok_or("no initialize answer")?["id"]
        != 1
    {}
    send(
        &mut s.input,
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    let mut first = None;
    let mut published = 0;
    // The latest diagnostics per file: a file may be published more than once.
    let mut latest: std::collections::HashMap<String, usize> = Default::default();
    let mut indexed = None;
    // Indexing ends with a progress `end`; publications follow until quiet.
    loop {
        let quiet = if indexed.is_some() { 500 } else { 60_000 };
        let Some(m) = s.next(Duration::from_millis(quiet)) else {
            break;
        };
        if m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end" {
            indexed = Some(started.elapsed());
        }
        if m["method"] == "textDocument/publishDiagnostics" {
            first.get_or_insert(started.elapsed());
            published += 1;
            latest.insert(
                m["params"]["uri"].as_str().unwrap_or_default().to_string(),
                m["params"]["diagnostics"].as_array().map_or(0, Vec::len),
            );
        }
    }
    let (rss, peak) = memory_of(pid);
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| initialize → indexing done | {:.0} ms |",
        indexed.map_or(f64::NAN, ms)
    );
    println!(
        "| initialize → first diagnostics | {:.0} ms |",
        first.map_or(f64::NAN, ms)
    );
    let findings: usize = latest.values().sum();
    let expected: usize = read_json(&root.join("expected.json"))
        .as_object()
        .map_or(0, |o| {
            o.values().filter_map(Value::as_u64).sum::<u64>() as usize
        });
    println!(
        "| publications after initialize | {published} for {} files, {findings} diagnostics (`check` finds {expected}) |",
        latest.len()
    );
    println!("| server RSS after indexing | {rss:.1} MB (peak {peak:.1} MB) |");

    let large = corpus["large_migration"].as_str().unwrap_or_default();
    let at = |key: &str| {
        (
            corpus[key]["line"].as_u64().unwrap_or(0),
            corpus[key]["character"].as_u64().unwrap_or(0),
        )
    };
    let cpu = cpu_time_of(pid);
    let times = edits(&mut s, root, large, at("large_edit"), options.edits, false)?;
    report(
        &format!(
            "didChange → publishDiagnostics, 72 KB migration, {} edits",
            options.edits
        ),
        times.iter().map(|t| t.0).collect(),
    );
    cpu_per_edit(pid, cpu, options.edits);
    let resource = corpus["linked_resource"].as_str().unwrap_or_default();
    let cpu = cpu_time_of(pid);
    let times = edits(
        &mut s,
        root,
        resource,
        at("linked_edit"),
        options.edits,
        true,
    )?;
    report(
        &format!(
            "didChange → publishDiagnostics, resource edit, {} edits (the resource's own)",
            options.edits
        ),
        times.iter().map(|t| t.0).collect(),
    );
    report(
        "… the same edits until the migration's findings are re-published",
        times.iter().filter_map(|t| t.1).collect(),
    );
    cpu_per_edit(pid, cpu, options.edits);
    let (rss, peak) = memory_of(pid);
    println!("| server RSS after editing | {rss:.1} MB (peak {peak:.1} MB) |");
    send(
        &mut s.input,
        json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
    );
    send(
        &mut s.input,
        json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    );
    let _ = child.wait();
    Ok(())
}

/// The server's CPU time per edit since `before`: comparable across runs
/// even when other work loads the machine (then wall-time percentiles are not).
fn cpu_per_edit(pid: u32, before: Duration, edits: usize) {
    let used = cpu_time_of(pid).saturating_sub(before);
    println!(
        "| … server CPU time per edit (user + system, all threads) | {:.2} ms |",
        ms(used) / edits.max(1) as f64
    );
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "| {what} | p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms |",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.9)),
        ms(percentile(&times, 0.99)),
        ms(percentile(&times, 1.0)),
    );
}

/// Open `rel`, then type a character at `(line, character)` and delete it
/// again, `count` times in all, timing each edit until its diagnostics.
fn edits(
    s: &mut Session,
    root: &Path,
    rel: &str,
    (line, character): (u64, u64),
    count: usize,
    other: bool,
) -> Result<Vec<(Duration, Option<Duration>)>, String> {
    let text = std::fs::read_to_string(root.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
    let uri = format!("file://{}/{rel}", root.display());
    send(
        &mut s.input,
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "elixir", "version": 0, "text": text
        }}}),
    );
    s.wait_publish(&uri, 0, false, Instant::now())
        .ok_or("no diagnostics after didOpen")?;
    let mut times = Vec::with_capacity(count);
    for version in 1..=count as i64 {
        let change = if version % 2 == 1 {
            json!({"range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}}, "text": "x"})
        } else {
            json!({"range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character + 1}}, "text": ""})
        };
        let t = Instant::now();
        send(
            &mut s.input,
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]
            }}),
        );
        times.push(
            s.wait_publish(&uri, version, other, t)
                .ok_or_else(|| format!("no diagnostics for edit {version} of {rel}"))?,
        );
    }
    // Leave the buffer as it is on disk.
    send(
        &mut s.input,
        json!({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}}),
    );
    Ok(times)
}
