//! The client's byte stream, checked frame by frame before the protocol
//! library reads it. The library stops reading for good at the first frame
//! it cannot decode, so one bad frame would end the session. Well-formed
//! frames pass through unchanged; a malformed one (bad JSON, not a JSON-RPC
//! message, bad or missing `Content-Length`, stray bytes, an oversized body,
//! a request of a `$/` method, which the library would leave unanswered)
//! becomes a request of [`INVALID_MESSAGE`], whose handler answers with the
//! JSON-RPC error the frame deserved: `id` null, or the frame's own `id`
//! when it had a readable one.

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tower_lsp_server::jsonrpc::{self, Error, ErrorCode};

/// The method a malformed frame is turned into.
pub const INVALID_MESSAGE: &str = "ecto-ash-lsp/invalidMessage";

/// Bodies larger than this are skipped, not buffered (a 10 MB file opened
/// in an editor is far below it).
pub const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// Longest header line kept; a longer one is stray bytes.
const MAX_HEADER_LINE: u64 = 8 * 1024;

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;

/// What the stand-in request carries: the error to answer with.
#[derive(Debug, Deserialize)]
pub struct InvalidMessage {
    pub code: i64,
    pub message: String,
}

/// The handler of [`INVALID_MESSAGE`]: answer with the error.
pub async fn answer_invalid<S>(_: &S, params: InvalidMessage) -> jsonrpc::Result<()> {
    Err(Error {
        code: ErrorCode::from(params.code),
        message: params.message.into(),
        data: None,
    })
}

/// Copy frames from `input` to `output` until `input` ends (or `output`
/// closes), replacing each malformed frame by an [`INVALID_MESSAGE`] request.
pub async fn relay<R, W>(input: R, output: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut relay = Relay {
        reader: BufReader::new(input),
        output,
        skipping: false,
        limit: MAX_MESSAGE_BYTES,
    };
    // Only the end of the input or a closed output stops the relay.
    let _ = relay.run().await;
}

struct Relay<R, W> {
    reader: BufReader<R>,
    output: W,
    /// After bytes that were not a frame, the rest is dropped silently until
    /// a line holding `Content-Length` starts the next frame.
    skipping: bool,
    /// Longest body passed on ([`MAX_MESSAGE_BYTES`] but in tests).
    limit: usize,
}

/// What went wrong in a frame: the id to answer, the error code, and why.
type Problem = (Value, i64, String);

/// A header block read so far.
#[derive(Default)]
struct Block {
    length: Option<Result<usize, String>>,
    problem: Option<String>,
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Relay<R, W> {
    async fn run(&mut self) -> std::io::Result<()> {
        loop {
            let Some(length) = self.headers().await? else {
                return Ok(());
            };
            if length > self.limit {
                let wanted = length as u64;
                let skipped =
                    tokio::io::copy(&mut (&mut self.reader).take(wanted), &mut tokio::io::sink())
                        .await?;
                if skipped < wanted {
                    return Ok(());
                }
                let why = format!(
                    "a message of {length} bytes is over the limit of {}; ignored",
                    self.limit
                );
                self.invalid((Value::Null, INVALID_REQUEST, why)).await?;
                continue;
            }
            let mut body = vec![0; length];
            if self.reader.read_exact(&mut body).await.is_err() {
                // The input ended inside a body: nothing more will come.
                return Ok(());
            }
            match check(&body) {
                Ok(()) => write_frame(&mut self.output, &body).await?,
                Err(problem) => {
                    self.invalid(problem).await?;
                    // Bytes up to the next header belong to the same bad
                    // frame (a Content-Length too short): one error is enough.
                    self.skipping = true;
                }
            }
        }
    }

    /// Read up to the blank line that ends a good header block and return
    /// its `Content-Length`; bad blocks and stray bytes on the way are
    /// answered. `None` at the end of the input.
    async fn headers(&mut self) -> std::io::Result<Option<usize>> {
        let mut block: Option<Block> = None;
        loop {
            let mut raw = Vec::new();
            let read = (&mut self.reader)
                .take(MAX_HEADER_LINE)
                .read_until(b'\n', &mut raw)
                .await;
            if !matches!(read, Ok(n) if n > 0) {
                return Ok(None);
            }
            let complete = raw.last() == Some(&b'\n');
            let mut line = trim_line_end(&raw);
            let Some(current) = block.as_mut() else {
                if line.is_empty() && complete {
                    continue;
                }
                // Stray bytes (the rest of a body longer than its length,
                // say) may run straight into the next frame's header.
                let at = find(line, b"Content-Length");
                let starts_block =
                    at.is_some() || (!self.skipping && complete && header(line).is_some());
                let stray = match at {
                    Some(at) => &line[..at],
                    None if starts_block => &[][..],
                    None => line,
                };
                if !stray.is_empty() && !self.skipping {
                    let shown = String::from_utf8_lossy(&stray[..stray.len().min(40)]).into_owned();
                    let why = format!("stray bytes where a message was expected: {shown:?}");
                    self.invalid((Value::Null, PARSE_ERROR, why)).await?;
                }
                if !starts_block {
                    self.skipping = true;
                    continue;
                }
                self.skipping = false;
                line = &line[at.unwrap_or(0)..];
                block = Some(Block::default());
                if let Some(b) = block.as_mut() {
                    b.take(line, complete);
                }
                continue;
            };
            if line.is_empty() && complete {
                let done = std::mem::take(current);
                let why = match (done.problem, done.length) {
                    (None, Some(Ok(n))) => return Ok(Some(n)),
                    (Some(why), _) | (None, Some(Err(why))) => why,
                    (None, None) => "a message without a Content-Length header".into(),
                };
                self.invalid((Value::Null, PARSE_ERROR, why)).await?;
                self.skipping = true;
                block = None;
                continue;
            }
            current.take(line, complete);
        }
    }

    async fn invalid(&mut self, (id, code, why): Problem) -> std::io::Result<()> {
        let request = json!({
            "jsonrpc": "2.0",
            "id": id,
            "method": INVALID_MESSAGE,
            "params": {"code": code, "message": why},
        });
        write_frame(&mut self.output, request.to_string().as_bytes()).await
    }
}

impl Block {
    fn take(&mut self, line: &[u8], complete: bool) {
        if !complete {
            self.problem
                .get_or_insert_with(|| "a header line too long or cut off".into());
            return;
        }
        let Some((name, value)) = header(line) else {
            let shown = String::from_utf8_lossy(&line[..line.len().min(40)]).into_owned();
            self.problem
                .get_or_insert_with(|| format!("not a header line: {shown:?}"));
            return;
        };
        // Content-Type and unknown headers are ignored: bodies are UTF-8.
        if name.eq_ignore_ascii_case("content-length") {
            self.length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| format!("Content-Length {value:?} is not a byte count")),
            );
        }
    }
}

/// `Name: value` with a token name, trimmed.
fn header(line: &[u8]) -> Option<(&str, &str)> {
    let text = std::str::from_utf8(line).ok()?;
    let (name, value) = text.split_once(':')?;
    let token = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    token.then_some((name, value.trim()))
}

/// Whether `body` is one JSON-RPC message; else the id to answer, the
/// error code and what was wrong. A good message is read once here (as the
/// library will read it); only a bad one is read again for its id.
fn check(body: &[u8]) -> Result<(), Problem> {
    // Read exactly as the library will: UTF-8 first (`from_slice` skips
    // an ignored field's string without checking it, where the library
    // fails), then the typed message (a `Value` would quietly keep the
    // last of two equal keys where the library fails).
    let Ok(body) = std::str::from_utf8(body) else {
        return Err((Value::Null, PARSE_ERROR, "the message is not UTF-8".into()));
    };
    if let Ok(request) = serde_json::from_str::<jsonrpc::Request>(body) {
        // The library drops requests of unknown `$/` methods unanswered,
        // leaving the client waiting; the protocol wants MethodNotFound.
        // None of them is served here (`$/cancelRequest` and the like are
        // notifications).
        return match request.id() {
            Some(_) if request.method().starts_with("$/") => Err((
                id_of(body)?,
                METHOD_NOT_FOUND,
                format!("method not found: {}", request.method()),
            )),
            _ => Ok(()),
        };
    }
    if serde_json::from_str::<jsonrpc::Response>(body).is_ok() {
        return Ok(());
    }
    Err((
        id_of(body)?,
        INVALID_REQUEST,
        "the message is not a JSON-RPC 2.0 request, notification or response".into(),
    ))
}

/// The id to answer a bad message with (null when it has no usable one),
/// or the parse error when it is not JSON at all.
fn id_of(body: &str) -> Result<Value, Problem> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        (
            Value::Null,
            PARSE_ERROR,
            format!("the message is not JSON: {e}"),
        )
    })?;
    // The library's ids are strings and `i64`s: an answer with any other
    // id (`7e7`, `1.5`, `2^64`) would stop it for good, so those get null,
    // but an integral float in range keeps its value.
    Ok(match value.get("id") {
        Some(id @ Value::String(_)) => id.clone(),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => json!(i),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => json!(f as i64),
            _ => Value::Null,
        },
        _ => Value::Null,
    })
}

async fn write_frame<W: AsyncWrite + Unpin>(output: &mut W, body: &[u8]) -> std::io::Result<()> {
    output
        .write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())
        .await?;
    output.write_all(body).await?;
    output.flush().await
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// The bodies the relay passes on for `input`.
    fn relayed(input: &[u8]) -> Vec<Value> {
        relayed_with_limit(input, MAX_MESSAGE_BYTES)
    }

    fn relayed_with_limit(input: &[u8], limit: usize) -> Vec<Value> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let mut out: Vec<u8> = Vec::new();
        let mut relay = Relay {
            reader: BufReader::new(input),
            output: &mut out,
            skipping: false,
            limit,
        };
        runtime
            .block_on(relay.run())
            .expect("writing to memory works");
        let text = String::from_utf8(out).expect("relayed frames are UTF-8");
        let mut bodies = Vec::new();
        let mut rest = text.as_str();
        while let Some(after) = rest.strip_prefix("Content-Length: ") {
            let (n, after) = after.split_once("\r\n\r\n").expect("header end");
            let n: usize = n.parse().expect("length");
            bodies.push(serde_json::from_str(&after[..n]).expect("JSON body"));
            rest = &after[n..];
        }
        assert!(rest.is_empty(), "left over: {rest:?}");
        bodies
    }

    type Check = Box<dyn Fn(&Value) -> bool>;

    fn invalid(id: Value, code: i64) -> impl Fn(&Value) -> bool {
        move |v| v["method"] == INVALID_MESSAGE && v["id"] == id && v["params"]["code"] == code
    }

    #[test]
    fn good_frames_pass_unchanged_and_bad_ones_become_errors() {
        let good = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        let mut input = String::new();
        input.push_str(&frame(good));
        input.push_str(&frame("{not json"));
        input.push_str(&frame("[1,2]"));
        input.push_str(&frame(r#"{"id":7,"method":3}"#));
        input.push_str(&frame(r#"{"id":7e7}"#));
        input.push_str(&frame(r#"{"id":1.5}"#));
        input.push_str(&frame(r#"{"id":18446744073709551615}"#));
        input.push_str(&frame(
            r#"{"jsonrpc":"2.0","method":"a","id":9,"method":"textDocument/hover"}"#,
        ));
        input.push_str(&frame(
            r#"{"jsonrpc":"2.0","id":"s","method":"$/frobnicate"}"#,
        ));
        input.push_str(&frame(
            r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#,
        ));
        input.push_str("Content-Length: abc\r\n\r\n{}\r\nstill skipped\r\n");
        // A length one byte short: the stray `}` runs into the next header,
        // and is part of the same bad frame.
        input.push_str(&format!("Content-Length: {}\r\n\r\n{good}", good.len() - 1));
        input.push_str("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n");
        input.push_str(&frame(good));
        input.push_str("\r\n\r\nX-Other: 1\r\n");
        input.push_str(&frame(good));
        let bodies = relayed(input.as_bytes());
        let expected: Vec<Check> = vec![
            Box::new(|v: &Value| v["id"] == 1),
            Box::new(invalid(Value::Null, PARSE_ERROR)),
            Box::new(invalid(Value::Null, INVALID_REQUEST)),
            Box::new(invalid(json!(7), INVALID_REQUEST)),
            Box::new(invalid(json!(70_000_000), INVALID_REQUEST)),
            Box::new(invalid(Value::Null, INVALID_REQUEST)),
            Box::new(invalid(Value::Null, INVALID_REQUEST)),
            Box::new(invalid(json!(9), INVALID_REQUEST)),
            Box::new(invalid(json!("s"), METHOD_NOT_FOUND)),
            Box::new(|v: &Value| v["method"] == "$/cancelRequest"),
            Box::new(invalid(Value::Null, PARSE_ERROR)),
            Box::new(invalid(Value::Null, PARSE_ERROR)),
            Box::new(|v: &Value| v["id"] == 1),
            Box::new(|v: &Value| v["id"] == 1),
        ];
        assert_eq!(bodies.len(), expected.len(), "{bodies:#?}");
        for (body, ok) in bodies.iter().zip(&expected) {
            assert!(ok(body), "unexpected {body}");
        }
    }

    #[test]
    fn a_body_that_is_not_utf8_is_answered_not_passed_on() {
        // The bad byte sits in an unknown field's string, which a typed
        // `from_slice` skips unchecked; the library reads UTF-8 first and
        // would stop for good on it.
        let mut input = b"Content-Length: 24\r\n\r\n{\"jsonrpc\":\"2.0\",\"\":\"\xae\"}".to_vec();
        input.extend(frame(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#).bytes());
        let bodies = relayed(&input);
        assert_eq!(bodies.len(), 2, "{bodies:#?}");
        assert!(
            invalid(Value::Null, PARSE_ERROR)(&bodies[0]),
            "{}",
            bodies[0]
        );
        assert!(bodies[0]["params"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("UTF-8")));
        assert_eq!(bodies[1]["id"], 1);
    }

    #[test]
    fn cut_off_input_and_binary_garbage_end_quietly() {
        assert!(relayed(b"").is_empty());
        assert!(relayed(b"Content-Length: 100\r\n\r\n{\"js").is_empty());
        assert!(relayed(b"Content-Length: 5\r\n").is_empty());
        let garbage: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        let bodies = relayed(&garbage);
        assert!(!bodies.is_empty());
        assert!(bodies.iter().all(invalid(Value::Null, PARSE_ERROR)));
        // A body over the limit is skipped without being held.
        let huge = format!("Content-Length: {}\r\n\r\n", usize::MAX);
        assert!(relayed(huge.as_bytes()).is_empty());
        let mut big = frame(&" ".repeat(1001)).into_bytes();
        big.extend(frame(r#"{"jsonrpc":"2.0","method":"exit"}"#).bytes());
        let bodies = relayed_with_limit(&big, 1000);
        assert_eq!(bodies.len(), 2);
        assert_eq!(bodies[1]["method"], "exit");
        assert!(invalid(Value::Null, INVALID_REQUEST)(&bodies[0]));
    }
}
