//! Code actions at the protocol edge: `ide::actions::Action`s become
//! `CodeAction`s whose `WorkspaceEdit` uses `documentChanges` (a versioned
//! `TextDocumentEdit` per edited file, `CreateFile` + an insert for a new
//! migration that never overwrites), and the `ecto-ash-lsp.generateMigration`
//! command's arguments are read here.

use super::convert::{self, Encoding};
use crate::ide::actions::{Action, ActionKind};
use crate::ide::Snapshot;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use tower_lsp_server::lsp_types as lsp;

/// The kind of the action that applies every safe fix of a file.
pub const FIX_ALL_KIND: &str = "source.fixAll.ecto-ash-lsp";

/// The kind of "generate idempotent migration": a `source` action, listed
/// by VS Code's Source Action menu and by Neovim's and Helix's code-action
/// menus (which ask without a kind filter).
pub const GENERATE_KIND: &str = "source.generateMigration.ecto-ash-lsp";

/// `workspace/executeCommand` that writes the migration for the resource
/// at `[uri, position]` through `workspace/applyEdit`.
pub const GENERATE_COMMAND: &str = "ecto-ash-lsp.generateMigration";

/// What the client can take in a `WorkspaceEdit`.
#[derive(Debug, Default, Clone, Copy)]
pub struct EditSupport {
    /// `workspace.workspaceEdit.documentChanges`.
    pub document_changes: bool,
    /// `resourceOperations` includes `create`.
    pub create_files: bool,
}

impl EditSupport {
    pub fn of(caps: &lsp::ClientCapabilities) -> EditSupport {
        let edit = caps
            .workspace
            .as_ref()
            .and_then(|w| w.workspace_edit.as_ref());
        EditSupport {
            document_changes: edit.and_then(|e| e.document_changes).unwrap_or(false),
            create_files: edit
                .and_then(|e| e.resource_operations.as_ref())
                .is_some_and(|ops| ops.contains(&lsp::ResourceOperationKind::Create)),
        }
    }
}

pub fn kind(k: ActionKind) -> lsp::CodeActionKind {
    match k {
        ActionKind::QuickFix => lsp::CodeActionKind::QUICKFIX,
        ActionKind::FixAll => lsp::CodeActionKind::from(FIX_ALL_KIND.to_string()),
        ActionKind::GenerateMigration => lsp::CodeActionKind::from(GENERATE_KIND.to_string()),
    }
}

/// The kinds the server offers, for its capabilities.
pub fn offered_kinds() -> Vec<lsp::CodeActionKind> {
    vec![
        lsp::CodeActionKind::QUICKFIX,
        lsp::CodeActionKind::from(FIX_ALL_KIND.to_string()),
        lsp::CodeActionKind::from(GENERATE_KIND.to_string()),
    ]
}

/// Whether a request's `only` filter lets `kind` through: kinds are
/// hierarchical, so `source` asks for `source.fixAll.ecto-ash-lsp` too.
pub fn wanted(only: Option<&[lsp::CodeActionKind]>, kind: &lsp::CodeActionKind) -> bool {
    let Some(only) = only else {
        return true;
    };
    let k = kind.as_str();
    only.iter().any(|o| {
        let o = o.as_str();
        k == o || k.strip_prefix(o).is_some_and(|rest| rest.starts_with('.'))
    })
}

/// An action as a protocol `CodeAction`, with the diagnostics it fixes.
/// `None` when an edit cannot be expressed (a file not in the snapshot, a
/// new file the client cannot create).
pub fn code_action(
    snap: &Snapshot,
    root: &Path,
    action: &Action,
    versions: &HashMap<String, i32>,
    enc: Encoding,
    support: EditSupport,
) -> Option<lsp::CodeAction> {
    let diagnostics: Vec<lsp::Diagnostic> = action
        .fixes
        .iter()
        .filter_map(|i| snap.findings.get(*i))
        .filter_map(|f| {
            let file = snap.file(&f.file)?;
            Some(convert::diagnostic(snap, root, file, f, enc))
        })
        .collect();
    Some(lsp::CodeAction {
        title: action.title.clone(),
        kind: Some(kind(action.kind)),
        diagnostics: (!diagnostics.is_empty()).then_some(diagnostics),
        edit: Some(workspace_edit(snap, root, action, versions, enc, support)?),
        command: None,
        is_preferred: action.preferred.then_some(true),
        disabled: None,
        data: None,
    })
}

/// The edit of an action: `documentChanges` when the client takes them
/// (required for new files), else the plain `changes` map.
pub fn workspace_edit(
    snap: &Snapshot,
    root: &Path,
    action: &Action,
    versions: &HashMap<String, i32>,
    enc: Encoding,
    support: EditSupport,
) -> Option<lsp::WorkspaceEdit> {
    let mut per_file: Vec<(lsp::Uri, Option<i32>, Vec<lsp::TextEdit>)> = Vec::new();
    for file_edit in &action.edits {
        let file = snap.file(&file_edit.file)?;
        let uri = convert::uri_of(root, &file_edit.file)?;
        let edits = file_edit
            .edits
            .iter()
            .map(|e| lsp::TextEdit {
                range: convert::range(file, &e.span, enc),
                new_text: e.new_text.clone(),
            })
            .collect();
        per_file.push((uri, versions.get(&file_edit.file).copied(), edits));
    }
    if !support.document_changes {
        if !action.new_files.is_empty() {
            return None;
        }
        // `Uri` hashes by its text; the lint cannot see that.
        #[allow(clippy::mutable_key_type)]
        let changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = per_file
            .into_iter()
            .map(|(uri, _, edits)| (uri, edits))
            .collect();
        return Some(lsp::WorkspaceEdit {
            changes: Some(changes),
            ..lsp::WorkspaceEdit::default()
        });
    }
    if !action.new_files.is_empty() && !support.create_files {
        return None;
    }
    let mut operations = Vec::new();
    for (uri, version, edits) in per_file {
        operations.push(lsp::DocumentChangeOperation::Edit(lsp::TextDocumentEdit {
            text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri, version },
            edits: edits.into_iter().map(lsp::OneOf::Left).collect(),
        }));
    }
    for new_file in &action.new_files {
        let uri = convert::uri_of(root, &new_file.path)?;
        operations.push(lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Create(
            lsp::CreateFile {
                uri: uri.clone(),
                options: Some(lsp::CreateFileOptions {
                    overwrite: Some(false),
                    ignore_if_exists: Some(false),
                }),
                annotation_id: None,
            },
        )));
        operations.push(lsp::DocumentChangeOperation::Edit(lsp::TextDocumentEdit {
            text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri, version: None },
            edits: vec![lsp::OneOf::Left(lsp::TextEdit {
                range: lsp::Range::default(),
                new_text: new_file.text.clone(),
            })],
        }));
    }
    Some(lsp::WorkspaceEdit {
        document_changes: Some(lsp::DocumentChanges::Operations(operations)),
        ..lsp::WorkspaceEdit::default()
    })
}

/// The `[uri, position]` (or `[{uri, position}]`) of the generate command.
pub fn command_target(arguments: &[Value]) -> Result<(lsp::Uri, lsp::Position), String> {
    let (uri, position) = match arguments {
        [uri, position] => (uri.clone(), position.clone()),
        [Value::Object(o)] => (
            o.get("uri").cloned().unwrap_or(Value::Null),
            o.get("position").cloned().unwrap_or(Value::Null),
        ),
        _ => {
            return Err(format!(
                "{GENERATE_COMMAND} takes [uri, position] or [{{uri, position}}]"
            ))
        }
    };
    let uri: lsp::Uri = serde_json::from_value(uri)
        .map_err(|e| format!("{GENERATE_COMMAND}: the uri is not a URI string: {e}"))?;
    let position: lsp::Position = serde_json::from_value(position)
        .map_err(|e| format!("{GENERATE_COMMAND}: the position is not {{line, character}}: {e}"))?;
    Ok((uri, position))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_filters_by_kind_hierarchy() {
        let fix_all = kind(ActionKind::FixAll);
        let quick = kind(ActionKind::QuickFix);
        let source = [lsp::CodeActionKind::SOURCE];
        assert!(wanted(None, &fix_all));
        assert!(wanted(Some(&source), &fix_all));
        assert!(!wanted(Some(&source), &quick));
        let fix_all_only = [lsp::CodeActionKind::SOURCE_FIX_ALL];
        assert!(wanted(Some(&fix_all_only), &fix_all));
        assert!(!wanted(
            Some(&fix_all_only),
            &kind(ActionKind::GenerateMigration)
        ));
        let sourcex = [lsp::CodeActionKind::from("sourcex".to_string())];
        assert!(!wanted(Some(&sourcex), &fix_all));
    }

    #[test]
    fn new_files_become_create_file_and_an_insert_never_overwriting() {
        let action = Action {
            title: "Generate idempotent migration".into(),
            kind: ActionKind::GenerateMigration,
            preferred: false,
            fixes: Vec::new(),
            edits: Vec::new(),
            new_files: vec![crate::ide::actions::NewFile {
                path: "priv/repo/migrations/20250101000000_add_x.exs".into(),
                text: "defmodule X do\nend\n".into(),
            }],
        };
        let snap = Snapshot::default();
        let root = Path::new("/p");
        let full = EditSupport {
            document_changes: true,
            create_files: true,
        };
        let edit = workspace_edit(&snap, root, &action, &HashMap::new(), Encoding::Utf16, full);
        let value = serde_json::to_value(edit).unwrap_or_default();
        let uri = "file:///p/priv/repo/migrations/20250101000000_add_x.exs";
        assert_eq!(
            value["documentChanges"],
            json!([
                {"kind": "create", "uri": uri, "options": {"overwrite": false, "ignoreIfExists": false}},
                {"textDocument": {"uri": uri, "version": null}, "edits": [
                    {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                     "newText": "defmodule X do\nend\n"}
                ]}
            ])
        );
        let action_json = code_action(&snap, root, &action, &HashMap::new(), Encoding::Utf16, full)
            .map(|a| serde_json::to_value(a).unwrap_or_default());
        assert_eq!(
            action_json.as_ref().map(|a| a["kind"].clone()),
            Some(json!("source.generateMigration.ecto-ash-lsp"))
        );
        for lacking in [
            EditSupport::default(),
            EditSupport {
                document_changes: true,
                create_files: false,
            },
        ] {
            let e = workspace_edit(
                &snap,
                root,
                &action,
                &HashMap::new(),
                Encoding::Utf16,
                lacking,
            );
            assert_eq!(e, None);
        }
    }

    #[test]
    fn command_arguments_in_both_shapes_and_bad_ones() {
        let pos = json!({"line": 3, "character": 4});
        let uri = json!("file:///p/lib/a.ex");
        let a = command_target(&[uri.clone(), pos.clone()]);
        let b = command_target(&[json!({"uri": uri, "position": pos})]);
        assert_eq!(a, b);
        assert_eq!(a.map(|(_, p)| p), Ok(lsp::Position::new(3, 4)));
        assert!(command_target(&[]).is_err());
        assert!(command_target(&[json!(1), json!("x")]).is_err());
        assert!(command_target(&[json!({"uri": "file:///a"})]).is_err());
    }
}
