//! The generated monorepo: Mix projects with migrations (Ecto DSL and raw
//! SQL), Ash resources (direct, through a base module's `__using__` macro,
//! AshCloak, multitenant with tenant migrations), resource snapshots, many
//! plain modules, and planted findings whose counts go to `expected.json`.
//!
//! Shared by the `gen-project` example, the benchmarks and the round-trip
//! tests (included with `#[path]`), so it depends on `serde_json` only.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Bytes of the one large migration every project has.
pub const LARGE_MIGRATION_BYTES: usize = 72 * 1024;

const PROJECT_NAMES: &[&str] = &[
    "core", "billing", "ingest", "notify", "search", "reports", "identity", "catalog", "ledger",
    "gateway",
];

/// What was written, for the caller's message and the benchmarks.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub projects: usize,
    pub migrations: usize,
    pub resources: usize,
    pub files: usize,
    pub bytes: usize,
    /// Finding code → how many `check` must report.
    pub expected: BTreeMap<String, usize>,
    /// The 72 KB migration of the first project, relative to OUT.
    pub large_migration: String,
    /// A resource of the first project whose edit changes findings in other files.
    pub linked_resource: String,
    /// Line (0-based) and byte column in `linked_resource` just after
    /// `attribute :field_1`, where typing a character renames the attribute.
    pub linked_edit: (usize, usize),
    /// Line (0-based) and byte column in `large_migration` inside a column
    /// name of an index in the middle of the file.
    pub large_edit: (usize, usize),
    /// Bytes of raw SQL written under `sql/`.
    pub sql_bytes: usize,
}

/// A deterministic generator (xorshift64*), so a scale always gives the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// An attribute type as each layer writes it: Ash, Ecto migration, snapshot, SQL.
#[derive(Clone, Copy)]
struct ColumnType {
    ash: &'static str,
    ecto: &'static str,
    snapshot: &'static str,
    sql: &'static str,
}

const TYPES: &[ColumnType] = &[
    ColumnType {
        ash: ":string",
        ecto: ":text",
        snapshot: "text",
        sql: "text",
    },
    ColumnType {
        ash: ":integer",
        ecto: ":bigint",
        snapshot: "bigint",
        sql: "bigint",
    },
    ColumnType {
        ash: ":boolean",
        ecto: ":boolean",
        snapshot: "boolean",
        sql: "boolean",
    },
    ColumnType {
        ash: ":map",
        ecto: ":map",
        snapshot: "map",
        sql: "jsonb",
    },
    ColumnType {
        ash: ":utc_datetime_usec",
        ecto: ":utc_datetime_usec",
        snapshot: "utc_datetime_usec",
        sql: "timestamp without time zone",
    },
    ColumnType {
        ash: ":decimal",
        ecto: ":decimal",
        snapshot: "decimal",
        sql: "numeric",
    },
    ColumnType {
        ash: ":date",
        ecto: ":date",
        snapshot: "date",
        sql: "date",
    },
];

const STRING: ColumnType = ColumnType {
    ash: ":string",
    ecto: ":text",
    snapshot: "text",
    sql: "text",
};

const GEN_RANDOM_UUID: &str = "fragment(\"gen_random_uuid()\")";
const UTC_NOW: &str = "fragment(\"(now() AT TIME ZONE 'utc')\")";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `use Ash.Resource` written out, table in the `platform` schema.
    Direct,
    /// `use <App>.Resource, table: "…"`: a base module's `__using__` macro.
    Based,
    /// A direct resource with an AshCloak-encrypted attribute.
    Cloaked,
    /// `strategy :context`: one table per tenant schema, made by tenant migrations.
    Tenant,
}

#[derive(Clone)]
struct Field {
    name: String,
    ty: ColumnType,
    allow_nil: bool,
}

/// Which findings a resource and its migration carry on purpose.
#[derive(Clone, Copy, Default)]
struct Plants {
    missing_column: bool,
    extra_column: bool,
    type_mismatch: bool,
    nullability: bool,
    missing_table: bool,
    identity_without_index: bool,
    belongs_to_without_fk: bool,
    unguarded_index: bool,
    hidden_drift: bool,
    stale_snapshot: bool,
    no_snapshot: bool,
    unresolved: bool,
    in_change: bool,
}

#[derive(Clone)]
struct Spec {
    i: usize,
    kind: Kind,
    table: String,
    module: String,
    domain: String,
    file: String,
    fields: Vec<Field>,
    parent: Option<usize>,
    raw_sql: bool,
    plants: Plants,
}

impl Spec {
    fn has_table(&self) -> bool {
        !self.plants.missing_table
    }
    fn schema(&self) -> Option<&'static str> {
        (self.kind != Kind::Tenant).then_some("platform")
    }
}

/// Writes files under OUT and keeps the tallies.
struct Out {
    root: PathBuf,
    summary: Summary,
}

impl Out {
    fn write(&mut self, rel: &str, text: &str) -> io::Result<()> {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, text)?;
        self.summary.files += 1;
        self.summary.bytes += text.len();
        Ok(())
    }

    fn expect(&mut self, code: &str, n: usize) {
        if n > 0 {
            *self.summary.expected.entry(code.to_string()).or_default() += n;
        }
    }

    fn sql(&mut self, name: &str, sql: &str) -> io::Result<()> {
        self.summary.sql_bytes += sql.len();
        let rel = format!("sql/{name}.sql");
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, format!("{}\n", sql.trim_end()))
    }
}

/// Write the corpus at `scale` under `out`.
pub fn generate(out: &Path, scale: f64) -> io::Result<Summary> {
    let projects = (scale.ceil() as usize).max(1);
    let fraction = scale.min(1.0);
    let mut o = Out {
        root: out.to_path_buf(),
        summary: Summary::default(),
    };
    o.write(
        "README.md",
        "# Generated monorepo\n\nWritten by `cargo run --example gen-project`; every project lives under `elixir/`.\n",
    )?;
    o.write(
        ".gitignore",
        "/elixir/*/_build/\n/elixir/*/deps/\n*.ez\nerl_crash.dump\n",
    )?;
    for p in 0..projects {
        project(&mut o, p, fraction)?;
    }
    o.summary.projects = projects;
    let expected: Value = json!(o.summary.expected);
    o.write("expected.json", &format!("{}\n", pretty(&expected)))?;
    let s = &o.summary;
    let corpus = json!({
        "scale": scale,
        "projects": projects,
        "migrations": s.migrations,
        "resources": s.resources,
        "large_migration": s.large_migration,
        "large_edit": {"line": s.large_edit.0, "character": s.large_edit.1},
        "linked_resource": s.linked_resource,
        "linked_edit": {"line": s.linked_edit.0, "character": s.linked_edit.1},
        "sql": "sql",
        "sql_bytes": s.sql_bytes,
    });
    o.write("corpus.json", &format!("{}\n", pretty(&corpus)))?;
    Ok(o.summary)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn camel(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A 14-digit migration version, `n` steps after the first.
fn version(n: usize) -> String {
    let day = n / 4;
    let (year, month, dom) = (2022 + day / 336, 1 + (day % 336) / 28, 1 + day % 28);
    let hour = 8 + (n % 4) * 2;
    let minute = (n * 7) % 60;
    format!("{year:04}{month:02}{dom:02}{hour:02}{minute:02}00")
}

const DOMAINS: &[&str] = &[
    "accounts",
    "inventory",
    "orders",
    "shipping",
    "support",
    "analytics",
    "content",
    "scheduling",
    "compliance",
    "integrations",
];

fn specs(rng: &mut Rng, module: &str, app_dir: &str, app: &str, count: usize) -> Vec<Spec> {
    let mut specs: Vec<Spec> = Vec::with_capacity(count);
    for i in 0..count {
        let kind = match i % 10 {
            8 => Kind::Based,
            9 => Kind::Tenant,
            6 => Kind::Cloaked,
            _ => Kind::Direct,
        };
        let direct = kind == Kind::Direct;
        let plants = if direct {
            Plants {
                missing_column: i % 10 == 3,
                extra_column: i % 10 == 5,
                type_mismatch: i % 10 == 7,
                nullability: i % 20 == 4,
                missing_table: i % 50 == 12,
                identity_without_index: i % 20 == 11,
                belongs_to_without_fk: i % 25 == 13,
                unguarded_index: i % 10 == 1,
                hidden_drift: i % 50 == 2,
                stale_snapshot: i % 30 == 14,
                no_snapshot: i % 40 == 10,
                unresolved: i % 25 == 7,
                in_change: i % 50 == 0,
            }
        } else {
            Plants::default()
        };
        let domain = DOMAINS[i % DOMAINS.len()];
        let (table, name) = match kind {
            Kind::Direct => (format!("things_{i}"), format!("Thing{i}")),
            Kind::Based => (format!("events_{i}"), format!("Event{i}")),
            Kind::Cloaked => (format!("credentials_{i}"), format!("Credential{i}")),
            Kind::Tenant => (format!("documents_{i}"), format!("Document{i}")),
        };
        let (module_path, file) = match kind {
            Kind::Based => (
                format!("{module}.Telemetry.{name}"),
                format!("{app_dir}/lib/{app}/telemetry/{}.ex", table),
            ),
            _ => (
                format!("{module}.{}.{name}", camel(domain)),
                format!("{app_dir}/lib/{app}/{domain}/{}.ex", table),
            ),
        };
        let n = 4 + rng.below(11);
        let mut fields: Vec<Field> = (0..n)
            .map(|j| Field {
                name: format!("field_{j}"),
                ty: if j < 2 { STRING } else { *rng.pick(TYPES) },
                allow_nil: j != 0,
            })
            .collect();
        if plants.missing_column {
            fields.push(Field {
                name: "note".into(),
                ty: STRING,
                allow_nil: true,
            });
        }
        // A belongs_to points at an earlier direct resource that has a table.
        let parent = (direct && i > 0 && (i % 4 == 1 || plants.belongs_to_without_fk))
            .then(|| {
                specs
                    .iter()
                    .rev()
                    .find(|s| s.kind == Kind::Direct && s.has_table())
                    .map(|s| s.i)
            })
            .flatten();
        let mut plants = plants;
        if parent.is_none() {
            plants.belongs_to_without_fk = false;
        }
        specs.push(Spec {
            i,
            kind,
            table,
            module: module_path,
            domain: format!("{module}.{}", camel(domain)),
            file,
            fields,
            parent,
            raw_sql: direct && i % 6 == 1,
            plants,
        });
    }
    specs
}

/// One unit of scale: the main app (snapshots tracked, migrations from
/// codegen plus hand-written ones, the large migration, the plain modules)
/// and a smaller hand-written app without snapshots, where every migration
/// must survive a re-run.
fn project(o: &mut Out, p: usize, fraction: f64) -> io::Result<()> {
    let app = match PROJECT_NAMES.get(p) {
        Some(n) => n.to_string(),
        None => format!(
            "{}_{}",
            PROJECT_NAMES[p % PROJECT_NAMES.len()],
            p / PROJECT_NAMES.len()
        ),
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (p as u64 + 1).wrapping_mul(0x1000_0000_01b3));
    let main = App {
        unit: p,
        app: app.clone(),
        resources: ((135.0 * fraction).round() as usize).max(15),
        others: ((1500.0 * fraction).round() as usize).max(20),
        tracked: true,
    };
    app_root(o, &mut rng, &main)?;
    let legacy = App {
        unit: p,
        app: format!("{app}_legacy"),
        resources: ((15.0 * fraction).round() as usize).max(8),
        others: 0,
        tracked: false,
    };
    app_root(o, &mut rng, &legacy)?;
    // No snapshots while migrations exist: the next codegen recreates everything.
    o.expect("snapshots-untracked", 1);
    Ok(())
}

struct App {
    unit: usize,
    app: String,
    resources: usize,
    others: usize,
    /// Snapshots are written (the codegen convention); otherwise hand-written.
    tracked: bool,
}

fn app_root(o: &mut Out, rng: &mut Rng, a: &App) -> io::Result<()> {
    let app = a.app.clone();
    let module = camel(&app);
    let dir = format!("elixir/{app}");
    let (resources, others) = (a.resources, a.others);

    o.write(
        &format!("{dir}/mix.exs"),
        &format!(
            "defmodule {module}.MixProject do
  use Mix.Project

  def project do
    [
      app: :{app},
      version: \"0.1.0\",
      elixir: \"~> 1.15\",
      start_permanent: Mix.env() == :prod,
      aliases: aliases(),
      deps: deps()
    ]
  end

  def application do
    [mod: {{{module}.Application, []}}, extra_applications: [:logger]]
  end

  defp deps do
    [
      {{:ash, \"~> 3.4\"}},
      {{:ash_postgres, \"~> 2.4\"}},
      {{:ash_cloak, \"~> 0.1\"}},
      {{:phoenix, \"~> 1.7\"}},
      {{:oban, \"~> 2.18\"}}
    ]
  end

  defp aliases do
    [test: [\"ash.setup --quiet\", \"test\"]]
  end
end
"
        ),
    )?;
    o.write(
        &format!("{dir}/.formatter.exs"),
        "[\n  import_deps: [:ash, :ash_postgres, :ecto, :ecto_sql, :phoenix],\n  inputs: [\"*.{ex,exs}\", \"{config,lib,test}/**/*.{ex,exs}\", \"priv/*/migrations/*.exs\"]\n]\n",
    )?;
    o.write(
        &format!("{dir}/.gitignore"),
        "/_build/\n/cover/\n/deps/\n/doc/\nerl_crash.dump\n*.ez\n/tmp/\n",
    )?;
    o.write(
        &format!("{dir}/config/config.exs"),
        &format!(
            "import Config

config :{app},
  ecto_repos: [{module}.Repo],
  ash_domains: [{domains}]

config :{app}, Oban, repo: {module}.Repo, queues: [default: 10, mailers: 5]

import_config \"#{{config_env()}}.exs\"
",
            domains = DOMAINS
                .iter()
                .map(|d| format!("{module}.{}", camel(d)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )?;
    o.write(
        &format!("{dir}/config/dev.exs"),
        &format!(
            "import Config

config :{app}, {module}.Repo,
  username: \"postgres\",
  password: \"postgres\",
  hostname: \"localhost\",
  database: \"{app}_dev\",
  pool_size: 10
"
        ),
    )?;
    o.write(
        &format!("{dir}/lib/{app}/repo.ex"),
        &format!(
            "defmodule {module}.Repo do
  use AshPostgres.Repo, otp_app: :{app}

  def installed_extensions do
    [\"ash-functions\", \"citext\"]
  end

  def min_pg_version do
    %Version{{major: 15, minor: 0, patch: 0}}
  end

  def all_tenants do
    for schema <- [\"tenant_acme\", \"tenant_globex\"], do: schema
  end
end
"
        ),
    )?;
    o.write(
        &format!("{dir}/lib/{app}/vault.ex"),
        &format!(
            "defmodule {module}.Vault do
  use Cloak.Vault, otp_app: :{app}

  @impl GenServer
  def init(config) do
    config =
      Keyword.put(config, :ciphers,
        default: {{Cloak.Ciphers.AES.GCM, tag: \"AES.GCM.V1\", key: decode_env!(\"CLOAK_KEY\")}}
      )

    {{:ok, config}}
  end

  defp decode_env!(var), do: var |> System.fetch_env!() |> Base.decode64!()
end
"
        ),
    )?;
    o.write(
        &format!("{dir}/lib/{app}/resource.ex"),
        &format!(
            "defmodule {module}.Resource do
  @moduledoc \"\"\"
  Shared shape of the telemetry resources: one row per event, in its own
  table of the `platform` schema.

      use {module}.Resource, table: \"page_views\"
  \"\"\"

  defmacro __using__(opts) do
    quote do
      use Ash.Resource,
        otp_app: :{app},
        domain: {module}.Telemetry,
        data_layer: AshPostgres.DataLayer

      postgres do
        table unquote(opts[:table])
        schema \"platform\"
        repo {module}.Repo
      end

      attributes do
        uuid_primary_key :id
        create_timestamp :inserted_at
        update_timestamp :updated_at
      end

      actions do
        defaults [:read, :destroy, create: :*]
      end
    end
  end
end
"
        ),
    )?;
    let specs = specs(rng, &module, &dir, &app, resources);
    for s in &specs {
        resource(o, &module, &app, s, &specs)?;
        expect_plants(o, s, a.tracked);
        if a.tracked {
            snapshot(o, &dir, &module, s, &specs)?;
        }
    }
    if a.tracked {
        o.write(
            &format!("{dir}/priv/resource_snapshots/repo/extensions.json"),
            "{\n  \"ash_functions_version\": 5,\n  \"installed\": [\n    \"ash-functions\",\n    \"citext\"\n  ]\n}\n",
        )?;
    }
    o.summary.resources += specs.len();
    migrations(o, &dir, &module, &app, &specs, a)?;
    domains(o, &dir, &module, &app, &specs)?;
    plain_modules(o, rng, &dir, &module, &app, others)?;
    Ok(())
}

/// The drift findings a resource's plants produce (migration-side plants
/// are counted where the migration is written).
fn expect_plants(o: &mut Out, s: &Spec, tracked: bool) {
    let p = &s.plants;
    o.expect(
        "missing-column",
        usize::from(p.missing_column && s.has_table()),
    );
    o.expect("extra-column", usize::from(p.extra_column));
    o.expect("column-type-mismatch", usize::from(p.type_mismatch));
    o.expect("nullability-mismatch", usize::from(p.nullability));
    o.expect("missing-table", usize::from(p.missing_table));
    o.expect(
        "identity-without-unique-index",
        usize::from(p.identity_without_index && s.has_table()),
    );
    o.expect(
        "belongs-to-without-foreign-key",
        usize::from(p.belongs_to_without_fk && s.has_table()),
    );
    if tracked {
        o.expect("stale-snapshot", usize::from(p.stale_snapshot));
        o.expect(
            "codegen-would-recreate",
            usize::from(p.no_snapshot && s.has_table()),
        );
    } else {
        o.expect("codegen-would-recreate", usize::from(s.has_table()));
    }
}

fn domains(o: &mut Out, dir: &str, module: &str, app: &str, specs: &[Spec]) -> io::Result<()> {
    let mut by_domain: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in specs {
        let d = if s.kind == Kind::Based {
            "telemetry"
        } else {
            DOMAINS[s.i % DOMAINS.len()]
        };
        by_domain.entry(d).or_default().push(&s.module);
    }
    for (d, modules) in by_domain {
        let list: String = modules
            .iter()
            .map(|m| format!("    resource {m}\n"))
            .collect();
        o.write(
            &format!("{dir}/lib/{app}/{d}.ex"),
            &format!(
                "defmodule {module}.{} do
  use Ash.Domain, otp_app: :{app}

  resources do
{list}  end
end
",
                camel(d)
            ),
        )?;
    }
    Ok(())
}

fn resource(o: &mut Out, module: &str, app: &str, s: &Spec, specs: &[Spec]) -> io::Result<()> {
    let mut attrs = String::new();
    for f in &s.fields {
        let ty = if s.plants.type_mismatch && f.name == "field_1" {
            ":string"
        } else {
            f.ty.ash
        };
        if f.allow_nil {
            attrs.push_str(&format!("    attribute :{}, {ty}, public?: true\n", f.name));
        } else {
            attrs.push_str(&format!(
                "\n    attribute :{}, {ty} do\n      allow_nil? false\n      public? true\n    end\n\n",
                f.name
            ));
        }
    }
    let identity = "\n  identities do\n    identity :unique_field_0, [:field_0]\n  end\n";
    let relationships = match s.parent.and_then(|p| specs.get(p)) {
        Some(parent) => format!(
            "\n  relationships do\n    belongs_to :parent, {}, public?: true\n  end\n",
            parent.module
        ),
        None => String::new(),
    };
    let actions = "\n  actions do\n    defaults [:read, :destroy, create: :*, update: :*]\n  end\n";
    let text = match s.kind {
        Kind::Based => format!(
            "defmodule {} do
  use {module}.Resource, table: \"{}\"

  attributes do
{attrs}  end
end
",
            s.module, s.table
        ),
        Kind::Tenant => format!(
            "defmodule {} do
  use Ash.Resource,
    otp_app: :{app},
    domain: {},
    data_layer: AshPostgres.DataLayer

  postgres do
    table \"{}\"
    repo {module}.Repo
  end

  multitenancy do
    strategy :context
  end

  attributes do
    uuid_primary_key :id
{attrs}
    create_timestamp :inserted_at
    update_timestamp :updated_at
  end
{identity}{actions}end
",
            s.module, s.domain, s.table
        ),
        Kind::Direct | Kind::Cloaked => {
            let (ext, cloak, secret) = if s.kind == Kind::Cloaked {
                (
                    ",\n    extensions: [AshCloak]",
                    format!("\n  cloak do\n    vault {module}.Vault\n    attributes [:secret_token]\n  end\n"),
                    "    attribute :secret_token, :string, sensitive?: true, public?: false\n",
                )
            } else {
                ("", String::new(), "")
            };
            format!(
                "defmodule {} do
  @moduledoc \"\"\"
  {} records of the {} domain.
  \"\"\"
  use Ash.Resource,
    otp_app: :{app},
    domain: {},
    data_layer: AshPostgres.DataLayer{ext}

  postgres do
    table \"{}\"
    schema \"platform\"
    repo {module}.Repo
  end
{cloak}
  attributes do
    uuid_primary_key :id
{attrs}{secret}
    create_timestamp :inserted_at
    update_timestamp :updated_at
  end
{relationships}{identity}{actions}end
",
                s.module, s.table, s.domain, s.domain, s.table
            )
        }
    };
    let _ = app;
    o.write(&s.file, &text)
}

fn snapshot_attribute(source: &str, ty: &str, allow_nil: bool, pk: bool, default: &str) -> Value {
    json!({
        "allow_nil?": allow_nil,
        "default": default,
        "generated?": false,
        "precision": null,
        "primary_key?": pk,
        "references": null,
        "scale": null,
        "size": null,
        "source": source,
        "type": ty,
    })
}

fn snapshot(o: &mut Out, dir: &str, module: &str, s: &Spec, specs: &[Spec]) -> io::Result<()> {
    if s.plants.no_snapshot {
        return Ok(());
    }
    let mut attributes = vec![snapshot_attribute(
        "id",
        "uuid",
        false,
        true,
        GEN_RANDOM_UUID,
    )];
    let last = s.fields.len().saturating_sub(1);
    for (j, f) in s.fields.iter().enumerate() {
        // A stale snapshot predates the resource's last attribute.
        if s.plants.stale_snapshot && j == last {
            continue;
        }
        attributes.push(snapshot_attribute(
            &f.name,
            f.ty.snapshot,
            f.allow_nil,
            false,
            "nil",
        ));
    }
    if s.kind == Kind::Cloaked {
        attributes.push(snapshot_attribute(
            "encrypted_secret_token",
            "binary",
            true,
            false,
            "nil",
        ));
    }
    attributes.push(snapshot_attribute(
        "inserted_at",
        "utc_datetime_usec",
        false,
        false,
        UTC_NOW,
    ));
    attributes.push(snapshot_attribute(
        "updated_at",
        "utc_datetime_usec",
        false,
        false,
        UTC_NOW,
    ));
    if let Some(parent) = s.parent.and_then(|p| specs.get(p)) {
        let mut a = snapshot_attribute("parent_id", "uuid", true, false, "nil");
        a["references"] = json!({
            "deferrable": false,
            "destination_attribute": "id",
            "destination_attribute_default": null,
            "destination_attribute_generated": null,
            "index?": false,
            "match_type": null,
            "match_with": null,
            "multitenancy": {"attribute": null, "global": null, "strategy": null},
            "name": format!("{}_parent_id_fkey", s.table),
            "on_delete": null,
            "on_update": null,
            "primary_key?": true,
            "schema": "platform",
            "table": parent.table,
        });
        attributes.push(a);
    }
    let identities = if s.kind == Kind::Based {
        json!([])
    } else {
        json!([{
            "all_tenants?": false,
            "base_filter": null,
            "index_name": format!("{}_unique_field_0_index", s.table),
            "keys": [{"type": "atom", "value": "field_0"}],
            "name": "unique_field_0",
            "nils_distinct?": true,
            "where": null,
        }])
    };
    let tenant = s.kind == Kind::Tenant;
    let snapshot = json!({
        "attributes": attributes,
        "base_filter": null,
        "check_constraints": [],
        "custom_indexes": [],
        "custom_statements": [],
        "has_create_action": true,
        "hash": format!("{:064X}", (s.i as u128 + 1) * 0x9E37_79B9_7F4A_7C15),
        "identities": identities,
        "multitenancy": {
            "attribute": null,
            "global": if tenant { json!(false) } else { Value::Null },
            "strategy": if tenant { json!("context") } else { Value::Null },
        },
        "repo": format!("Elixir.{module}.Repo"),
        "schema": s.schema(),
        "table": s.table,
    });
    let folder = match s.kind {
        Kind::Tenant => format!("tenants/{}", s.table),
        _ => format!("platform.{}", s.table),
    };
    o.write(
        &format!(
            "{dir}/priv/resource_snapshots/repo/{folder}/{}.json",
            version(2 * s.i + 10)
        ),
        &format!("{}\n", pretty(&snapshot)),
    )
}

/// Columns of a table as `add` lines of the Ecto DSL.
fn dsl_columns(s: &Spec, specs: &[Spec], prefix: &str) -> String {
    let mut out = String::from(
        "      add :id, :uuid, null: false, default: fragment(\"gen_random_uuid()\"), primary_key: true\n",
    );
    for f in &s.fields {
        if s.plants.missing_column && f.name == "note" {
            continue;
        }
        let ty = if s.plants.type_mismatch && f.name == "field_1" {
            ":bigint"
        } else {
            f.ty.ecto
        };
        let null = if f.allow_nil || s.plants.nullability {
            ""
        } else {
            ", null: false"
        };
        out.push_str(&format!("      add :{}, {ty}{null}\n", f.name));
    }
    if s.plants.extra_column {
        out.push_str("      add :legacy_code, :text\n");
    }
    if s.kind == Kind::Cloaked {
        out.push_str("      add :encrypted_secret_token, :binary\n");
    }
    if let Some(parent) = s.parent.and_then(|p| specs.get(p)) {
        if s.plants.belongs_to_without_fk {
            out.push_str("      add :parent_id, :uuid\n");
        } else {
            out.push_str(&format!(
                "\n      add :parent_id,\n          references(:{},\n            column: :id,\n            name: \"{}_parent_id_fkey\",\n            type: :uuid,\n            prefix: {prefix}\n          )\n\n",
                parent.table, s.table
            ));
        }
    }
    out.push_str("      add :inserted_at, :utc_datetime_usec,\n        null: false,\n        default: fragment(\"(now() AT TIME ZONE 'utc')\")\n\n");
    out.push_str("      add :updated_at, :utc_datetime_usec,\n        null: false,\n        default: fragment(\"(now() AT TIME ZONE 'utc')\")\n");
    out
}

/// The same columns as a raw `CREATE TABLE` body.
fn sql_columns(s: &Spec, specs: &[Spec], prefix: &str) -> String {
    let mut cols = vec!["  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY".to_string()];
    for f in &s.fields {
        if s.plants.missing_column && f.name == "note" {
            continue;
        }
        let ty = if s.plants.type_mismatch && f.name == "field_1" {
            "bigint"
        } else {
            f.ty.sql
        };
        let null = if f.allow_nil || s.plants.nullability {
            ""
        } else {
            " NOT NULL"
        };
        cols.push(format!("  {} {ty}{null}", f.name));
    }
    if s.plants.extra_column {
        cols.push("  legacy_code text".into());
    }
    if let Some(parent) = s.parent.and_then(|p| specs.get(p)) {
        if s.plants.belongs_to_without_fk {
            cols.push("  parent_id uuid".into());
        } else {
            cols.push(format!(
                "  parent_id uuid CONSTRAINT {}_parent_id_fkey REFERENCES {prefix}.{} (id)",
                s.table, parent.table
            ));
        }
    }
    cols.push(
        "  inserted_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'utc')"
            .into(),
    );
    cols.push(
        "  updated_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'utc')"
            .into(),
    );
    cols.join(",\n")
}

/// Indent every non-empty line of `text` by `n` spaces.
fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}

/// An `execute` of a heredoc, and the SQL it runs with `@prefix` resolved.
fn execute_heredoc(sql: &str) -> String {
    format!("    execute \"\"\"\n{}    \"\"\"\n", indent(sql, 4))
}

fn resolved(sql: &str) -> String {
    sql.replace("#{@prefix}", "platform")
}

fn migrations(
    o: &mut Out,
    dir: &str,
    module: &str,
    app: &str,
    specs: &[Spec],
    a: &App,
) -> io::Result<()> {
    let tracked = a.tracked;
    let first = a.unit == 0 && a.tracked;
    let folder = format!("{dir}/priv/repo/migrations");
    let tenant_folder = format!("{dir}/priv/repo/tenant_migrations");
    let mut count = 0;
    // The schema first, then a table no resource maps to (an audit trail
    // written by triggers).
    let schema_sql = "CREATE SCHEMA IF NOT EXISTS platform";
    o.write(
        &format!("{folder}/{}_create_platform_schema.exs", version(0)),
        &format!(
            "defmodule {module}.Repo.Migrations.CreatePlatformSchema do
  use Ecto.Migration

  def up do
    execute \"{schema_sql}\"
  end

  def down do
    execute \"DROP SCHEMA IF EXISTS platform CASCADE\"
  end
end
"
        ),
    )?;
    o.sql(&format!("{app}/{}_schema", version(0)), schema_sql)?;
    let audit = "CREATE TABLE IF NOT EXISTS #{@prefix}.audit_trail (
  id bigserial PRIMARY KEY,
  table_name text NOT NULL,
  row_id uuid NOT NULL,
  action text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
  changes jsonb NOT NULL DEFAULT '{}'::jsonb,
  recorded_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);
CREATE INDEX IF NOT EXISTS audit_trail_row_id_index ON #{@prefix}.audit_trail (row_id);
";
    o.write(
        &format!("{folder}/{}_create_audit_trail.exs", version(1)),
        &format!(
            "defmodule {module}.Repo.Migrations.CreateAuditTrail do
  use Ecto.Migration

  @prefix \"platform\"

  def up do
{}  end

  def down do
    execute \"DROP TABLE IF EXISTS #{{@prefix}}.audit_trail\"
  end
end
",
            execute_heredoc(audit)
        ),
    )?;
    o.sql(
        &format!("{app}/{}_audit_trail", version(1)),
        &resolved(audit),
    )?;
    o.expect("table-without-resource", 1);
    count += 2;

    for s in specs {
        if !s.has_table() {
            continue;
        }
        let v = version(2 * s.i + 10);
        let name = format!("create_{}", s.table);
        let mname = format!("Create{}", camel(&s.table));
        if s.kind == Kind::Tenant {
            tenant_migration(o, &tenant_folder, module, s, &v)?;
            count += 1;
            continue;
        }
        let mut up = String::new();
        let mut extra_defs = String::new();
        let mut sqls: Vec<String> = Vec::new();
        let create = "create_if_not_exists";
        if s.raw_sql {
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS #{{@prefix}}.{} (\n{}\n)",
                s.table,
                sql_columns(s, specs, "#{@prefix}")
            );
            up.push_str(&execute_heredoc(&sql));
            sqls.push(sql);
            if !s.plants.identity_without_index {
                let sql = format!(
                    "CREATE UNIQUE INDEX IF NOT EXISTS {t}_unique_field_0_index ON #{{@prefix}}.{t} (field_0)",
                    t = s.table
                );
                up.push_str(&format!("\n    execute \"{sql}\"\n"));
                sqls.push(sql);
            }
            if s.plants.unguarded_index {
                let sql = format!(
                    "CREATE INDEX {t}_inserted_at_index ON #{{@prefix}}.{t} (inserted_at)",
                    t = s.table
                );
                up.push_str(&format!("\n    execute \"{sql}\"\n"));
                sqls.push(sql);
                if !tracked {
                    o.expect("non-idempotent-statement", 1);
                }
            }
        } else {
            up.push_str(&format!(
                "    {create} table(:{}, primary_key: false, prefix: @prefix) do\n{}    end\n",
                s.table,
                dsl_columns(s, specs, "@prefix")
            ));
            if s.kind != Kind::Based && !s.plants.identity_without_index {
                up.push_str(&format!(
                    "\n    {create} unique_index(:{t}, [:field_0],\n             name: \"{t}_unique_field_0_index\",\n             prefix: @prefix\n           )\n",
                    t = s.table
                ));
            }
            if s.plants.unguarded_index {
                up.push_str(&format!(
                    "\n    create index(:{}, [:inserted_at], prefix: @prefix)\n",
                    s.table
                ));
                if !tracked {
                    o.expect("non-idempotent-statement", 1);
                }
            }
        }
        if s.plants.in_change {
            // An execute/1 Ecto cannot reverse, written in change/0.
            let sql = format!(
                "CREATE INDEX IF NOT EXISTS {t}_field_1_trgm_index ON #{{@prefix}}.{t} USING gin (field_1 gin_trgm_ops)",
                t = s.table
            );
            up.push_str(&format!("\n    execute \"{sql}\"\n"));
            sqls.push(sql);
            o.expect("irreversible-idempotent-change", 1);
        }
        if s.kind == Kind::Direct && s.i % 3 == 0 && !s.plants.in_change {
            let sql = format!(
                "DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint WHERE conname = '{t}_field_0_present'
  ) THEN
    ALTER TABLE #{{@prefix}}.{t}
      ADD CONSTRAINT {t}_field_0_present CHECK (field_0 <> '');
  END IF;
END
$$;",
                t = s.table
            );
            up.push('\n');
            up.push_str(&execute_heredoc(&sql));
            sqls.push(sql);
        }
        if s.kind == Kind::Based {
            let sql = format!(
                "SELECT create_hypertable('#{{@prefix}}.{}', 'inserted_at', if_not_exists => TRUE, migrate_data => TRUE)",
                s.table
            );
            up.push_str(&format!("\n    execute \"{sql}\"\n"));
            sqls.push(sql);
            let view = format!(
                "CREATE MATERIALIZED VIEW IF NOT EXISTS #{{@prefix}}.{t}_hourly
WITH (timescaledb.continuous) AS
SELECT time_bucket(INTERVAL '1 hour', inserted_at) AS bucket,
       count(*) AS events
FROM #{{@prefix}}.{t}
GROUP BY bucket
WITH NO DATA",
                t = s.table
            );
            up.push('\n');
            up.push_str(&execute_heredoc(&view));
            sqls.push(view);
        }
        if s.plants.unresolved {
            up.push_str(&format!(
                "\n    # The fill factor depends on where the deployment keeps its tables.\n    execute \"ALTER TABLE #{{table_prefix()}}.{} SET (fillfactor = 90)\"\n",
                s.table
            ));
            extra_defs.push_str(
                "\n  defp table_prefix, do: Application.get_env(:{app}, :table_prefix, @prefix)\n",
            );
            o.expect("unresolved", 1);
        }
        let down = if s.raw_sql {
            format!(
                "    execute \"DROP TABLE IF EXISTS #{{@prefix}}.{}\"\n",
                s.table
            )
        } else {
            let mut d = String::new();
            if s.kind == Kind::Based {
                d.push_str(&format!(
                    "    execute \"DROP MATERIALIZED VIEW IF EXISTS #{{@prefix}}.{}_hourly\"\n",
                    s.table
                ));
            }
            d.push_str(&format!(
                "    drop_if_exists table(:{}, prefix: @prefix)\n",
                s.table
            ));
            d
        };
        let body = if s.plants.in_change {
            format!("  def change do\n{up}  end\n")
        } else {
            format!("  def up do\n{up}  end\n\n  def down do\n{down}  end\n")
        };
        let text = format!(
            "defmodule {module}.Repo.Migrations.{mname} do
  use Ecto.Migration

  @prefix \"platform\"

{body}{}end
",
            extra_defs.replace("{app}", app)
        );
        o.write(&format!("{folder}/{v}_{name}.exs"), &text)?;
        for (k, sql) in sqls.iter().enumerate() {
            o.sql(&format!("{app}/{v}_{name}_{k}"), &resolved(sql))?;
        }
        count += 1;
    }

    // Re-declarations whose guard skips the new shape (hidden drift).
    let mut n = 2 * specs.len() + 20;
    for s in specs
        .iter()
        .filter(|s| s.plants.hidden_drift && s.has_table())
    {
        let v = version(n);
        n += 1;
        o.write(
            &format!("{folder}/{v}_ensure_{}.exs", s.table),
            &format!(
                "defmodule {module}.Repo.Migrations.Ensure{} do
  use Ecto.Migration

  @prefix \"platform\"

  def up do
    # Restores the table on databases restored from an old dump.
    create_if_not_exists table(:{}, primary_key: false, prefix: @prefix) do
{}      add :archived_at, :utc_datetime_usec
    end
  end

  def down do
    :ok
  end
end
",
                camel(&s.table),
                s.table,
                dsl_columns(s, specs, "@prefix")
            ),
        )?;
        o.expect("hidden-drift", 1);
        count += 1;
    }

    o.summary.migrations += count;
    if !tracked {
        return Ok(());
    }
    let (large, edit) = large_migration(module, specs);
    let large_rel = format!("{folder}/{}_tune_every_table.exs", version(n + 1));
    o.write(&large_rel, &large)?;
    o.summary.migrations += 1;
    if first {
        o.summary.large_migration = large_rel;
        o.summary.large_edit = edit;
        // The resource edited in the benchmark: a plain direct resource in the middle.
        if let Some(s) = specs
            .iter()
            .skip(specs.len() / 2)
            .chain(specs.iter())
            .find(|s| s.kind == Kind::Direct && !s.raw_sql && no_plants(&s.plants))
            .or_else(|| {
                specs.iter().find(|s| {
                    s.kind == Kind::Direct && !s.raw_sql && s.has_table() && !s.plants.type_mismatch
                })
            })
        {
            o.summary.linked_resource = s.file.clone();
            let text = std::fs::read_to_string(o.root.join(&s.file))?;
            if let Some((line, l)) = text
                .lines()
                .enumerate()
                .find(|(_, l)| l.contains("attribute :field_1,"))
            {
                let col = l.find(":field_1").unwrap_or(0) + ":field_1".len();
                o.summary.linked_edit = (line, col);
            }
        }
    }
    for (k, sql) in large_sql(&large).into_iter().enumerate() {
        o.sql(
            &format!("{app}/{}_tune_{k:03}", version(n + 1)),
            &resolved(&sql),
        )?;
    }
    Ok(())
}

fn no_plants(p: &Plants) -> bool {
    !(p.missing_column
        || p.extra_column
        || p.type_mismatch
        || p.nullability
        || p.missing_table
        || p.identity_without_index
        || p.belongs_to_without_fk
        || p.unguarded_index
        || p.hidden_drift
        || p.stale_snapshot
        || p.no_snapshot
        || p.unresolved
        || p.in_change)
}

fn tenant_migration(o: &mut Out, folder: &str, module: &str, s: &Spec, v: &str) -> io::Result<()> {
    let text = format!(
        "defmodule {module}.Repo.TenantMigrations.Create{} do
  use Ecto.Migration

  def up do
    create_if_not_exists table(:{t}, primary_key: false, prefix: prefix()) do
{}    end

    create_if_not_exists unique_index(:{t}, [:field_0],
                           name: \"{t}_unique_field_0_index\",
                           prefix: prefix()
                         )
  end

  def down do
    drop_if_exists table(:{t}, prefix: prefix())
  end
end
",
        camel(&s.table),
        dsl_columns(s, &[], "prefix()"),
        t = s.table
    );
    o.write(&format!("{folder}/{v}_create_{}.exs", s.table), &text)
}

/// The raw SQL heredocs of the large migration (for the `.sql` corpus).
fn large_sql(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("execute \"\"\"\n") {
        let after = &rest[start + "execute \"\"\"\n".len()..];
        let Some(end) = after.find("\"\"\"") else {
            break;
        };
        out.push(
            after[..end]
                .lines()
                .map(|l| l.strip_prefix("    ").unwrap_or(l))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        rest = &after[end + 3..];
    }
    out
}

/// One ~72 KB migration that tunes every platform table: guarded indexes,
/// guarded constraints in `DO $$` blocks, storage settings. Returns the
/// text and the (line, byte column) of a column name in the middle.
fn large_migration(module: &str, specs: &[Spec]) -> (String, (usize, usize)) {
    let tables: Vec<&Spec> = specs
        .iter()
        .filter(|s| s.has_table() && s.kind != Kind::Tenant && !s.raw_sql)
        .collect();
    let mut up = String::new();
    let mut down = String::new();
    // Single-column indexes first, then the same columns paired with a
    // timestamp, until the file reaches its size.
    const PAIRED: &[&str] = &["", "inserted_at", "updated_at", "id", "field_0"];
    'outer: for pair in PAIRED {
        for round in 1..15 {
            for s in &tables {
                let Some(f) = s.fields.get(round).filter(|f| f.name != "note") else {
                    continue;
                };
                let t = &s.table;
                let c = if pair.is_empty() {
                    format!(":{}", f.name)
                } else {
                    format!(":{}, :{pair}", f.name)
                };
                up.push_str(&format!(
                    "    # {t}: the admin search filters on {}.\n    create_if_not_exists index(:{t}, [{c}], prefix: @prefix)\n\n",
                    f.name
                ));
                down.push_str(&format!(
                    "    drop_if_exists index(:{t}, [{c}], prefix: @prefix)\n"
                ));
                if round == 1 && pair.is_empty() {
                    up.push_str(&execute_heredoc(&format!(
                        "DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint WHERE conname = '{t}_updated_after_inserted'
  ) THEN
    ALTER TABLE #{{@prefix}}.{t}
      ADD CONSTRAINT {t}_updated_after_inserted CHECK (updated_at >= inserted_at);
  END IF;
END
$$;"
                    )));
                    up.push_str(&format!(
                        "\n    execute \"ALTER TABLE #{{@prefix}}.{t} SET (autovacuum_vacuum_scale_factor = 0.05)\"\n\n"
                    ));
                    down.push_str(&format!(
                        "    execute \"ALTER TABLE #{{@prefix}}.{t} DROP CONSTRAINT IF EXISTS {t}_updated_after_inserted\"\n"
                    ));
                }
                if up.len() + down.len() > LARGE_MIGRATION_BYTES - 400 {
                    break 'outer;
                }
            }
        }
    }
    let head = format!(
        "defmodule {module}.Repo.Migrations.TuneEveryTable do
  @moduledoc \"\"\"
  Indexes and storage settings after the first production load test.
  Every statement is guarded, so the migration can be re-run after a restore.
  \"\"\"
  use Ecto.Migration

  @prefix \"platform\"

  def up do
"
    );
    let text = format!(
        "{head}{}  end\n\n  def down do\n{down}  end\nend\n",
        up.trim_end_matches('\n').to_string() + "\n"
    );
    // A column name of an index line in the middle of `up`.
    let lines: Vec<&str> = text.lines().collect();
    let up_lines = text[..text.find("def down").unwrap_or(text.len())]
        .lines()
        .count();
    let edit = lines
        .iter()
        .enumerate()
        .skip(up_lines / 2)
        .find_map(|(i, l)| {
            l.find("create_if_not_exists index(")
                .and_then(|_| l.find(", [:"))
                .map(|c| (i, c + ", [:".len() + 2))
        })
        .unwrap_or((0, 0));
    (text, edit)
}

const VERBS: &[&str] = &[
    "list",
    "get",
    "fetch",
    "create",
    "update",
    "archive",
    "sync",
    "refresh",
    "export",
    "import",
    "notify",
    "schedule",
    "validate",
    "summarize",
];
const NOUNS: &[&str] = &[
    "orders",
    "invoices",
    "customers",
    "shipments",
    "tickets",
    "reports",
    "documents",
    "events",
    "subscriptions",
    "accounts",
    "payments",
    "reviews",
    "webhooks",
    "exports",
];

/// A plain function of realistic shape (pattern matching, pipelines, `with`).
fn function(rng: &mut Rng, k: usize) -> String {
    let verb = rng.pick(VERBS);
    let noun = rng.pick(NOUNS);
    match rng.below(4) {
        0 => format!(
            "  @doc \"\"\"
  {verb_cap} {noun} for the given scope. Options: `:limit`, `:offset`, `:sort`.
  \"\"\"
  def {verb}_{noun}_{k}(scope, opts \\\\ []) do
    limit = Keyword.get(opts, :limit, 50)
    offset = Keyword.get(opts, :offset, 0)

    scope
    |> Map.get(:{noun}, [])
    |> Enum.filter(&visible?(&1, scope))
    |> Enum.sort_by(& &1.inserted_at, {{:desc, DateTime}})
    |> Enum.drop(offset)
    |> Enum.take(limit)
  end

",
            verb_cap = camel(verb)
        ),
        1 => format!(
            "  def {verb}_{noun}_{k}(%{{id: id}} = record, attrs) when is_map(attrs) do
    with {{:ok, params}} <- cast_params(attrs, [:name, :status, :notes]),
         {{:ok, record}} <- apply_changes(record, params),
         :ok <- audit(:{verb}, id, params) do
      {{:ok, record}}
    else
      {{:error, reason}} = error ->
        Logger.warning(\"{verb} {noun} failed for #{{id}}: #{{inspect(reason)}}\")
        error
    end
  end

"
        ),
        2 => format!(
            "  defp {verb}_{noun}_{k}(items) do
    items
    |> Enum.group_by(& &1.status)
    |> Enum.map(fn {{status, group}} ->
      total = Enum.reduce(group, Decimal.new(0), &Decimal.add(&2, &1.amount))
      %{{status: status, count: length(group), total: total}}
    end)
    |> Enum.sort_by(& &1.count, :desc)
  end

"
        ),
        _ => format!(
            "  def handle_{noun}_{k}(message, state) do
    case message do
      {{:{verb}, payload}} ->
        {{:noreply, %{{state | last: payload, count: state.count + 1}}}}

      {{:retry, attempt}} when attempt < 5 ->
        Process.send_after(self(), {{:{verb}, attempt + 1}}, :timer.seconds(attempt * 2))
        {{:noreply, state}}

      other ->
        Logger.debug(\"ignoring #{{inspect(other)}} in {noun}\")
        {{:noreply, state}}
    end
  end

"
        ),
    }
}

/// Contexts, workers, controllers and LiveViews: the bulk of a real project
/// that the checker must skip cheaply.
fn plain_modules(
    o: &mut Out,
    rng: &mut Rng,
    dir: &str,
    module: &str,
    app: &str,
    count: usize,
) -> io::Result<()> {
    o.write(
        &format!("{dir}/lib/{app}_web.ex"),
        &format!(
            "defmodule {module}Web do
  def controller do
    quote do
      use Phoenix.Controller, formats: [:html, :json]
      import Plug.Conn
    end
  end

  def live_view do
    quote do
      use Phoenix.LiveView, layout: {{{module}Web.Layouts, :app}}
    end
  end

  defmacro __using__(which) when is_atom(which) do
    apply(__MODULE__, which, [])
  end
end
"
        ),
    )?;
    for n in 0..count {
        let area = DOMAINS[n % DOMAINS.len()];
        let (rel, head, tail) = match n % 5 {
            0 => (
                format!("{dir}/lib/{app}_web/controllers/{area}/page_{n}_controller.ex"),
                format!(
                    "defmodule {module}Web.{}.Page{n}Controller do\n  use {module}Web, :controller\n\n  require Logger\n\n",
                    camel(area)
                ),
                String::new(),
            ),
            1 => (
                format!("{dir}/lib/{app}_web/live/{area}/panel_{n}_live.ex"),
                format!(
                    "defmodule {module}Web.{}.Panel{n}Live do\n  use {module}Web, :live_view\n\n  require Logger\n\n  def mount(_params, _session, socket) do\n    {{:ok, assign(socket, rows: [], page: 1)}}\n  end\n\n",
                    camel(area)
                ),
                String::new(),
            ),
            2 => (
                format!("{dir}/lib/{app}/workers/{area}_job_{n}.ex"),
                format!(
                    "defmodule {module}.Workers.{}Job{n} do\n  use Oban.Worker, queue: :default, max_attempts: 5\n\n  require Logger\n\n  @impl Oban.Worker\n  def perform(%Oban.Job{{args: args}}) do\n    Logger.info(\"running #{{inspect(args)}}\")\n    :ok\n  end\n\n",
                    camel(area)
                ),
                String::new(),
            ),
            3 => (
                format!("{dir}/lib/{app}/{area}/service_{n}.ex"),
                format!(
                    "defmodule {module}.{}.Service{n} do\n  @moduledoc \"Business rules of the {area} area.\"\n  use GenServer\n\n  require Logger\n\n  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)\n\n  @impl true\n  def init(opts), do: {{:ok, %{{opts: opts, last: nil, count: 0}}}}\n\n",
                    camel(area)
                ),
                String::new(),
            ),
            _ => {
                // Forms validate input with an embedded schema: these pass the
                // prefilter (`Ecto.Schema`) but hold no table.
                let form = n % 50 == 4;
                let head = if form {
                    format!(
                        "defmodule {module}.{}.Form{n} do\n  use Ecto.Schema\n  import Ecto.Changeset\n\n  require Logger\n\n  embedded_schema do\n    field :query, :string\n    field :page, :integer, default: 1\n  end\n\n  def changeset(form, params), do: cast(form, params, [:query, :page])\n\n",
                        camel(area)
                    )
                } else {
                    format!(
                        "defmodule {module}.{}.Query{n} do\n  @moduledoc false\n  require Logger\n\n",
                        camel(area)
                    )
                };
                (
                    format!(
                        "{dir}/lib/{app}/{area}/{}_{n}.ex",
                        if form { "form" } else { "query" }
                    ),
                    head,
                    String::new(),
                )
            }
        };
        let target = 3_000 + rng.below(9_000);
        let mut text = head;
        let mut k = 0;
        while text.len() < target {
            text.push_str(&function(rng, k));
            k += 1;
        }
        text.push_str("  defp visible?(item, scope), do: item.owner_id == scope.user_id\n");
        text.push_str(&tail);
        text.push_str("end\n");
        o.write(&rel, &text)?;
    }
    Ok(())
}
