// The VS Code client of ecto-ash-lsp: starts the server binary over stdio for
// Elixir files and Ash resource snapshots, hands it the `ecto-ash-lsp.*`
// settings (as initializationOptions, on workspace/configuration and on
// change), and adds the "Generate idempotent migration" command.
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

const SECTION = "ecto-ash-lsp";
/** The settings the server reads; `path` and `trace` are the client's own. */
const SERVER_KEYS = ["convention", "exclude", "rules"] as const;
/** The server's command behind "Generate idempotent migration". */
const GENERATE_MIGRATION = "ecto-ash-lsp.generateMigration";

let client: LanguageClient | undefined;

/** The settings as the server expects them (its keys only). */
function serverSettings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const settings: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    settings[key] = config.get(key);
  }
  return settings;
}

function serverCommand(): string {
  const path = vscode.workspace.getConfiguration(SECTION).get<string>("path");
  return path && path.trim() !== "" ? path.trim() : "ecto-ash-lsp";
}

function createClient(): LanguageClient {
  const command = serverCommand();
  // No `transport`: with TransportKind.stdio the client would append
  // `--stdio`, which the server does not take; stdio is the default anyway.
  const serverOptions: ServerOptions = {
    run: { command, args: ["lsp"] },
    debug: { command, args: ["lsp"] },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "elixir" },
      { scheme: "file", language: "json", pattern: "**/priv/resource_snapshots/**/*.json" },
    ],
    initializationOptions: serverSettings(),
    middleware: {
      workspace: {
        // Answer the server's pull with its keys only, so it never logs
        // `path` or `trace` as unknown settings.
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) {
            return answers;
          }
          return answers.map((answer, i) =>
            params.items[i]?.section === SECTION ? serverSettings() : answer,
          );
        },
      },
    },
  };
  return new LanguageClient(SECTION, "ecto-ash-lsp", serverOptions, clientOptions);
}

async function generateMigration(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!client || !editor) {
    void vscode.window.showWarningMessage("Open an Ash resource or Ecto schema first.");
    return;
  }
  const uri = client.code2ProtocolConverter.asUri(editor.document.uri);
  const position = client.code2ProtocolConverter.asPosition(editor.selection.active);
  try {
    const answer = (await client.sendRequest(ExecuteCommandRequest.type, {
      command: GENERATE_MIGRATION,
      arguments: [uri, position],
    })) as { applied?: boolean; failureReason?: string } | null;
    if (answer && answer.applied === false) {
      void vscode.window.showWarningMessage(
        `ecto-ash-lsp: the migration was not written${answer.failureReason ? `: ${answer.failureReason}` : ""}`,
      );
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(`ecto-ash-lsp: cannot generate a migration here: ${message}`);
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  client = createClient();
  context.subscriptions.push(
    vscode.commands.registerCommand("ecto-ash-lsp.generateIdempotentMigration", generateMigration),
    vscode.commands.registerCommand("ecto-ash-lsp.restartServer", async () => {
      await client?.stop();
      client = createClient();
      await client.start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!client || !event.affectsConfiguration(SECTION)) {
        return;
      }
      if (event.affectsConfiguration(`${SECTION}.path`)) {
        // A different binary: start it afresh.
        await client.stop();
        client = createClient();
        await client.start();
        return;
      }
      await client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SECTION]: serverSettings() },
      });
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
