//! The language server: LSP 3.17 over stdio (or any byte pipe), built on
//! `tower-lsp-server` and tokio. The only module that names the protocol
//! crates or the async runtime; it converts positions, owns the open
//! documents, and runs analyses off the async threads.

pub mod actions;
pub mod convert;
pub mod documents;
pub mod framing;
mod server;
pub mod settings;
pub mod world;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{LspService, Server};

/// Serve one client over `input`/`output` until it sends `exit` (or closes
/// the input). Returns the process exit code the protocol asks for: 0 when
/// `shutdown` came before `exit`, 1 otherwise.
pub async fn serve<I, O>(input: I, output: O) -> i32
where
    I: AsyncRead + Unpin,
    O: AsyncWrite,
{
    let state = Arc::new(server::Inner::default());
    let for_service = state.clone();
    let (service, socket) = server::with_test_methods(LspService::build(move |client| {
        server::Backend::new(client, for_service.clone())
    }))
    .custom_method(
        framing::INVALID_MESSAGE,
        framing::answer_invalid::<server::Backend>,
    )
    .finish();
    // The protocol library sees only well-formed frames (see `framing`).
    let (to_server, checked) = tokio::io::duplex(1 << 16);
    let relay = async {
        framing::relay(input, to_server).await;
        // The relay's end is the server's end of input; the server decides.
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = Server::new(checked, output, socket).serve(service) => {}
        _ = relay => {}
    }
    state.stop();
    if state.shutdown_requested.load(Ordering::SeqCst) {
        0
    } else {
        1
    }
}

/// `ecto-ash-lsp` / `ecto-ash-lsp lsp`: serve over stdin/stdout. Logs go to
/// the client (`window/logMessage`) or stderr, never stdout.
pub fn run_stdio() -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ecto-ash-lsp")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return 2;
        }
    };
    let code = runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // The blocking stdin reader and any analysis still running must not
    // hold the process after `exit`.
    runtime.shutdown_timeout(Duration::from_millis(100));
    code
}

#[cfg(test)]
mod tests;
