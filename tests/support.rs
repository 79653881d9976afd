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
