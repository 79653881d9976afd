//! Writes a generated Mix monorepo for benchmarks and round-trip tests.
//!
//! ```text
//! cargo run --release --example gen-project -- --scale N OUT
//! ```
//!
//! `N` is a positive number: `1` is one project of 150 migrations, 150
//! resources and 1,500 other modules (~12 MB); `10` is ten such projects;
//! a fraction below 1 (e.g. `0.1`) shrinks the one project, keeping every
//! kind of planted finding. The same `N` always writes the same bytes.
//! `OUT` must be absent or empty. Besides the projects, `OUT` gets
//! `expected.json` (finding code → count that `check` must report),
//! `corpus.json` (what is where: the 72 KB migration, the resource whose edit
//! changes findings in other files, the SQL folder) and `sql/` (every raw SQL
//! string of the migrations as a `.sql` file, interpolations resolved).

mod corpus;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: gen-project --scale N OUT";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut scale = None;
    let mut out = None;
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        if arg == "--scale" {
            i += 1;
            scale = args.get(i).and_then(|s| s.parse::<f64>().ok());
            if scale.is_none() {
                eprintln!("--scale needs a positive number\n{USAGE}");
                return ExitCode::from(2);
            }
        } else if let Some(s) = arg.strip_prefix("--scale=") {
            scale = s.parse::<f64>().ok();
        } else if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        } else if out.is_none() {
            out = Some(PathBuf::from(arg));
        } else {
            eprintln!("unexpected argument {arg}\n{USAGE}");
            return ExitCode::from(2);
        }
        i += 1;
    }
    let (Some(scale), Some(out)) = (scale, out) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if !(scale > 0.0 && scale <= 1000.0) {
        eprintln!("--scale must be above 0 and at most 1000");
        return ExitCode::from(2);
    }
    if std::fs::read_dir(&out).is_ok_and(|mut d| d.next().is_some()) {
        eprintln!("{} is not empty", out.display());
        return ExitCode::from(2);
    }
    match corpus::generate(&out, scale) {
        Ok(summary) => {
            eprintln!(
                "wrote {} files ({:.1} MB) to {}: {} projects, {} migrations, {} resources",
                summary.files,
                summary.bytes as f64 / 1_048_576.0,
                out.display(),
                summary.projects,
                summary.migrations,
                summary.resources
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("writing {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}
