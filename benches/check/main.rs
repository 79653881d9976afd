//! Cold `check` on generated monorepos at N = 1, 2, 5, 10: wall time by
//! phase (from the hidden `check --timings`), peak RSS of the child (wait4),
//! and whether the findings equal the corpus's `expected.json`. Then raw SQL
//! throughput: our recogniser on the corpus's `.sql` files against squawk
//! on the same files. Prints Markdown tables; never fails on a timing.
//!
//! `cargo bench --bench check -- [--smoke] [--scales 1,2] [--runs 3] [--squawk PATH]`

#[path = "../common/mod.rs"]
mod common;

use common::{binary, corpus_dir, ms, read_json, Options};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One cold run of `check`.
struct Run {
    wall: Duration,
    peak_rss_mb: f64,
    phases: BTreeMap<String, f64>,
    answer_ok: bool,
}

fn check_once(dir: &Path) -> Option<Run> {
    let started = Instant::now();
    let mut child = Command::new(binary())
        .args([
            "check",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--timings",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut stdout = String::new();
    let mut stderr = String::new();
    child.stdout.take()?.read_to_string(&mut stdout).ok()?;
    child.stderr.take()?.read_to_string(&mut stderr).ok()?;
    let (status, rusage) = wait4(child.id())?;
    let wall = started.elapsed();
    if status != 0 {
        eprintln!("check exited with {status}: {stderr}");
    }
    let phases = stderr
        .lines()
        .filter_map(|l| {
            let mut w = l.strip_prefix("timing ")?.split_whitespace();
            Some((w.next()?.to_string(), w.next()?.parse().ok()?))
        })
        .collect();
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_default();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for d in report["diagnostics"].as_array().into_iter().flatten() {
        *counts
            .entry(d["code"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
    }
    let expected: BTreeMap<String, u64> =
        serde_json::from_value(read_json(&dir.join("expected.json"))).unwrap_or_default();
    Some(Run {
        wall,
        peak_rss_mb: rusage.ru_maxrss as f64 / 1024.0,
        phases,
        answer_ok: counts == expected,
    })
}

/// Wait for the child and return its exit code and resource usage.
fn wait4(pid: u32) -> Option<(i32, libc::rusage)> {
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    (got == pid as libc::pid_t).then(|| (libc::WEXITSTATUS(status), usage))
}

fn main() {
    let options = Options::parse();
    println!("## Cold `check`\n");
    println!("Machine: {}\n", common::machine());
    println!(
        "| N | files | MB | wall ms | walk | read (cpu) | prefilter (cpu) | parse (cpu) | facts (cpu) | fold | checks | report | peak RSS MB | answer |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut first: Option<(f64, f64)> = None;
    for &scale in &options.scales {
        let dir = corpus_dir(scale);
        let (files, bytes) = tree_size(&dir);
        let mut runs: Vec<Run> = (0..options.runs).filter_map(|_| check_once(&dir)).collect();
        runs.sort_by_key(|r| r.wall);
        let Some(median) = runs.get(runs.len() / 2) else {
            println!("| {scale} | check did not run |");
            continue;
        };
        let phase = |name: &str| {
            median
                .phases
                .get(name)
                .map_or("?".to_string(), |v| format!("{v:.0}"))
        };
        println!(
            "| {scale} | {files} | {:.1} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {} |",
            bytes as f64 / 1_048_576.0,
            ms(median.wall),
            phase("walk"),
            phase("read"),
            phase("prefilter"),
            phase("parse"),
            phase("facts"),
            phase("fold"),
            phase("checks"),
            phase("report"),
            median.peak_rss_mb,
            if runs.iter().all(|r| r.answer_ok) {
                "ok"
            } else {
                "WRONG"
            }
        );
        match first {
            None => first = Some((ms(median.wall), median.peak_rss_mb)),
            Some((t1, m1)) => eprintln!(
                "N={scale}: {:.1}× the time and {:.1}× the memory of N={}",
                ms(median.wall) / t1,
                median.peak_rss_mb / m1,
                options.scales.first().copied().unwrap_or(1.0)
            ),
        }
    }
    sql_throughput(&options);
}

/// Files and bytes under `dir` (the corpus, without its `sql/` copy).
fn tree_size(dir: &Path) -> (usize, u64) {
    let mut stack = vec![dir.to_path_buf()];
    let (mut files, mut bytes) = (0, 0);
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path
                    .file_name()
                    .is_some_and(|n| n != "sql" && n != "throughput")
                {
                    stack.push(path);
                }
            } else {
                files += 1;
                bytes += entry.metadata().map_or(0, |m| m.len());
            }
        }
    }
    (files, bytes)
}

fn sql_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "sql") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Raw SQL of the corpus: our recogniser against squawk's CLI on the same
/// files, one process each for all of them (like a CI run over migration
/// folders). The `execute` strings are copied into as many folders as make
/// at least 1 MB, so process startup, timed separately on an empty file,
/// does not dominate.
fn sql_throughput(options: &Options) {
    let scale = options.scales.iter().copied().fold(0.0, f64::max);
    let dir = corpus_dir(scale);
    let sources = sql_files(&dir.join("sql"));
    let texts: Vec<String> = sources
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect();
    let once: usize = texts.iter().map(String::len).sum();
    let copies = if options.smoke {
        1
    } else {
        (1usize << 20).div_ceil(once.max(1))
    };
    let work = dir.join("throughput");
    let _ = std::fs::remove_dir_all(&work);
    let mut files = Vec::new();
    for copy in 0..copies {
        let folder = work.join(format!("{copy:03}"));
        let _ = std::fs::create_dir_all(&folder);
        for (i, t) in texts.iter().enumerate() {
            let file = folder.join(format!("{i:05}.sql"));
            if std::fs::write(&file, t).is_ok() {
                files.push(file);
            }
        }
    }
    let empty = work.join("empty.sql");
    let _ = std::fs::write(&empty, "");
    let bytes = once * copies;
    let mb = bytes as f64 / 1_048_576.0;
    println!("\n## Raw SQL throughput\n");
    println!(
        "The {} `execute` strings of the N={scale} corpus (interpolations resolved) as `.sql` files, {copies} copies: {} files, {:.2} MB.\n",
        texts.len(),
        files.len(),
        mb
    );
    println!("| tool | what is timed | wall ms | startup ms | MB/s (without startup) |");
    println!("|---|---|---|---|---|");
    let started = Instant::now();
    let statements: usize = (0..copies)
        .flat_map(|_| texts.iter())
        .map(|t| ecto_ash_lsp::syntax::sql::parse_sql(t).len())
        .sum();
    let wall = started.elapsed();
    println!(
        "| ecto-ash-lsp recogniser | `parse_sql` in process, text already read ({statements} statements) | {:.1} | – | {:.1} |",
        ms(wall),
        mb / wall.as_secs_f64().max(1e-6)
    );
    let ours = [binary().into_os_string(), "parse-sql".into()];
    row(
        "ecto-ash-lsp",
        "`ecto-ash-lsp parse-sql FILES…` (hidden)",
        &ours,
        &files,
        &empty,
        mb,
    );
    match squawk(options) {
        Some(squawk) => row(
            "squawk",
            "`squawk FILES…` (its lint rules run too)",
            &[squawk.into_os_string()],
            &files,
            &empty,
            mb,
        ),
        None => println!("| squawk | not installed (scripts/bench.sh installs it) | | | |"),
    }
}

/// Time `command FILES…` and `command EMPTY` (startup).
fn row(
    tool: &str,
    what: &str,
    command: &[std::ffi::OsString],
    all: &[PathBuf],
    empty: &Path,
    mb: f64,
) {
    let time = |files: &[&Path]| {
        let (program, args) = command.split_first()?;
        let started = Instant::now();
        Command::new(program)
            .args(args)
            .args(files)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        Some(started.elapsed())
    };
    // The best of three: startup varies with the page cache.
    let best = |files: &[&Path]| (0..3).filter_map(|_| time(files)).min();
    let all: Vec<&Path> = all.iter().map(PathBuf::as_path).collect();
    match (best(&all), best(&[empty])) {
        (Some(wall), Some(startup)) => println!(
            "| {tool} | {what} | {:.1} | {:.1} | {:.1} |",
            ms(wall),
            ms(startup),
            mb / wall.saturating_sub(startup).as_secs_f64().max(1e-6)
        ),
        _ => println!("| {tool} | could not run | | | |"),
    }
}

fn squawk(options: &Options) -> Option<PathBuf> {
    if let Some(p) = &options.squawk {
        return Some(p.clone());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("squawk"))
            .find(|p| p.is_file())
    })
}
