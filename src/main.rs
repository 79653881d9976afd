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
        /// Apply the safe quick fixes (the editor's fix-all) to the files, print what
        /// changed on stderr, then report what is left.
        #[arg(long)]
        fix: bool,
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
    /// Print the SQL Ecto's Postgres adapter would run for the migrations.
    Sql {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Only the migration with this version (its 14-digit file name prefix).
        #[arg(long, value_name = "VERSION")]
        migration: Option<String>,
        #[arg(long, value_enum, default_value_t = SqlDirection::Up)]
        direction: SqlDirection,
    },
    /// Print (or write as a new file) an idempotent migration that brings a resource's table
    /// in line with the resource.
    Generate {
        /// The resource's module (`MyApp.Accounts.User`) or a unique suffix of it (`User`).
        resource: String,
        /// A Mix project, an umbrella, or any folder above them.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Create the migration file under the repo's migrations folder and print its path;
        /// an existing file is never overwritten.
        #[arg(long, conflicts_with = "stdout")]
        write: bool,
        /// Print the migration (the default).
        #[arg(long)]
        stdout: bool,
        /// Also change existing columns whose type or nullability differ (`modify … from:`).
        #[arg(long)]
        alter_columns: bool,
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
enum SqlDirection {
    Up,
    Down,
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
            fix,
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
                fix,
                timings,
                ..CheckOptions::new(format, fail_on)
            };
            cli::check(&path, &options)
        }
        Some(Command::Schema {
            path,
            format: SchemaFormat::Json,
        }) => cli::schema(&path),
        Some(Command::Sql {
            path,
            migration,
            direction,
        }) => {
            let way = match direction {
                SqlDirection::Up => ecto_ash_lsp::model::ecto_sql::Way::Up,
                SqlDirection::Down => ecto_ash_lsp::model::ecto_sql::Way::Down,
            };
            cli::sql::sql(&path, migration.as_deref(), way)
        }
        Some(Command::Generate {
            resource,
            path,
            write,
            stdout: _,
            alter_columns,
        }) => {
            let output = if write {
                cli::generate::Output::Write
            } else {
                cli::generate::Output::Stdout
            };
            let options = ecto_ash_lsp::ide::generate::GenerateOptions {
                alter_columns,
                ..ecto_ash_lsp::ide::generate::GenerateOptions::now()
            };
            cli::generate::generate(&resource, &path, output, &options)
        }
        Some(Command::Rules) => cli::rules(),
        Some(Command::ParseSql { files }) => cli::parse_sql_files(&files),
        Some(Command::Lsp) | None => ecto_ash_lsp::lsp::run_stdio(),
    };
    std::process::exit(code);
}
