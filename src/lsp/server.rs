//! The protocol handlers and the analysis loop. Notifications apply their
//! change to the shared state before their first `.await` and wake the loop;
//! the loop coalesces whatever arrived while it was busy, so an idle server
//! answers a keystroke at once and a burst costs one analysis. Requests read
//! an `Arc` snapshot on a blocking thread, inside `catch_unwind`.

use super::actions::{self as code_actions, EditSupport, GENERATE_COMMAND};
use super::convert::{self, Encoding};
use super::documents::Document;
use super::settings;
use super::world::{lock, Folder, Publish, World};
use crate::ide::{self, Snapshot};
use crate::model::workspace::SourceFile;
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::lsp_types as lsp;
use tower_lsp_server::{Client, LanguageServer, LspServiceBuilder, UriExt};

/// How long a request waits for the analysis of the latest edit before
/// answering from the snapshot it has.
const CATCH_UP: Duration = Duration::from_secs(2);

/// How long the server waits for the client to answer one of its own
/// requests (settings, watcher registration, a progress token) before going
/// on without it: indexing must not hang on a client that never answers.
const CLIENT_ANSWER: Duration = Duration::from_secs(5);

/// Most results of a `workspace/symbol` search.
const WORKSPACE_SYMBOL_LIMIT: usize = 256;

/// What the client said it can do, as far as this server cares.
#[derive(Debug, Default, Clone, Copy)]
struct ClientFlags {
    dynamic_watchers: bool,
    work_done_progress: bool,
    configuration_pull: bool,
    edits: EditSupport,
}

/// State shared by the handlers, the analysis loop and `serve`.
#[derive(Debug)]
pub struct Inner {
    world: World,
    flags: Mutex<ClientFlags>,
    /// Settings problems seen before the client could be told.
    early_warnings: Mutex<Vec<String>>,
    wake: Notify,
    /// Bumped after every analysis, for requests waiting to catch up.
    analyzed: watch::Sender<u64>,
    loop_started: AtomicBool,
    stopping: AtomicBool,
    pub shutdown_requested: AtomicBool,
    progress_tokens: AtomicU32,
}

impl Default for Inner {
    fn default() -> Inner {
        Inner {
            world: World::default(),
            flags: Mutex::default(),
            early_warnings: Mutex::default(),
            wake: Notify::new(),
            analyzed: watch::channel(0).0,
            loop_started: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            shutdown_requested: AtomicBool::new(false),
            progress_tokens: AtomicU32::new(0),
        }
    }
}

impl Inner {
    /// Stop the analysis loop.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
}

pub struct Backend {
    client: Client,
    inner: Arc<Inner>,
}

impl Backend {
    pub fn new(client: Client, inner: Arc<Inner>) -> Backend {
        Backend { client, inner }
    }

    fn world(&self) -> &World {
        &self.inner.world
    }

    /// Queue work for the analysis loop and wake it.
    fn queue(&self, f: impl FnOnce(&mut super::world::Pending)) {
        f(&mut lock(&self.world().docs).pending);
        self.inner.wake.notify_one();
    }

    async fn log(&self, typ: lsp::MessageType, message: impl std::fmt::Display) {
        self.client.log_message(typ, message).await;
    }

    /// Wait (a bounded time) until the analysis holds the latest text of `uri`.
    async fn catch_up(&self, uri: &lsp::Uri) {
        let mut analyzed = self.inner.analyzed.subscribe();
        let deadline = tokio::time::Instant::now() + CATCH_UP;
        while !self.world().is_current(uri) {
            if tokio::time::timeout_at(deadline, analyzed.changed())
                .await
                .map_or(true, |r| r.is_err())
            {
                break;
            }
        }
    }

    /// Answer a request about a position (or a whole file) from the current
    /// snapshot, on a blocking thread, turning a panic into an error.
    async fn at_file<T, F>(
        &self,
        uri: &lsp::Uri,
        pos: Option<lsp::Position>,
        f: F,
    ) -> Result<Option<T>>
    where
        T: Send + 'static,
        F: FnOnce(&Snapshot, &Path, &SourceFile, usize, Encoding) -> Option<T> + Send + 'static,
    {
        self.catch_up(uri).await;
        let Some((root, rel, snap)) = self.world().snapshot_of(uri) else {
            return Ok(None);
        };
        let enc = self.world().encoding();
        blocking(move || {
            let Some(file) = snap.file(&rel) else {
                return Ok(None);
            };
            let offset = match pos {
                Some(p) => convert::offset(file, p, enc).map_err(Error::invalid_params)?,
                None => 0,
            };
            Ok(f(&snap, &root, file, offset, enc))
        })
        .await
    }

    async fn pull_settings(&self) -> Option<Value> {
        let items = vec![lsp::ConfigurationItem {
            scope_uri: None,
            section: Some(settings::SECTION.to_string()),
        }];
        let answer = tokio::time::timeout(CLIENT_ANSWER, self.client.configuration(items))
            .await
            .unwrap_or_else(|_| Err(Error::invalid_request()));
        match answer {
            Ok(mut values) if !values.is_empty() => Some(values.swap_remove(0)),
            Ok(_) => None,
            Err(e) => {
                self.log(
                    lsp::MessageType::WARNING,
                    format!("could not read the editor's settings: {}", e.message),
                )
                .await;
                None
            }
        }
    }

    /// Take new settings; report what could not be used.
    async fn apply_settings(&self, value: &Value) {
        let (config, warnings) = settings::from_json(value);
        *lock(&self.world().settings) = config;
        for w in warnings {
            self.log(lsp::MessageType::WARNING, w).await;
        }
    }

    async fn register_watchers(&self) {
        let watchers: Vec<lsp::FileSystemWatcher> = [
            "**/*.ex",
            "**/*.exs",
            "**/priv/resource_snapshots/**/*.json",
            "**/.gitignore",
            "**/.ecto-ash-lsp.toml",
        ]
        .into_iter()
        .map(|glob| lsp::FileSystemWatcher {
            glob_pattern: lsp::GlobPattern::String(glob.to_string()),
            kind: None,
        })
        .collect();
        let options = lsp::DidChangeWatchedFilesRegistrationOptions { watchers };
        let Ok(options) = serde_json::to_value(options) else {
            return;
        };
        let registration = lsp::Registration {
            id: "ecto-ash-lsp/watched-files".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: Some(options),
        };
        let answer = tokio::time::timeout(
            CLIENT_ANSWER,
            self.client.register_capability(vec![registration]),
        )
        .await
        .unwrap_or_else(|_| Err(Error::invalid_request()));
        if let Err(e) = answer {
            self.log(
                lsp::MessageType::WARNING,
                format!(
                    "could not watch files ({}); changes made outside the editor are seen on save",
                    e.message
                ),
            )
            .await;
        }
    }

    fn add_folders(&self, roots: Vec<PathBuf>) {
        let mut known = lock(&self.world().roots);
        let mut folders = lock(&self.world().folders);
        for root in &roots {
            if !known.contains(root) {
                known.push(root.clone());
                folders.insert(root.clone(), Folder::default());
            }
        }
        drop((known, folders));
        self.queue(|p| p.reload.extend(roots));
    }
}

/// Run `f` on a blocking thread; a panic becomes an internal error.
async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(move || std::panic::catch_unwind(AssertUnwindSafe(f))).await {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => Err(internal(&panic_message(panic.as_ref()))),
        Err(e) => Err(internal(&e.to_string())),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

fn internal(message: &str) -> Error {
    Error {
        code: ErrorCode::InternalError,
        message: format!("ecto-ash-lsp failed while answering: {message}").into(),
        data: None,
    }
}

fn folder_roots(params: &lsp::InitializeParams) -> Vec<PathBuf> {
    let from_folders: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
        .collect();
    if !from_folders.is_empty() {
        return from_folders;
    }
    #[allow(deprecated)] // Older clients only send `rootUri`.
    let root = params.root_uri.as_ref();
    root.and_then(|u| u.to_file_path().map(|p| p.into_owned()))
        .into_iter()
        .collect()
}

fn flags(caps: &lsp::ClientCapabilities) -> ClientFlags {
    let workspace = caps.workspace.as_ref();
    ClientFlags {
        dynamic_watchers: workspace
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
        work_done_progress: caps
            .window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false),
        configuration_pull: workspace.and_then(|w| w.configuration).unwrap_or(false),
        edits: EditSupport::of(caps),
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        let encoding = Encoding::negotiate(
            params
                .capabilities
                .general
                .as_ref()
                .and_then(|g| g.position_encodings.as_deref()),
        );
        *lock(&self.world().encoding) = encoding;
        *lock(&self.inner.flags) = flags(&params.capabilities);
        if let Some(options) = &params.initialization_options {
            let (config, warnings) = settings::from_json(options);
            *lock(&self.world().settings) = config;
            lock(&self.inner.early_warnings).extend(warnings);
        }
        {
            let roots = folder_roots(&params);
            let mut known = lock(&self.world().roots);
            let mut folders = lock(&self.world().folders);
            for root in roots {
                if !known.contains(&root) {
                    folders.insert(root.clone(), Folder::default());
                    known.push(root);
                }
            }
        }
        let sync = lsp::TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
            will_save: None,
            will_save_wait_until: None,
            save: Some(lsp::TextDocumentSyncSaveOptions::SaveOptions(
                lsp::SaveOptions {
                    include_text: Some(false),
                },
            )),
        };
        Ok(lsp::InitializeResult {
            capabilities: lsp::ServerCapabilities {
                position_encoding: Some(encoding.kind()),
                text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(sync)),
                hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
                definition_provider: Some(lsp::OneOf::Left(true)),
                references_provider: Some(lsp::OneOf::Left(true)),
                document_symbol_provider: Some(lsp::OneOf::Left(true)),
                workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
                code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
                    lsp::CodeActionOptions {
                        code_action_kinds: Some(code_actions::offered_kinds()),
                        work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
                        resolve_provider: Some(false),
                    },
                )),
                execute_command_provider: Some(lsp::ExecuteCommandOptions {
                    commands: vec![GENERATE_COMMAND.to_string()],
                    work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
                }),
                workspace: Some(lsp::WorkspaceServerCapabilities {
                    workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(lsp::OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..lsp::ServerCapabilities::default()
            },
            server_info: Some(lsp::ServerInfo {
                name: "ecto-ash-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        })
    }

    async fn initialized(&self, _: lsp::InitializedParams) {
        let flags = *lock(&self.inner.flags);
        let warnings = std::mem::take(&mut *lock(&self.inner.early_warnings));
        for w in warnings {
            self.log(lsp::MessageType::WARNING, w).await;
        }
        if flags.configuration_pull {
            if let Some(value) = self.pull_settings().await.filter(|v| !v.is_null()) {
                self.apply_settings(&value).await;
            }
        }
        if flags.dynamic_watchers {
            self.register_watchers().await;
        }
        if !self.inner.loop_started.swap(true, Ordering::SeqCst) {
            let inner = self.inner.clone();
            let client = self.client.clone();
            tokio::spawn(analysis_loop(inner, client));
        }
        let roots = lock(&self.world().roots).clone();
        self.queue(|p| p.reload.extend(roots));
    }

    async fn shutdown(&self) -> Result<()> {
        self.inner.shutdown_requested.store(true, Ordering::SeqCst);
        self.inner.stop();
        Ok(())
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        let doc = params.text_document;
        {
            let mut docs = lock(&self.world().docs);
            docs.pending.files.insert(doc.uri.clone());
            docs.open
                .insert(doc.uri, Document::new(&doc.text, doc.version));
        }
        self.inner.wake.notify_one();
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        let enc = self.world().encoding();
        let uri = params.text_document.uri;
        let known = {
            let mut docs = lock(&self.world().docs);
            match docs.open.get_mut(&uri) {
                Some(doc) => {
                    for change in &params.content_changes {
                        doc.apply(change, enc);
                    }
                    doc.version = params.text_document.version;
                    docs.pending.files.insert(uri.clone());
                    true
                }
                None => false,
            }
        };
        if known {
            self.inner.wake.notify_one();
        } else {
            self.log(
                lsp::MessageType::WARNING,
                format!("didChange for {} which is not open; ignored", uri.as_str()),
            )
            .await;
        }
    }

    async fn did_save(&self, params: lsp::DidSaveTextDocumentParams) {
        self.queue(|p| {
            p.files.insert(params.text_document.uri);
        });
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        {
            let mut docs = lock(&self.world().docs);
            docs.open.remove(&uri);
            // Back to the file on disk.
            docs.pending.files.insert(uri);
        }
        self.inner.wake.notify_one();
    }

    async fn did_change_watched_files(&self, params: lsp::DidChangeWatchedFilesParams) {
        {
            let mut docs = lock(&self.world().docs);
            for change in params.changes {
                // An open buffer is the truth until it is closed.
                if !docs.open.contains_key(&change.uri) {
                    docs.pending.files.insert(change.uri);
                }
            }
        }
        self.inner.wake.notify_one();
    }

    async fn did_change_configuration(&self, params: lsp::DidChangeConfigurationParams) {
        let value = params.settings;
        let ours = value.get(settings::SECTION).cloned().or_else(|| {
            value
                .as_object()
                .filter(|o| {
                    ["rules", "convention", "exclude"]
                        .iter()
                        .any(|k| o.contains_key(*k))
                })
                .map(|_| value.clone())
        });
        let ours = match ours {
            Some(v) => Some(v),
            None if lock(&self.inner.flags).configuration_pull => self.pull_settings().await,
            None => None,
        };
        if let Some(v) = ours {
            self.apply_settings(&v).await;
            self.queue(|p| p.reconfigure = true);
        }
    }

    async fn did_change_workspace_folders(&self, params: lsp::DidChangeWorkspaceFoldersParams) {
        let removed: Vec<PathBuf> = params
            .event
            .removed
            .iter()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        {
            let mut roots = lock(&self.world().roots);
            let mut folders = lock(&self.world().folders);
            for root in &removed {
                roots.retain(|r| r != root);
                folders.remove(root);
            }
        }
        self.queue(|p| p.forget.extend(removed));
        let added: Vec<PathBuf> = params
            .event
            .added
            .iter()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        self.add_folders(added);
    }

    async fn hover(&self, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
        let at = params.text_document_position_params;
        self.at_file(
            &at.text_document.uri,
            Some(at.position),
            |snap, _, file, offset, enc| {
                let h = ide::hover::hover(snap, &file.rel, offset)?;
                Some(lsp::Hover {
                    contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                        kind: lsp::MarkupKind::Markdown,
                        value: h.markdown,
                    }),
                    range: Some(convert::range(file, &h.span, enc)),
                })
            },
        )
        .await
    }

    async fn goto_definition(
        &self,
        params: lsp::GotoDefinitionParams,
    ) -> Result<Option<lsp::GotoDefinitionResponse>> {
        let at = params.text_document_position_params;
        self.at_file(
            &at.text_document.uri,
            Some(at.position),
            |snap, root, file, offset, enc| {
                let targets = ide::navigation::definition(snap, &file.rel, offset);
                let locations = locations(snap, root, &targets, enc);
                (!locations.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(locations))
            },
        )
        .await
    }

    async fn references(&self, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
        let at = params.text_document_position;
        let declaration = params.context.include_declaration;
        self.at_file(
            &at.text_document.uri,
            Some(at.position),
            move |snap, root, file, offset, enc| {
                let targets = ide::navigation::references(snap, &file.rel, offset, declaration);
                Some(locations(snap, root, &targets, enc))
            },
        )
        .await
    }

    async fn document_symbol(
        &self,
        params: lsp::DocumentSymbolParams,
    ) -> Result<Option<lsp::DocumentSymbolResponse>> {
        self.at_file(&params.text_document.uri, None, |snap, _, file, _, enc| {
            let symbols = ide::symbols::document_symbols(snap, &file.rel)
                .iter()
                .map(|s| convert::document_symbol(file, s, enc))
                .collect();
            Some(lsp::DocumentSymbolResponse::Nested(symbols))
        })
        .await
    }

    async fn code_action(
        &self,
        params: lsp::CodeActionParams,
    ) -> Result<Option<lsp::CodeActionResponse>> {
        let uri = params.text_document.uri;
        self.catch_up(&uri).await;
        let Some((root, rel, snap, versions)) = self.world().snapshot_with_versions(&uri) else {
            return Ok(None);
        };
        let enc = self.world().encoding();
        let support = lock(&self.inner.flags).edits;
        let only = params.context.only;
        let range = params.range;
        blocking(move || {
            let Some(file) = snap.file(&rel) else {
                return Ok(None);
            };
            let start = convert::offset(file, range.start, enc).map_err(Error::invalid_params)?;
            let end = convert::offset(file, range.end, enc).map_err(Error::invalid_params)?;
            let actions = ide::actions::actions_at(&snap, &rel, start..end.max(start));
            let answer: Vec<lsp::CodeActionOrCommand> = actions
                .iter()
                .filter(|a| code_actions::wanted(only.as_deref(), &code_actions::kind(a.kind)))
                .filter_map(|a| code_actions::code_action(&snap, &root, a, &versions, enc, support))
                .map(lsp::CodeActionOrCommand::CodeAction)
                .collect();
            Ok(Some(answer))
        })
        .await
    }

    async fn execute_command(&self, params: lsp::ExecuteCommandParams) -> Result<Option<Value>> {
        if params.command != GENERATE_COMMAND {
            return Err(Error::invalid_params(format!(
                "unknown command `{}`; this server runs `{GENERATE_COMMAND}`",
                params.command
            )));
        }
        let (uri, position) =
            code_actions::command_target(&params.arguments).map_err(Error::invalid_params)?;
        self.catch_up(&uri).await;
        let Some((root, rel, snap, versions)) = self.world().snapshot_with_versions(&uri) else {
            return Err(Error::invalid_params(format!(
                "{} is not in a workspace folder of this server",
                uri.as_str()
            )));
        };
        let enc = self.world().encoding();
        let support = lock(&self.inner.flags).edits;
        let edit = blocking(move || {
            let file = snap
                .file(&rel)
                .ok_or_else(|| Error::invalid_params(format!("{rel} is not indexed")))?;
            let offset = convert::offset(file, position, enc).map_err(Error::invalid_params)?;
            let action = ide::generate::generate_at(&snap, &rel, offset).ok_or_else(|| {
                Error::invalid_params(format!(
                    "no resource at {rel}:{}:{}: put the cursor on an Ash resource or Ecto schema",
                    position.line + 1,
                    position.character + 1
                ))
            })?;
            code_actions::workspace_edit(&snap, &root, &action, &versions, enc, support).ok_or_else(
                || {
                    Error::invalid_params(
                        "the client cannot create files through a workspace edit (documentChanges with CreateFile)",
                    )
                },
            )
        })
        .await?;
        let applied = self.client.apply_edit(edit).await?;
        Ok(Some(serde_json::json!({
            "applied": applied.applied,
            "failureReason": applied.failure_reason,
        })))
    }

    async fn symbol(
        &self,
        params: lsp::WorkspaceSymbolParams,
    ) -> Result<Option<lsp::OneOf<Vec<lsp::SymbolInformation>, Vec<lsp::WorkspaceSymbol>>>> {
        let folders: Vec<(PathBuf, Snapshot)> = lock(&self.world().folders)
            .iter()
            .map(|(root, f)| (root.clone(), f.snapshot.clone()))
            .collect();
        let enc = self.world().encoding();
        let query = params.query;
        blocking(move || {
            let mut out = Vec::new();
            for (root, snap) in &folders {
                for s in ide::symbols::workspace_symbols(snap, &query, WORKSPACE_SYMBOL_LIMIT) {
                    let Some(location) = location(snap, root, &s.target, enc) else {
                        continue;
                    };
                    #[allow(deprecated)] // `deprecated` is a required field of the struct.
                    out.push(lsp::SymbolInformation {
                        name: s.name,
                        kind: convert::symbol_kind(s.kind),
                        tags: None,
                        deprecated: None,
                        location,
                        container_name: s.container,
                    });
                }
            }
            out.truncate(WORKSPACE_SYMBOL_LIMIT);
            Ok(Some(lsp::OneOf::Left(out)))
        })
        .await
    }
}

fn location(snap: &Snapshot, root: &Path, t: &ide::Target, enc: Encoding) -> Option<lsp::Location> {
    let file = snap.file(&t.file)?;
    Some(lsp::Location::new(
        convert::uri_of(root, &t.file)?,
        convert::range(file, &t.span, enc),
    ))
}

fn locations(
    snap: &Snapshot,
    root: &Path,
    targets: &[ide::Target],
    enc: Encoding,
) -> Vec<lsp::Location> {
    targets
        .iter()
        .filter_map(|t| location(snap, root, t, enc))
        .collect()
}

/// The analysis loop: wait for work, do all of it at once on a blocking
/// thread, publish what changed. Runs until shutdown.
async fn analysis_loop(inner: Arc<Inner>, client: Client) {
    loop {
        inner.wake.notified().await;
        if inner.stopping.load(Ordering::SeqCst) {
            break;
        }
        let job = inner.world.take_pending();
        if job.is_empty() {
            continue;
        }
        let indexing = !job.reload.is_empty();
        let progress = if indexing && lock(&inner.flags).work_done_progress {
            begin_progress(&inner, &client, job.reload.len()).await
        } else {
            None
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u32>();
        let worker = inner.clone();
        let task = tokio::task::spawn_blocking(move || {
            let last = AtomicU32::new(u32::MAX);
            let report = |done: usize, total: usize| {
                let percent = (done * 100).checked_div(total).unwrap_or(100).min(100) as u32;
                if last.swap(percent, Ordering::Relaxed) != percent {
                    let _ = tx.send(percent);
                }
            };
            std::panic::catch_unwind(AssertUnwindSafe(|| worker.world.process(job, &report)))
        });
        tokio::pin!(task);
        let outcome = loop {
            tokio::select! {
                done = &mut task => break done,
                Some(percent) = rx.recv() => {
                    if let Some(token) = &progress {
                        report_progress(&client, token, percent).await;
                    }
                }
            }
        };
        if let Some(token) = progress {
            end_progress(&client, token).await;
        }
        match outcome {
            Ok(Ok(publishes)) => publish(&inner, &client, publishes).await,
            Ok(Err(panic)) => {
                client
                    .log_message(
                        lsp::MessageType::ERROR,
                        format!(
                            "analysis failed: {}; the previous results stay",
                            panic_message(panic.as_ref())
                        ),
                    )
                    .await
            }
            Err(e) => {
                client
                    .log_message(lsp::MessageType::ERROR, format!("analysis failed: {e}"))
                    .await
            }
        }
        inner.analyzed.send_modify(|n| *n += 1);
    }
}

/// Send diagnostics, dropping those computed for a document version the
/// editor has already moved past (the next analysis sends fresh ones).
async fn publish(inner: &Inner, client: &Client, publishes: Vec<Publish>) {
    for p in publishes {
        if let Some(version) = p.version {
            let current = lock(&inner.world.docs).open.get(&p.uri).map(|d| d.version);
            if current.is_some_and(|c| c != version) {
                inner.world.unpublish(&p.uri);
                continue;
            }
        }
        client
            .publish_diagnostics(p.uri, p.diagnostics, p.version)
            .await;
    }
}

async fn begin_progress(
    inner: &Inner,
    client: &Client,
    folders: usize,
) -> Option<lsp::ProgressToken> {
    let n = inner.progress_tokens.fetch_add(1, Ordering::Relaxed);
    let token = lsp::ProgressToken::String(format!("ecto-ash-lsp/indexing/{n}"));
    let created = client.send_request::<lsp::request::WorkDoneProgressCreate>(
        lsp::WorkDoneProgressCreateParams {
            token: token.clone(),
        },
    );
    tokio::time::timeout(CLIENT_ANSWER, created)
        .await
        .ok()?
        .ok()?;
    let message = match folders {
        1 => "1 folder".to_string(),
        n => format!("{n} folders"),
    };
    send_progress(
        client,
        &token,
        lsp::WorkDoneProgress::Begin(lsp::WorkDoneProgressBegin {
            title: "Indexing migrations and resources".into(),
            cancellable: Some(false),
            message: Some(message),
            percentage: Some(0),
        }),
    )
    .await;
    Some(token)
}

async fn report_progress(client: &Client, token: &lsp::ProgressToken, percent: u32) {
    send_progress(
        client,
        token,
        lsp::WorkDoneProgress::Report(lsp::WorkDoneProgressReport {
            cancellable: Some(false),
            message: None,
            percentage: Some(percent),
        }),
    )
    .await;
}

async fn end_progress(client: &Client, token: lsp::ProgressToken) {
    send_progress(
        client,
        &token,
        lsp::WorkDoneProgress::End(lsp::WorkDoneProgressEnd {
            message: Some("indexed".into()),
        }),
    )
    .await;
}

async fn send_progress(client: &Client, token: &lsp::ProgressToken, value: lsp::WorkDoneProgress) {
    client
        .send_notification::<lsp::notification::Progress>(lsp::ProgressParams {
            token: token.clone(),
            value: lsp::ProgressParamsValue::WorkDone(value),
        })
        .await;
}

/// Extra methods that exist only in this crate's own tests: one that panics
/// and one that never finishes (for `$/cancelRequest`).
pub fn with_test_methods(builder: LspServiceBuilder<Backend>) -> LspServiceBuilder<Backend> {
    #[cfg(test)]
    let builder = builder
        .custom_method("test/panic", Backend::test_panic)
        .custom_method("test/sleep", Backend::test_sleep);
    builder
}

#[cfg(test)]
impl Backend {
    async fn test_panic(&self) -> Result<()> {
        blocking(|| -> Result<()> { panic!("a bug in a request") }).await
    }

    async fn test_sleep(&self) -> Result<()> {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(())
    }
}
