//! The editor integrations in `editors/`, proven in the real editors: Neovim
//! (headless, then a screen dump in tmux), Helix (in tmux) and VS Code
//! (code-server driven by Chromium). Each runs a script from `tests/e2e/` on a
//! scratch copy of `examples/demo` with a hard timeout, and prints what it saw
//! when it fails.
//!
//! The editors come from `scripts/install-editors.sh`, which keeps them in one
//! cache folder (see [`cache_dir`]). A missing editor skips its test, except
//! under `ECTO_ASH_LSP_CI=1`, where it fails. Screen dumps go to
//! `target/e2e-screenshots/`, and to `docs/screenshots/` with
//! `UPDATE_SCREENSHOTS=1`.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where `scripts/install-editors.sh` puts the editors (keep in step with it).
fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ECTO_ASH_LSP_E2E_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp/.cache"));
    base.join("ecto-ash-lsp-e2e")
}

/// A program from the editors' cache, else from PATH (see
/// [`support::external_tool`] for what a missing one does).
fn tool(name: &str, in_cache: &str) -> Option<PathBuf> {
    let cached = cache_dir().join(in_cache);
    if cached.exists() {
        return Some(cached);
    }
    support::external_tool(name, &[])
}

/// A file only the editors' cache provides (Node 22+, code-server's entry
/// script, playwright-core): skipped or failed as [`support::external_tool`]
/// does when it is missing.
fn cached(in_cache: &str) -> Option<PathBuf> {
    let path = cache_dir().join(in_cache);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("ECTO_ASH_LSP_CI").as_deref() == Ok("1") {
        panic!(
            "{} is required under ECTO_ASH_LSP_CI=1 (scripts/install-editors.sh installs it)",
            path.display()
        );
    }
    eprintln!(
        "skipped: {} is not installed (scripts/install-editors.sh installs it)",
        path.display()
    );
    None
}

fn server() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ecto-ash-lsp"))
}

/// A scratch copy of the demo project: the editors edit it, never the repo.
fn demo_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("demo");
    copy_tree(&support::repo_path("examples/demo"), &project);
    (dir, project)
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read demo").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Run `cmd` in its own process group; past `limit` the whole group is
/// killed (and the groups named in `pidfiles`, for children that made their
/// own). Panics with the output on a timeout or a non-zero exit.
fn run_with_timeout(what: &str, mut cmd: Command, limit: Duration, pidfiles: &[&Path]) -> String {
    use std::os::unix::process::CommandExt;
    let logs = tempfile::tempdir().expect("tempdir");
    let out_path = logs.path().join("stdout");
    let err_path = logs.path().join("stderr");
    cmd.stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).expect("stdout file"))
        .stderr(fs::File::create(&err_path).expect("stderr file"))
        .process_group(0);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > limit {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let group = child.id();
    kill_group(group);
    for pidfile in pidfiles {
        if let Some(pid) = fs::read_to_string(pidfile)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
        {
            kill_group(pid);
        }
    }
    let _ = child.wait();
    let stdout = fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = fs::read_to_string(&err_path).unwrap_or_default();
    eprintln!("{what}: {:.1} s", started.elapsed().as_secs_f64());
    match status {
        Some(s) if s.success() => stdout,
        Some(s) => panic!("{what} failed ({s})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"),
        None => panic!(
            "{what} took more than {} s and was stopped\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            limit.as_secs()
        ),
    }
}

fn kill_group(pid: u32) {
    // A group that already ended is fine: kill's complaint is not ours.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

/// Keep a screen dump for the README: always under target/, and in
/// docs/screenshots/ when asked to.
fn keep_screenshot(from: &Path, name: &str) {
    let target = support::repo_path("target/e2e-screenshots");
    fs::create_dir_all(&target).expect("mkdir");
    fs::copy(from.join(name), target.join(name))
        .unwrap_or_else(|e| panic!("{name} was not written: {e}"));
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        let docs = support::repo_path("docs/screenshots");
        fs::create_dir_all(&docs).expect("mkdir");
        fs::copy(from.join(name), docs.join(name)).expect("copy screenshot");
    }
}

fn e2e(script: &str) -> PathBuf {
    support::repo_path(&format!("tests/e2e/{script}"))
}

#[test]
fn neovim_shows_diagnostics_hover_and_applies_a_quick_fix() {
    let Some(nvim) = tool("nvim", "bin/nvim") else {
        return;
    };
    let config = support::repo_path("editors/neovim");
    // `setup()` on 0.11 (vim.lsp.config/enable), then its 0.10 path
    // (vim.lsp.start from an autocmd).
    for (what, use_start) in [("neovim", "0"), ("neovim (vim.lsp.start)", "1")] {
        let (_dir, project) = demo_copy();
        let mut cmd = Command::new(&nvim);
        cmd.args(["--headless", "--clean", "-l"])
            .arg(e2e("neovim.lua"))
            .env("E2E_PROJECT", &project)
            .env("E2E_CONFIG", &config)
            .env("E2E_SERVER", server())
            .env("E2E_USE_START", use_start);
        let seen = run_with_timeout(what, cmd, Duration::from_secs(120), &[]);
        for step in [
            "ok - migration diagnostics: codes and positions",
            "ok - resource diagnostics: codes and positions",
            "ok - hover on the resource's table shows the table as the migrations build it",
            "ok - a quick fix makes `create table` idempotent",
        ] {
            assert!(seen.contains(step), "{what}: missing `{step}` in:\n{seen}");
        }
    }

    let Some(_tmux) = support::external_tool("tmux", &[]) else {
        return;
    };
    let (_dir, project) = demo_copy();
    let out = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(e2e("neovim-screen.sh"));
    cmd.env("E2E_PROJECT", &project)
        .env("E2E_NVIM", &nvim)
        .env("E2E_SERVER", server())
        .env("E2E_CONFIG", &config)
        .env("E2E_OUT", out.path());
    run_with_timeout("neovim screen", cmd, Duration::from_secs(60), &[]);
    keep_screenshot(out.path(), "neovim.txt");
}

#[test]
fn helix_shows_the_servers_diagnostics() {
    let Some(hx) = tool("hx", "bin/hx") else {
        return;
    };
    let Some(_tmux) = support::external_tool("tmux", &[]) else {
        return;
    };
    let (_dir, project) = demo_copy();
    let out = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(e2e("helix.sh"));
    cmd.env("E2E_PROJECT", &project)
        .env("E2E_HX", &hx)
        .env("E2E_SERVER", server())
        .env(
            "E2E_CONFIG",
            support::repo_path("editors/helix/languages.toml"),
        )
        .env("E2E_OUT", out.path());
    let seen = run_with_timeout("helix", cmd, Duration::from_secs(60), &[]);
    for step in [
        "ok - hx --health finds ecto-ash-lsp for elixir",
        "ok - ]d shows the missing-column diagnostic on line 39",
    ] {
        assert!(seen.contains(step), "missing `{step}` in:\n{seen}");
    }
    keep_screenshot(out.path(), "helix.txt");
}

#[test]
fn vscode_shows_problems_hover_and_applies_a_quick_fix() {
    let Some(node) = cached("bin/node") else {
        return;
    };
    let Some(code_server) = cached("code-server/node_modules/code-server/out/node/entry.js") else {
        return;
    };
    let Some(playwright) = cached("code-server/node_modules/playwright-core") else {
        return;
    };
    let Some(chromium) = support::external_tool("chromium", &[]) else {
        return;
    };
    let Some(_npm) = support::external_tool("npm", &[]) else {
        return;
    };

    let work = tempfile::tempdir().expect("tempdir");
    let vsix = work.path().join("ecto-ash-lsp.vsix");
    let mut build = Command::new(support::repo_path("editors/vscode/build.sh"));
    build.arg(&vsix);
    run_with_timeout("vscode build.sh", build, Duration::from_secs(240), &[]);
    assert!(vsix.is_file(), "build.sh wrote no .vsix");

    let (_dir, project) = demo_copy();
    let out = work.path().join("out");
    let pidfile = work.path().join("code-server.pid");
    let mut cmd = Command::new(&node);
    cmd.arg(e2e("vscode.mjs"))
        .env("E2E_PROJECT", &project)
        .env("E2E_SERVER", server())
        .env("E2E_VSIX", &vsix)
        .env("E2E_CODE_SERVER", &code_server)
        .env("E2E_PLAYWRIGHT", &playwright)
        .env("E2E_CHROMIUM", &chromium)
        .env("E2E_OUT", &out)
        .env("E2E_PIDFILE", &pidfile)
        .env("E2E_TIMEOUT_MS", "240000");
    let seen = run_with_timeout("vscode", cmd, Duration::from_secs(270), &[&pidfile]);
    for step in [
        "ok - the Problems panel shows the demo's missing-column diagnostic",
        "ok - hover on the resource's module shows its table",
        "ok - a quick fix makes `create table` idempotent",
        "ok - Generate idempotent migration writes a new migration for the resource",
    ] {
        assert!(seen.contains(step), "missing `{step}` in:\n{seen}");
    }
    keep_screenshot(&out, "vscode.png");
    keep_screenshot(&out, "vscode-quick-fix.png");
}
