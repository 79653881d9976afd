//! The real binary as an editor starts it: a bare `ecto-ash-lsp` speaking
//! LSP over stdio, framed by hand, exiting promptly after `exit`.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn frame(message: &Value) -> Vec<u8> {
    let body = message.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// Read one framed message; every header line must be a `Content-Length`
/// or `Content-Type` header (nothing else may reach stdout).
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches("\r\n");
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            length = v.parse::<usize>().ok();
        } else {
            assert!(
                line.starts_with("Content-Type: "),
                "stray output on stdout: {line:?}"
            );
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

#[test]
fn the_binary_serves_stdio_and_exits_promptly() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("mix.exs"),
        "defmodule A.MixProject do\nend\n",
    )
    .expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecto-ash-lsp"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let root = format!("file://{}", dir.path().display());
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": null, "rootUri": root, "capabilities": {"general": {"positionEncodings": ["utf-8"]}}
        }}),
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "workspace/symbol", "params": {"query": ""}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown", "params": null}),
    ];
    let mut responses = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        stdin.write_all(&frame(m)).expect("write");
        stdin.flush().expect("flush");
        // A client waits for the answer to `initialize` before going on.
        while i == 0 && responses.is_empty() {
            let m = read_message(&mut stdout).expect("a framed message");
            if m["id"] == 1 {
                responses.push(m);
            }
        }
    }
    while responses.len() < 3 {
        let m = read_message(&mut stdout).expect("a framed message");
        if m.get("id").is_some() && m.get("method").is_none() {
            responses.push(m);
        }
    }
    // Requests may be answered in any order.
    responses.sort_by_key(|r| r["id"].as_i64());
    assert_eq!(
        responses[0]["result"]["capabilities"]["positionEncoding"],
        "utf-8"
    );
    assert_eq!(responses[1]["result"], json!([]), "{}", responses[1]);
    assert_eq!(responses[2]["result"], Value::Null);
    // `exit` ends the process even though stdin stays open.
    stdin
        .write_all(&frame(
            &json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
        ))
        .expect("write exit");
    stdin.flush().expect("flush");
    let asked = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if asked.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("the server was still running 5 s after exit");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(status.code(), Some(0));
    drop(stdin);
}

#[test]
fn lsp_subcommand_is_the_same_server() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecto-ash-lsp"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the binary");
    let mut stdin = child.stdin.take().expect("stdin");
    // Exit without shutdown: exit code 1, as the protocol says.
    stdin
        .write_all(&frame(
            &json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
        ))
        .expect("write");
    stdin.flush().expect("flush");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("still running after exit");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(1));
}
