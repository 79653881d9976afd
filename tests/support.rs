//! Fixtures in the rust-analyzer style: one string holds several files, each
//! starting with a `//- /path/to/file.ex` line. Shared by the test crates.
#![allow(dead_code)]

use ecto_ash_lsp::checks::{self, Finding};
use ecto_ash_lsp::model::analysis::{analyze, Analysis};
use ecto_ash_lsp::model::workspace::Workspace;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Split a fixture into (relative path, text) pairs.
pub fn files(fixture: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in fixture.split_inclusive('\n') {
        if let Some(path) = line.trim_start().strip_prefix("//- /") {
            out.push((path.trim().to_string(), String::new()));
            continue;
        }
        if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
        }
    }
    // Fixture bodies are indented like the Rust around them: strip the
    // common indentation of each file.
    out.into_iter().map(|(p, t)| (p, dedent(&t))).collect()
}

fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|l| {
            if l.len() >= indent {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// A fixture indexed in memory.
pub struct Indexed {
    pub ws: Workspace,
    pub analysis: Analysis,
    pub findings: Vec<Finding>,
}

pub fn index(fixture: &str) -> Indexed {
    let ws = Workspace::from_memory(Path::new("/fixture"), files(fixture))
        .expect("fixture config parses");
    let analysis = analyze(&ws);
    let findings = checks::run(&ws, &analysis);
    Indexed {
        ws,
        analysis,
        findings,
    }
}

impl Indexed {
    /// Findings of one code as `file:line: message` (1-based lines).
    pub fn of(&self, code: &str) -> Vec<String> {
        self.findings
            .iter()
            .filter(|f| f.code() == code)
            .map(|f| {
                let line = self
                    .ws
                    .files
                    .get(&f.file)
                    .map(|file| file.lines.line_of(f.span.start) + 1)
                    .unwrap_or(0);
                format!("{}:{line}: {}", f.file, f.message)
            })
            .collect()
    }

    /// The source text a finding of `code` points at (its first one).
    pub fn text_at(&self, code: &str) -> Option<String> {
        let f = self.findings.iter().find(|f| f.code() == code)?;
        let file = self.ws.files.get(&f.file)?;
        file.text.get(f.span.clone()).map(str::to_string)
    }

    pub fn codes(&self) -> Vec<&'static str> {
        self.findings.iter().map(|f| f.code()).collect()
    }
}

/// The repository's own folder (for the bundled demo and fixtures).
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Run the real binary, in `dir` when given, with the machine's git
/// configuration and forced colour kept out.
pub fn run_in(dir: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ecto-ash-lsp"));
    cmd.args(args)
        .env_remove("CLICOLOR_FORCE")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.output().expect("the binary runs")
}

pub fn run(args: &[&str]) -> Output {
    run_in(None, args)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Write a fixture's files below `dir`.
pub fn write_fixture(dir: &Path, fixture: &str) {
    for (rel, text) in files(fixture) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
}

/// An outside program a test needs (elixir, pg_ctl, nvim…), found on PATH or
/// at one of `extra` paths. Missing, the test is skipped with a message, but
/// under `ECTO_ASH_LSP_CI=1` (set by `.ci/run`, which installs them) a
/// missing tool fails the test instead of hiding it.
pub fn external_tool(name: &str, extra: &[&str]) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    let found = on_path.or_else(|| extra.iter().map(PathBuf::from).find(|p| p.is_file()));
    if found.is_none() {
        if std::env::var("ECTO_ASH_LSP_CI").as_deref() == Ok("1") {
            panic!("`{name}` is required under ECTO_ASH_LSP_CI=1 (.ci/run installs it)");
        }
        eprintln!("skipped: `{name}` is not installed (./.ci/run installs it)");
    }
    found
}

/// Assert that `code` is Elixir that `Code.string_to_quoted!/1` parses and
/// `Code.format_string!/1` leaves unchanged. Runs only our own generated
/// text through Debian's `elixir`, never a user's project. Skipped (see
/// [`external_tool`]) when elixir is absent.
pub fn assert_elixir_formatted(code: &str) {
    let Some(elixir) = external_tool("elixir", &[]) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("generated.exs");
    std::fs::write(&file, code).expect("write");
    let script = r#"
        [path] = System.argv()
        code = File.read!(path)
        Code.string_to_quoted!(code)
        formatted = IO.iodata_to_binary([Code.format_string!(code), "\n"])
        if formatted != code do
          IO.puts(:stderr, "not mix-format output; the formatter gives:\n" <> formatted)
          System.halt(1)
        end
    "#;
    let out = Command::new(elixir)
        .args(["-e", script, "--"])
        .arg(&file)
        .output()
        .expect("elixir runs");
    assert!(
        out.status.success(),
        "generated Elixir is not parsed or not formatted:\n{code}\n---\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What `import_deps: [:ecto_sql]` lets a project's `.formatter.exs` keep
/// without parentheses (ecto_sql's exported `locals_without_parens`).
pub const ECTO_SQL_LOCALS_WITHOUT_PARENS: &str = "[add: 2, add: 3, add_if_not_exists: 2, add_if_not_exists: 3, alter: 2, create: 1, create: 2, create_if_not_exists: 1, create_if_not_exists: 2, drop: 1, drop: 2, drop_if_exists: 1, drop_if_exists: 2, execute: 1, execute: 2, modify: 2, modify: 3, remove: 1, remove: 2, remove: 3, remove_if_exists: 2, rename: 2, rename: 3, timestamps: 1]";

/// [`assert_elixir_formatted`] for migrations, as `mix format` sees them in
/// a project that imports ecto_sql's formatter settings; several files are
/// checked in one run of `elixir`.
pub fn assert_migrations_formatted(files: &[(String, String)]) {
    let Some(elixir) = external_tool("elixir", &[]) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut paths = Vec::new();
    for (i, (_, code)) in files.iter().enumerate() {
        let file = dir.path().join(format!("m{i}.exs"));
        std::fs::write(&file, code).expect("write");
        paths.push(file);
    }
    let script = format!(
        r#"
        bad =
          for path <- System.argv(), reduce: [] do
            acc ->
              code = File.read!(path)
              Code.string_to_quoted!(code)
              formatted = IO.iodata_to_binary([Code.format_string!(code, locals_without_parens: {ECTO_SQL_LOCALS_WITHOUT_PARENS}), "\n"])
              if formatted == code, do: acc, else: [{{path, formatted}} | acc]
          end
        for {{path, formatted}} <- bad do
          IO.puts(:stderr, path <> ": not mix-format output; the formatter gives:\n" <> formatted)
        end
        if bad != [], do: System.halt(1)
    "#
    );
    let out = Command::new(elixir)
        .args(["-e", &script, "--"])
        .args(&paths)
        .output()
        .expect("elixir runs");
    let names: Vec<String> = files
        .iter()
        .enumerate()
        .map(|(i, (name, _))| format!("m{i}.exs = {name}"))
        .collect();
    assert!(
        out.status.success(),
        "edited migrations are not parsed or not formatted ({}):\n{}",
        names.join(", "),
        String::from_utf8_lossy(&out.stderr)
    );
}
