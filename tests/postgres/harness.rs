//! A throwaway PostgreSQL for the tests: `initdb` into a temporary folder,
//! the server on a Unix socket in that folder (no TCP), one fresh database
//! per test. The cluster lives while any test holds a [`Database`] and is
//! stopped (`pg_ctl stop -m immediate`) and removed when the last one is
//! dropped, panics included. As root (CI containers) the server runs as the
//! `postgres` user Debian's package creates, since `initdb` refuses root.

use ecto_ash_lsp::model::analysis::Analysis;
use ecto_ash_lsp::model::ecto_sql::{render, RenderSettings, StatementSql, Way};
use ecto_ash_lsp::model::workspace::Workspace;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::support::external_tool;

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A running server; stopped and deleted on drop.
pub struct Cluster {
    dir: PathBuf,
    psql: PathBuf,
    pg_ctl: PathBuf,
    /// `Some("postgres")` when the server runs as that user (we are root).
    run_as: Option<String>,
}

static CLUSTER: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// One empty database of the shared cluster, or `None` (skipped with a
/// message) when PostgreSQL is not installed outside CI.
pub fn database() -> Option<Database> {
    let cluster = {
        let mut shared = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
        match shared.upgrade() {
            Some(c) => c,
            None => {
                let c = Arc::new(Cluster::start()?);
                *shared = Arc::downgrade(&c);
                c
            }
        }
    };
    let name = format!(
        "t{}_{}",
        std::process::id(),
        DATABASES.fetch_add(1, Ordering::SeqCst)
    );
    cluster
        .run("postgres", &format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    Some(Database { cluster, name })
}

impl Cluster {
    fn start() -> Option<Cluster> {
        let pg_ctl = external_tool("pg_ctl", &[&format!("{PG_BIN}/pg_ctl")])?;
        let initdb = external_tool("initdb", &[&format!("{PG_BIN}/initdb")])?;
        let psql = external_tool("psql", &[&format!("{PG_BIN}/psql")])?;
        let root = is_root();
        let run_as = root.then(|| "postgres".to_string());
        let dir = std::env::temp_dir().join(format!(
            "ecto-ash-lsp-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).expect("create the cluster folder");
        let cluster = Cluster {
            dir,
            psql,
            pg_ctl,
            run_as,
        };
        if let Some(user) = &cluster.run_as {
            ok(
                Command::new("chown")
                    .arg(format!("{user}:"))
                    .arg(&cluster.dir)
                    .output(),
                "chown the cluster folder",
            );
        }
        let data = cluster.dir.join("data");
        ok(
            cluster
                .as_server_user(&initdb)
                .args([
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                    "-D",
                ])
                .arg(&data)
                .output(),
            "initdb",
        );
        let options = format!(
            "-k {} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            cluster.dir.display()
        );
        ok(
            cluster
                .as_server_user(&cluster.pg_ctl)
                .args(["-w", "-t", "60", "-D"])
                .arg(&data)
                .arg("-l")
                .arg(cluster.dir.join("server.log"))
                .args(["-o", &options, "start"])
                .stdout(Stdio::null())
                .output(),
            "pg_ctl start",
        );
        Some(cluster)
    }

    /// `program` run as the server's user.
    fn as_server_user(&self, program: &Path) -> Command {
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        }
    }

    /// Run `sql` in database `db`: stdout, or the error with its SQLSTATE.
    pub fn run(&self, db: &str, sql: &str) -> Result<String, SqlError> {
        use std::io::Write;
        let mut child = Command::new(&self.psql)
            .args(["-X", "-q", "-A", "-t", "-F", "\t"])
            .args(["-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose"])
            .arg("-h")
            .arg(&self.dir)
            .args(["-U", "postgres", "-d", db])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("psql starts");
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(sql.as_bytes()).expect("write SQL to psql");
        }
        let out = child.wait_with_output().expect("psql runs");
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let message = String::from_utf8_lossy(&out.stderr).into_owned();
        Err(SqlError {
            sqlstate: sqlstate(&message),
            message,
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .as_server_user(&self.pg_ctl)
            .args(["-D"])
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn ok(out: std::io::Result<Output>, what: &str) {
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("{what} did not run: {e}"),
    }
}

/// `ERROR:  42P07: relation "x" already exists` → `42P07`.
fn sqlstate(message: &str) -> Option<String> {
    let rest = message.split("ERROR:").nth(1)?.trim_start();
    let code: String = rest.chars().take(5).collect();
    (code.len() == 5 && rest.get(5..)?.starts_with(':')).then_some(code)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub sqlstate: Option<String>,
    pub message: String,
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A database of its own for one test.
pub struct Database {
    cluster: Arc<Cluster>,
    name: String,
}

/// One rendered statement of a migration and what running it did.
pub struct Applied {
    pub file: String,
    pub statement: StatementSql,
    /// `None` when it was not run (it could not be rendered).
    pub outcome: Option<Result<String, SqlError>>,
}

impl Database {
    /// A new database of the same cluster holding a copy of this one
    /// (`CREATE DATABASE … TEMPLATE`): cheaper than applying a chain again.
    pub fn copy(&self) -> Database {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            DATABASES.fetch_add(1, Ordering::SeqCst)
        );
        self.cluster
            .run(
                "postgres",
                &format!("CREATE DATABASE {name} TEMPLATE {}", self.name),
            )
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} TEMPLATE {}: {e}", self.name));
        Database {
            cluster: self.cluster.clone(),
            name,
        }
    }

    pub fn run(&self, sql: &str) -> Result<String, SqlError> {
        self.cluster.run(&self.name, sql)
    }

    /// Rows of a query, each split on tabs.
    pub fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let out = self
            .run(sql)
            .unwrap_or_else(|e| panic!("query failed: {e}\n{sql}"));
        out.lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect()
    }

    /// Apply one migration file's `up` SQL as `ecto-ash-lsp sql` renders it,
    /// statement by statement; what cannot be rendered is left out.
    pub fn apply_migration(&self, ws: &Workspace, analysis: &Analysis, rel: &str) -> Vec<Applied> {
        let file = ws
            .files
            .get(rel)
            .unwrap_or_else(|| panic!("{rel} is indexed"));
        let facts = file
            .migration()
            .unwrap_or_else(|| panic!("{rel} is a migration"));
        let settings = RenderSettings::of_file(ws, analysis, rel);
        render(&file.text, facts, Way::Up, &settings)
            .into_iter()
            .map(|statement| {
                let outcome = statement.sql.as_ref().ok().map(|sqls| {
                    self.run(&sqls.iter().map(|s| format!("{s};\n")).collect::<String>())
                });
                Applied {
                    file: rel.to_string(),
                    statement,
                    outcome,
                }
            })
            .collect()
    }

    /// Apply every migration of every repo, in version order.
    pub fn apply_chain(&self, ws: &Workspace, analysis: &Analysis) -> Vec<Applied> {
        let mut out = Vec::new();
        for model in &analysis.models {
            for rel in &model.migrations {
                out.extend(self.apply_migration(ws, analysis, rel));
            }
        }
        out
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = self.cluster.run(
            "postgres",
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}
