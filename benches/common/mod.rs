//! What the benchmarks share: the generated corpora (written once under
//! `target/bench-corpus/`), the release binary, percentiles and the
//! command line every harness takes.

#![allow(dead_code)]

#[path = "../../examples/gen-project/corpus.rs"]
pub mod corpus;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The binary cargo built for this benchmark (release under `cargo bench`),
/// or `ECTO_ASH_LSP_BIN` to compare another build.
pub fn binary() -> std::path::PathBuf {
    std::env::var_os("ECTO_ASH_LSP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_ecto-ash-lsp")))
}

/// Arguments after `--`: `--smoke`, `--scales 1,2,5,10`, `--edits N`,
/// `--runs N`, `--squawk PATH`.
pub struct Options {
    pub smoke: bool,
    pub scales: Vec<f64>,
    pub edits: usize,
    pub runs: usize,
    pub squawk: Option<PathBuf>,
}

impl Options {
    pub fn parse() -> Options {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let value = |name: &str| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .cloned()
        };
        let smoke = args.iter().any(|a| a == "--smoke");
        let scales = value("--scales")
            .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
            .unwrap_or_else(|| {
                if smoke {
                    vec![1.0]
                } else {
                    vec![1.0, 2.0, 5.0, 10.0]
                }
            });
        let number = |name: &str, default: usize| {
            value(name).and_then(|v| v.parse().ok()).unwrap_or(default)
        };
        Options {
            smoke,
            scales,
            edits: number("--edits", if smoke { 20 } else { 1000 }),
            runs: number("--runs", if smoke { 1 } else { 3 }),
            squawk: value("--squawk").map(PathBuf::from),
        }
    }
}

/// The corpus at `scale`, generated on first use under the system's temp
/// folder (or `ECTO_ASH_LSP_CORPUS`): outside any git repository, whose
/// ignore rules would change the findings (`target/` is ignored here).
pub fn corpus_dir(scale: f64) -> PathBuf {
    let base = std::env::var_os("ECTO_ASH_LSP_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("ecto-ash-lsp-bench"));
    let dir = base.join(format!("scale-{scale}"));
    if !dir.join("corpus.json").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(e) = corpus::generate(&dir, scale) {
            eprintln!("generating {}: {e}", dir.display());
            std::process::exit(2);
        }
    }
    dir
}

pub fn read_json(path: &Path) -> Value {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `VmRSS` and `VmHWM` of a live process, in MB.
pub fn memory_of(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// User + system CPU time a live process has used so far (from
/// `/proc/PID/stat`): unlike wall time, it hardly moves with the load
/// other processes put on the machine.
pub fn cpu_time_of(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line (11 and 12 here).
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_micros((ticks(11) + ticks(12)) * 1_000_000 / per_second)
}

/// The machine, for the report: CPU model, cores, kernel and load.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string();
    format!("{cpu}, {cores} cores, Linux {kernel}, load {}", load())
}

/// The 1-minute load average (timings under load > 1.5 are not comparable).
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}
