// End-to-end check of editors/vscode in a real VS Code (code-server) driven by
// Debian's Chromium through playwright-core. Run by tests/editors.rs with
// Node 22+ and these variables:
//   E2E_PROJECT      scratch copy of examples/demo (opened as the folder)
//   E2E_SERVER       the ecto-ash-lsp binary (set as `ecto-ash-lsp.path`)
//   E2E_VSIX         the packaged extension
//   E2E_CODE_SERVER  code-server's entry script (node_modules/code-server/out/node/entry.js)
//   E2E_PLAYWRIGHT   playwright-core's folder
//   E2E_OUT          where screenshots and logs go
//   E2E_PIDFILE      where code-server's process group id is written, so the
//                    harness can stop it even if this script is killed
// code-server runs in its own process group with a private HOME and is
// stopped at the end, on failure too. Prints `ok - step`; exits 1 on failure
// after printing what the page showed.
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const need = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`FAIL: ${name} is not set`);
    process.exit(2);
  }
  return value;
};
const project = need("E2E_PROJECT");
const server = need("E2E_SERVER");
const vsix = need("E2E_VSIX");
const codeServer = need("E2E_CODE_SERVER");
const { chromium } = createRequire(import.meta.url)(need("E2E_PLAYWRIGHT"));
const out = need("E2E_OUT");
const pidfile = process.env.E2E_PIDFILE;
const deadlineMs = Number(process.env.E2E_TIMEOUT_MS || 240000);

fs.mkdirSync(out, { recursive: true });
const home = fs.mkdtempSync(path.join(os.tmpdir(), "ecto-ash-lsp-vscode-"));
const userData = path.join(home, "data");
const extensions = path.join(home, "extensions");
const env = {
  ...process.env,
  HOME: home,
  XDG_CONFIG_HOME: path.join(home, ".config"),
  XDG_DATA_HOME: path.join(home, ".local/share"),
  XDG_CACHE_HOME: path.join(home, ".cache"),
};

const settings = JSON.stringify(
  {
    "ecto-ash-lsp.path": server,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "workbench.colorTheme": "Default Light Modern",
    "security.workspace.trust.enabled": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "chat.disableAIFeatures": true,
    "editor.hover.delay": 200,
    "editor.minimap.enabled": false,
    "git.enabled": false,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "extensions.ignoreRecommendations": true,
    "window.restoreWindows": "none",
  },
  null,
  2,
);
// code-server is VS Code's remote: a machine-scoped setting such as
// `ecto-ash-lsp.path` is read from Machine/, the rest from User/.
for (const scope of ["User", "Machine"]) {
  fs.mkdirSync(path.join(userData, scope), { recursive: true });
  fs.writeFileSync(path.join(userData, scope, "settings.json"), settings);
}

let codeServerProcess;
let codeServerLog = "";
let browser;

function stopCodeServer() {
  if (codeServerProcess && codeServerProcess.exitCode === null) {
    try {
      process.kill(-codeServerProcess.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

async function cleanup() {
  try {
    await browser?.close();
  } catch {
    // The browser may already be gone.
  }
  stopCodeServer();
  if (process.env.E2E_KEEP !== "1") fs.rmSync(home, { recursive: true, force: true });
}

process.on("exit", stopCodeServer);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    stopCodeServer();
    process.exit(1);
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function step(name, fn) {
  await fn();
  console.log(`ok - ${name}`);
}

async function waitFor(what, ms, fn) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    try {
      const value = await fn();
      if (value) {
        return value;
      }
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

let page;

/** Run a command from the command palette by its title; `then` is "input"
 * when the command opens a quick input of its own (Go to File…). */
async function command(title, then = "close") {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 10000 });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ state: "visible", timeout: 10000 });
  await row.click();
  if (then === "input") {
    await page.waitForFunction(
      (palette) => {
        const input = document.querySelector(".quick-input-widget input");
        return input && !input.value.startsWith(palette);
      },
      ">",
      { timeout: 10000 },
    );
  } else {
    await input.waitFor({ state: "hidden", timeout: 10000 });
  }
}

/** Open a workspace file with Go to File. */
async function openFile(relative) {
  await command("Go to File...", "input");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 10000 });
  await input.fill(relative);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: path.basename(relative) }).first();
  await row.waitFor({ state: "visible", timeout: 10000 });
  await input.press("Enter");
  await page
    .locator(".tabs-container .tab.active", { hasText: path.basename(relative) })
    .waitFor({ state: "visible", timeout: 10000 });
}

async function goTo(line, column) {
  await command("Go to Line/Column...", "input");
  const input = page.locator(".quick-input-widget input");
  await input.fill(`:${line}:${column}`);
  await input.press("Enter");
  await input.waitFor({ state: "hidden", timeout: 10000 });
}

/** The text of the active editor's visible lines, top to bottom. */
async function editorText() {
  return page.evaluate(() => {
    const editor = document.querySelector(".editor-group-container.active .monaco-editor .view-lines");
    if (!editor) return "";
    const lines = [...editor.querySelectorAll(".view-line")].map((el) => ({
      top: parseFloat(el.style.top || "0"),
      text: el.textContent.replace(/\u00a0/g, " "),
    }));
    lines.sort((a, b) => a.top - b.top);
    return lines.map((l) => l.text).join("\n");
  });
}

async function main() {
  await step("the .vsix installs into code-server", async () => {
    const installed = spawnSync(
      process.execPath,
      [codeServer, "--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", vsix],
      { env, encoding: "utf8", timeout: 60000 },
    );
    if (installed.status !== 0 || !fs.readdirSync(extensions).some((d) => d.startsWith("ecto-ash-lsp."))) {
      throw new Error(`--install-extension failed (${installed.status}):\n${installed.stdout}\n${installed.stderr}`);
    }
  });

  const port = await freePort();
  await step("code-server starts on loopback", async () => {
    codeServerProcess = spawn(
      process.execPath,
      [
        codeServer,
        "--auth", "none",
        "--bind-addr", `127.0.0.1:${port}`,
        "--user-data-dir", userData,
        "--extensions-dir", extensions,
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--disable-getting-started-override",
        project,
      ],
      { env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    if (pidfile) fs.writeFileSync(pidfile, String(codeServerProcess.pid));
    const collect = (chunk) => {
      codeServerLog += chunk.toString();
    };
    codeServerProcess.stdout.on("data", collect);
    codeServerProcess.stderr.on("data", collect);
    await waitFor("code-server to listen", 60000, () => {
      if (codeServerProcess.exitCode !== null) throw new Error(`code-server exited ${codeServerProcess.exitCode}`);
      return codeServerLog.includes("HTTP server listening");
    });
  });

  const profile = path.join(home, "chromium");
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.E2E_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  browser = context;
  page = context.pages()[0] || (await context.newPage());

  await step("the workbench opens the demo folder", async () => {
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(project)}`);
    await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 60000 });
    await page.locator(".explorer-folders-view").waitFor({ state: "visible", timeout: 60000 }).catch(() => {});
  });

  await step("the Problems panel shows the demo's missing-column diagnostic", async () => {
    await openFile("lib/demo/platform/auth_lockout.ex");
    await command("View: Focus Problems (Errors, Warnings, Infos)");
    const filter = page.locator(".markers-panel-action-filter input, .viewpane-filter input").first();
    await filter.waitFor({ state: "visible", timeout: 10000 });
    await filter.fill("unlocked_at");
    const row = page.locator(".markers-panel .monaco-list-row", { hasText: "unlocked_at has no column" }).first();
    await row.waitFor({ state: "visible", timeout: 60000 });
    const text = (await row.textContent()) ?? "";
    for (const needle of ["attribute :unlocked_at has no column in table platform.auth_lockouts", "missing-column", "39"]) {
      if (!text.includes(needle)) throw new Error(`problem row lacks ${JSON.stringify(needle)}: ${text}`);
    }
  });

  await step("hover on the resource's module shows its table", async () => {
    await goTo(1, 15);
    await command("Show or Focus Hover");
    const hover = page.locator(".monaco-hover", { hasText: "(Ash resource)" }).first();
    await hover.waitFor({ state: "visible", timeout: 30000 });
    const text = (await hover.textContent()) ?? "";
    for (const needle of ["Demo.Platform.AuthLockout (Ash resource)", "platform.auth_lockouts", "failed_attempts"]) {
      if (!text.includes(needle)) throw new Error(`hover lacks ${JSON.stringify(needle)}: ${text}`);
    }
    await page.screenshot({ path: path.join(out, "vscode.png") });
    await page.keyboard.press("Escape");
  });

  await step("a quick fix makes `create table` idempotent", async () => {
    await openFile("priv/repo/migrations/20230412153000_create_settings.exs");
    await waitFor("the create table line", 10000, async () => (await editorText()).includes("create table(:settings) do"));
    await goTo(5, 5);
    await command("Quick Fix...");
    // Either the code action menu or the "No code actions available" note.
    const menu = page.locator(".action-widget, .monaco-editor-overlaymessage").first();
    await menu.waitFor({ state: "visible", timeout: 30000 });
    const items = (await menu.textContent()) ?? "";
    if (!items.includes("Use create_if_not_exists")) {
      throw new Error(`the quick fix menu lacks "Use create_if_not_exists": ${items}`);
    }
    await page.locator(".action-widget .monaco-list-row", { hasText: "Use create_if_not_exists" }).first().click();
    await waitFor("the fix to land in the editor", 20000, async () =>
      (await editorText()).includes("create_if_not_exists table(:settings) do"),
    );
    await page.screenshot({ path: path.join(out, "vscode-quick-fix.png") });
  });

  await step("Generate idempotent migration writes a new migration for the resource", async () => {
    const migrations = path.join(project, "priv/repo/migrations");
    const before = new Set(fs.readdirSync(migrations));
    await openFile("lib/demo/platform/security_event.ex");
    await goTo(1, 15);
    await command("ecto-ash-lsp: Generate idempotent migration");
    const outcome = await waitFor("a new migration", 30000, async () => {
      const created = fs.readdirSync(migrations).filter((f) => !before.has(f));
      if (created.length > 0) return { created: path.join(migrations, created[0]) };
      const toast = page.locator(".notification-list-item-message", { hasText: "cannot generate a migration here" });
      if ((await toast.count()) > 0) {
        throw new Error(`the server refused: ${await toast.first().innerText()}`);
      }
      return null;
    });
    await waitFor("the new migration's text", 20000, async () => {
      const onDisk = fs.readFileSync(outcome.created, "utf8");
      return onDisk.includes("create_if_not_exists") || (await editorText()).includes("create_if_not_exists");
    });
  });
}

const timer = setTimeout(async () => {
  console.error(`FAIL: the VS Code e2e test took more than ${deadlineMs} ms`);
  await report();
  await cleanup();
  process.exit(1);
}, deadlineMs);

async function report() {
  try {
    if (page) {
      await page.screenshot({ path: path.join(out, "vscode-failure.png") });
      const text = await page.evaluate(() => document.body.innerText);
      console.error(`--- page text (screenshot: ${path.join(out, "vscode-failure.png")}) ---\n${text.slice(0, 4000)}`);
    }
  } catch (error) {
    console.error(`(no page to show: ${error.message})`);
  }
  console.error(`--- code-server log ---\n${codeServerLog.slice(-4000)}`);
  // The extension host's log and the client's output channel say why a
  // server did not start.
  for (const file of logFiles(path.join(userData, "logs"))) {
    if (/exthost\.log$/.test(file)) {
      const text = fs.readFileSync(file, "utf8");
      console.error(`--- ${path.relative(userData, file)} ---\n${text.slice(-3000)}`);
    }
  }
}

function logFiles(dir) {
  let found = [];
  for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
    const full = path.join(dir, entry.name);
    found = found.concat(entry.isDirectory() ? logFiles(full) : [full]);
  }
  return found;
}

try {
  await main();
  clearTimeout(timer);
  await cleanup();
  process.exit(0);
} catch (error) {
  clearTimeout(timer);
  console.error(`FAIL: ${error.stack || error}`);
  await report();
  await cleanup();
  process.exit(1);
}
