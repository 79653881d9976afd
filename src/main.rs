//! `ecto-ash-lsp`: argument parsing, then hand over to `cli` or `lsp`.

use clap::{Parser, Subcommand, ValueEnum};
use ecto_ash_lsp::checks::Severity;
use ecto_ash_lsp::cli::{self, CheckFormat, CheckOptions, FailOn};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "ecto-ash-lsp",
    version,
    about = "Static checker and language server for Ecto migrations and Ash resources",
    long_about = "Reads migrations, Ash resources and Ecto schemas without compiling or running \
                  the project, folds the migrations into a model of the database, and reports drift, \
                  migrations that are not safe to re-run, and collisions.\n\n\
                  Run `ecto-ash-lsp rules` for the rule list."
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Index PATH and print findings.
    #[command(after_long_help = ecto_ash_lsp::checks::rules::help_text())]
    Check {
        /// A Mix project, an umbrella, or any folder above them.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// The lowest severity that makes the exit code 1.
        #[arg(long, value_enum, default_value_t = FailLevel::Error)]
        fail_on: FailLevel,
        /// Report only findings not accepted in this baseline file.
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// Accept every current finding: write them to the --baseline FILE and exit 0.
        #[arg(long, requires = "baseline", conflicts_with = "changed_since")]
        write_baseline: bool,
        /// Report only findings that files changed since this git revision concern
        /// (committed, staged, unstaged or untracked changes).
        #[arg(long, value_name = "REV")]
        changed_since: Option<String>,
        /// Print phase timings on standard error (for the benchmarks).
        #[arg(long, hide = true)]
        timings: bool,
    },
    /// Print the indexed model: tables folded from migrations, resources, and how they link.
    Schema {
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, value_enum, default_value_t = SchemaFormat::Json)]
        format: SchemaFormat,
    },
    /// Print the rule table (code, default severity, summary).
    Rules,
    /// Recognise the raw SQL of each FILE (benchmarks compare throughput with other linters).
    #[command(hide = true)]
    ParseSql { files: Vec<PathBuf> },
    /// Serve the Language Server Protocol over stdio (also what a bare `ecto-ash-lsp` does).
    Lsp,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub Actions annotations.
    Github,
}

#[derive(Clone, Copy, ValueEnum)]
enum SchemaFormat {
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailLevel {
    Error,
    Warning,
    Information,
    Hint,
    Never,
}

fn main() {
    let args = Args::parse();
    let code = match args.command {
        Some(Command::Check {
            path,
            format,
            fail_on,
            baseline,
            write_baseline,
            changed_since,
            timings,
        }) => {
            let format = match format {
                Format::Human => CheckFormat::Human,
                Format::Json => CheckFormat::Json,
                Format::Sarif => CheckFormat::Sarif,
                Format::Github => CheckFormat::Github,
            };
            let fail_on = match fail_on {
                FailLevel::Error => FailOn::At(Severity::Error),
                FailLevel::Warning => FailOn::At(Severity::Warning),
                FailLevel::Information => FailOn::At(Severity::Information),
                FailLevel::Hint => FailOn::At(Severity::Hint),
                FailLevel::Never => FailOn::Never,
            };
            let options = CheckOptions {
                baseline,
                write_baseline,
                changed_since,
                timings,
                ..CheckOptions::new(format, fail_on)
            };
            cli::check(&path, &options)
        }
        Some(Command::Schema {
            path,
            format: SchemaFormat::Json,
        }) => cli::schema(&path),
        Some(Command::Rules) => cli::rules(),
        Some(Command::ParseSql { files }) => cli::parse_sql_files(&files),
        Some(Command::Lsp) | None => ecto_ash_lsp::lsp::run_stdio(),
    };
    std::process::exit(code);
}
