//! "Generate idempotent migration" end to end: for every resource of the
//! demo and of a fixture project of varied shapes, the generated migration,
//! written into a copy and re-indexed, leaves no drift for that resource and
//! no new non-idempotent statement; every generated file is what Elixir's
//! formatter would write; and the `generate` command line.

mod support;

use ecto_ash_lsp::cli::generate::write_new_file;
use ecto_ash_lsp::ide::generate::{drift_fixes_with, find_resource, generate, GenerateOptions};
use ecto_ash_lsp::ide::Snapshot;
use ecto_ash_lsp::model::workspace::Workspace;
use std::path::Path;

/// 2026-01-02 03:04:05 UTC.
const NOW: u64 = 1_767_323_045;

/// Drift a generated migration must leave behind for its resource.
const DRIFT: &[&str] = &[
    "missing-table",
    "missing-column",
    "primary-key-mismatch",
    "identity-without-unique-index",
    "belongs-to-without-foreign-key",
];

/// Changed only with `--alter-columns`.
const COLUMN_DRIFT: &[&str] = &["nullability-mismatch", "column-type-mismatch"];

/// Several resource shapes in one project: a base module, composite and
/// integer keys, AshCloak, `:attribute` and `:context` multitenancy, an
/// Ecto schema, a repo with a `priv:` folder, one table already made.
const SHAPES: &str = r#"
//- /mix.exs
defmodule Shop.MixProject do
  use Mix.Project
end
//- /config/config.exs
import Config

config :shop, Shop.Repo, priv: "priv/data"
//- /lib/shop/repo.ex
defmodule Shop.Repo do
  use AshPostgres.Repo, otp_app: :shop
end
//- /lib/shop/base.ex
defmodule Shop.Base do
  defmacro __using__(opts) do
    quote do
      use Ash.Resource, domain: Shop.Catalog, data_layer: AshPostgres.DataLayer

      postgres do
        table unquote(opts[:table])
        repo Shop.Repo
      end

      attributes do
        uuid_primary_key :id
        create_timestamp :inserted_at
        update_timestamp :updated_at
      end
    end
  end
end
//- /lib/shop/catalog/product.ex
defmodule Shop.Catalog.Product do
  use Shop.Base, table: "products"

  attributes do
    attribute :name, :string, allow_nil?: false, public?: true
    attribute :price, :decimal, public?: true
    attribute :tags, {:array, :string}, default: [], public?: true
    attribute :active, :boolean, default: true, public?: true
  end

  identities do
    identity :unique_name, [:name]
  end
end
//- /lib/shop/catalog/price.ex
defmodule Shop.Catalog.Price do
  use Ash.Resource, domain: Shop.Catalog, data_layer: AshPostgres.DataLayer

  postgres do
    table "prices"
    repo Shop.Repo
  end

  attributes do
    attribute :product_id, :uuid, primary_key?: true, allow_nil?: false, public?: true
    attribute :currency, :string, primary_key?: true, allow_nil?: false, public?: true
    attribute :amount, :decimal, allow_nil?: false, public?: true
  end
end
//- /lib/shop/accounts/org.ex
defmodule Shop.Accounts.Org do
  use Ash.Resource, domain: Shop.Accounts, data_layer: AshPostgres.DataLayer

  postgres do
    table "orgs"
    repo Shop.Repo
  end

  attributes do
    integer_primary_key :id
    attribute :name, :string, allow_nil?: false, public?: true
    attribute :plan, :string, allow_nil?: false, default: "free", public?: true
  end
end
//- /lib/shop/accounts/member.ex
defmodule Shop.Accounts.Member do
  use Ash.Resource,
    domain: Shop.Accounts,
    data_layer: AshPostgres.DataLayer,
    extensions: [AshCloak]

  postgres do
    table "members"
    schema "accounts"
    repo Shop.Repo
  end

  cloak do
    vault Shop.Vault
    attributes [:api_secret]
  end

  multitenancy do
    strategy :attribute
    attribute :org_id
  end

  attributes do
    uuid_primary_key :id
    attribute :email, :ci_string, allow_nil?: false, public?: true
    attribute :api_secret, :string, public?: true
    attribute :role, :atom, default: :member, public?: true
    attribute :login_count, :integer, default: 0, allow_nil?: false
    timestamps()
  end

  relationships do
    belongs_to :org, Shop.Accounts.Org, allow_nil?: false
  end

  identities do
    identity :unique_email, [:email]
  end
end
//- /lib/shop/tenant/author.ex
defmodule Shop.Tenant.Author do
  use Ash.Resource, domain: Shop.Tenant, data_layer: AshPostgres.DataLayer

  postgres do
    table "authors"
    repo Shop.Repo
  end

  multitenancy do
    strategy :context
  end

  attributes do
    uuid_primary_key :id
    attribute :name, :string, allow_nil?: false
  end
end
//- /lib/shop/tenant/note.ex
defmodule Shop.Tenant.Note do
  use Ash.Resource, domain: Shop.Tenant, data_layer: AshPostgres.DataLayer

  postgres do
    table "notes"
    repo Shop.Repo
  end

  multitenancy do
    strategy :context
  end

  attributes do
    uuid_primary_key :id
    attribute :body, :string, allow_nil?: false
    create_timestamp :inserted_at
  end

  relationships do
    belongs_to :author, Shop.Tenant.Author
  end
end
//- /lib/shop/catalog/variant_option_assignment.ex
defmodule Shop.Catalog.VariantOptionAssignment do
  use Ash.Resource, domain: Shop.Catalog, data_layer: AshPostgres.DataLayer

  postgres do
    table "product_variant_option_assignments_archive"
    schema "catalog_archive_twenty_twenty_four"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :variant_identifier_in_the_source_catalog, :string, allow_nil?: false
    attribute :option_identifier_in_the_source_catalog, :string, allow_nil?: false
    attribute :warehouse_region_code, :string, allow_nil?: false
    attribute :sales_channel_code, :string, allow_nil?: false
    attribute :valid_from, :date, allow_nil?: false
    attribute :priority, :integer, allow_nil?: false, default: 100
  end

  identities do
    identity :unique_assignment_per_variant_option_region_channel_and_date, [
      :variant_identifier_in_the_source_catalog,
      :option_identifier_in_the_source_catalog,
      :warehouse_region_code,
      :sales_channel_code,
      :valid_from
    ]
  end
end
//- /lib/shop/legacy/event.ex
defmodule Shop.Legacy.Event do
  use Ecto.Schema

  schema "events" do
    field :kind, :string
    field :payload, :map
    belongs_to :org, Shop.Accounts.Org

    timestamps()
  end
end
//- /priv/data/migrations/20240101000000_create_orgs.exs
defmodule Shop.Repo.Migrations.CreateOrgs do
  use Ecto.Migration

  def change do
    create table(:orgs) do
      add :name, :text, null: false
      add :plan, :text
    end
  end
end
"#;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn load(dir: &Path) -> Snapshot {
    Snapshot::new(Workspace::load(dir).expect("the copy loads"))
}

/// Every Postgres resource module of a project.
fn modules(dir: &Path) -> Vec<String> {
    load(dir)
        .analysis
        .resources
        .iter()
        .map(|r| r.facts.module.clone())
        .collect()
}

fn count(snap: &Snapshot, code: &str) -> usize {
    snap.findings.iter().filter(|f| f.code() == code).count()
}

/// For each resource of the project in `source` (written into a fresh copy
/// by `prepare`), write its generated migration, re-index, and check what
/// is left. Returns every generated file for the formatter check.
fn round_trip(prepare: &dyn Fn(&Path), alter_columns: bool) -> Vec<String> {
    let probe = tempfile::tempdir().expect("tempdir");
    prepare(probe.path());
    let mut texts = Vec::new();
    for module in modules(probe.path()) {
        let dir = tempfile::tempdir().expect("tempdir");
        prepare(dir.path());
        let before = load(dir.path());
        let r = find_resource(&before, &module).expect("the resource");
        let options = GenerateOptions {
            alter_columns,
            ..GenerateOptions::at(NOW)
        };
        let m = generate(&before, r, &options).expect("a migration");
        write_new_file(dir.path(), &m.path, &m.text).expect("written");
        let after = load(dir.path());
        let left: Vec<String> = after
            .findings
            .iter()
            .filter(|f| f.resource.as_deref() == Some(module.as_str()))
            .filter(|f| {
                DRIFT.contains(&f.code()) || (alter_columns && COLUMN_DRIFT.contains(&f.code()))
            })
            .map(|f| format!("{}: {}", f.code(), f.message))
            .collect();
        assert_eq!(left, Vec::<String>::new(), "{module}:\n{}", m.text);
        for code in ["non-idempotent-statement", "hidden-drift", "parse-error"] {
            assert!(
                count(&after, code) <= count(&before, code),
                "{module}: a new {code}:\n{}",
                m.text
            );
        }
        let in_new_file: Vec<String> = after
            .findings
            .iter()
            .filter(|f| f.file == m.path)
            .map(|f| format!("{}: {}", f.code(), f.message))
            .collect();
        assert_eq!(in_new_file, Vec::<String>::new(), "{module}:\n{}", m.text);
        texts.push(m.text);
    }
    assert!(!texts.is_empty());
    texts
}

/// One formatter run over many modules (each run starts a VM).
fn assert_all_formatted(texts: &[String]) {
    support::assert_elixir_formatted(&texts.join("\n"));
}

fn demo(dir: &Path) {
    copy_tree(&support::repo_path("examples/demo"), dir);
}

fn shapes(dir: &Path) {
    support::write_fixture(dir, SHAPES);
}

#[test]
fn every_demo_resource_round_trips() {
    let mut texts = round_trip(&demo, false);
    texts.extend(round_trip(&demo, true));
    assert_all_formatted(&texts);
}

#[test]
fn every_shape_round_trips() {
    let mut texts = round_trip(&shapes, false);
    texts.extend(round_trip(&shapes, true));
    assert_all_formatted(&texts);
}

#[test]
fn the_shapes_land_in_the_right_folders_and_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    shapes(dir.path());
    let snap = load(dir.path());
    let of = |module: &str| {
        let r = find_resource(&snap, module).expect("the resource");
        generate(&snap, r, &GenerateOptions::at(NOW)).expect("a migration")
    };
    let note = of("Note");
    assert_eq!(
        note.path,
        "priv/data/tenant_migrations/20260102030405_create_notes.exs"
    );
    assert!(note
        .text
        .contains("create_if_not_exists table(:notes, primary_key: false, prefix: prefix()) do"));
    assert!(note.text.contains(
        "add(:author_id, references(:authors, column: :id, type: :uuid, prefix: prefix()))"
    ));
    let member = of("Member");
    assert_eq!(
        member.path,
        "priv/data/migrations/20260102030405_create_members.exs"
    );
    for line in [
        "add(:email, :citext, null: false)",
        "add(:encrypted_api_secret, :binary)",
        "add(:role, :text, default: \"member\")",
        "add(:login_count, :bigint, null: false, default: 0)",
        "add(:org_id, references(:orgs, column: :id, type: :bigint), null: false)",
        "unique_index(:members, [:org_id, :email],",
        "FOREIGN KEY (org_id) REFERENCES orgs (id);",
    ] {
        assert!(member.text.contains(line), "{line}\n{}", member.text);
    }
    let price = of("Price");
    assert!(price
        .text
        .contains("add(:product_id, :uuid, null: false, primary_key: true)"));
    assert!(price
        .text
        .contains("add(:currency, :text, null: false, primary_key: true)"));
    let event = of("Event");
    assert!(event
        .text
        .contains("add(:id, :bigserial, null: false, primary_key: true)"));
    assert!(event
        .text
        .contains("add(:inserted_at, :naive_datetime, null: false)"));
    let org = of("Org");
    assert_eq!(org.module, "Shop.Repo.Migrations.UpdateOrgs");
    assert!(org
        .text
        .contains("add_if_not_exists(:plan, :text, null: false, default: \"free\")"));
}

// --- the command line -------------------------------------------------------

#[test]
fn generate_prints_the_demo_security_event_migration() {
    let demo = support::repo_path("examples/demo");
    let demo = demo.to_str().expect("utf-8 path");
    let out = support::run(&["generate", "Demo.Platform.SecurityEvent", demo]);
    assert_eq!(out.status.code(), Some(0), "{}", support::stderr(&out));
    let text = support::stdout(&out);
    assert!(text.starts_with("defmodule Demo.Repo.Migrations.CreateSecurityEvents do\n"));
    assert!(text.contains("  @prefix \"platform\"\n"));
    assert!(text.contains(
        "create_if_not_exists table(:security_events, primary_key: false, prefix: @prefix) do"
    ));
    let suffix = support::run(&["generate", "SecurityEvent", demo, "--stdout"]);
    assert_eq!(support::stdout(&suffix), text);
}

#[test]
fn generate_write_creates_the_file_under_the_repo() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo(dir.path());
    let root = dir.path().to_str().expect("utf-8 path");
    let printed = support::run(&["generate", "SecurityEvent", root]);
    let out = support::run(&["generate", "SecurityEvent", root, "--write"]);
    assert_eq!(out.status.code(), Some(0), "{}", support::stderr(&out));
    let path = support::stdout(&out).trim().to_string();
    let name = Path::new(&path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    assert!(
        path.starts_with(&format!("{root}/priv/repo/migrations/")),
        "{path}"
    );
    assert_eq!(
        name.len(),
        "20260102030405_create_security_events.exs".len()
    );
    assert!(name.ends_with("_create_security_events.exs"));
    assert!(name
        .get(..14)
        .is_some_and(|v| v.bytes().all(|b| b.is_ascii_digit())));
    let written = std::fs::read_to_string(&path).expect("the file");
    assert_eq!(written, support::stdout(&printed));
    let check = support::run(&["check", root, "--format", "json"]);
    let report = support::stdout(&check);
    assert!(!report.contains("\"missing-table\""), "{report}");
}

#[test]
fn generate_write_refuses_an_existing_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo(dir.path());
    // Folders (not indexed as migrations) standing on every name the next
    // minute could give the file.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for second in now.saturating_sub(2)..now + 60 {
        let version = ecto_ash_lsp::ide::generate::format_version(second);
        let taken = dir.path().join(format!(
            "priv/repo/migrations/{version}_create_security_events.exs"
        ));
        std::fs::create_dir_all(taken).expect("mkdir");
    }
    let root = dir.path().to_str().expect("utf-8 path");
    let out = support::run(&["generate", "SecurityEvent", root, "--write"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        support::stderr(&out).contains("exists already; nothing written"),
        "{}",
        support::stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn generate_write_never_leaves_the_project_through_a_symlink() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    demo(dir.path());
    let migrations = dir.path().join("priv/repo/migrations");
    std::fs::remove_dir_all(&migrations).expect("rm");
    std::os::unix::fs::symlink(outside.path(), &migrations).expect("symlink");
    let root = dir.path().to_str().expect("utf-8 path");
    let out = support::run(&["generate", "SecurityEvent", root, "--write"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(support::stderr(&out).contains("outside the project"));
    assert_eq!(
        std::fs::read_dir(outside.path()).expect("read").count(),
        0,
        "nothing is written outside"
    );
    assert!(write_new_file(dir.path(), "../escape.exs", "x").is_err());
    assert!(write_new_file(dir.path(), "/etc/escape.exs", "x").is_err());
}

#[test]
fn generate_reports_unknown_and_ambiguous_resources() {
    let demo = support::repo_path("examples/demo");
    let demo = demo.to_str().expect("utf-8 path");
    let out = support::run(&["generate", "Nope", demo]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        support::stderr(&out),
        "error: no resource or schema named Nope\n"
    );
    assert_eq!(support::stdout(&out), "");

    let dir = tempfile::tempdir().expect("tempdir");
    shapes(dir.path());
    support::write_fixture(
        dir.path(),
        r#"
//- /lib/shop/legacy/org.ex
defmodule Shop.Legacy.Org do
  use Ecto.Schema

  schema "legacy_orgs" do
    field :name, :string
  end
end
"#,
    );
    let root = dir.path().to_str().expect("utf-8 path");
    let out = support::run(&["generate", "Org", root]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        support::stderr(&out),
        "error: Org names several resources: Shop.Accounts.Org, Shop.Legacy.Org\n"
    );
    let out = support::run(&["generate", "Accounts.Org", root]);
    assert_eq!(out.status.code(), Some(0), "{}", support::stderr(&out));
}

// --- drift fixes ------------------------------------------------------------

/// (code, resource, column) of every finding but `codegen-would-recreate`,
/// which any new `create` of a table without a snapshot brings.
fn finding_keys(snap: &Snapshot) -> Vec<(String, String, String)> {
    let mut keys: Vec<_> = snap
        .findings
        .iter()
        .filter(|f| f.code() != "codegen-would-recreate")
        .map(|f| {
            (
                f.code().to_string(),
                f.resource.clone().unwrap_or_default(),
                f.column.clone().unwrap_or_default(),
            )
        })
        .collect();
    keys.sort();
    keys
}

#[test]
fn every_demo_drift_fix_removes_its_finding_without_adding_another() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo(dir.path());
    let snap = load(dir.path());
    let before = finding_keys(&snap);
    let mut texts = Vec::new();
    let mut titles = Vec::new();
    for (index, finding) in snap.findings.iter().enumerate() {
        for action in drift_fixes_with(&snap, index, finding, &GenerateOptions::at(NOW)) {
            titles.push(action.title.clone());
            let copy = tempfile::tempdir().expect("tempdir");
            demo(copy.path());
            for edit in &action.edits {
                let path = copy.path().join(&edit.file);
                let mut text = std::fs::read_to_string(&path).expect("the edited file");
                let mut edits = edit.edits.clone();
                edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
                for e in edits {
                    text.replace_range(e.span.clone(), &e.new_text);
                }
                std::fs::write(&path, text).expect("write");
            }
            for new in &action.new_files {
                write_new_file(copy.path(), &new.path, &new.text).expect("a new file");
                texts.push(new.text.clone());
            }
            let fixed = (
                finding.code().to_string(),
                finding.resource.clone().unwrap_or_default(),
                finding.column.clone().unwrap_or_default(),
            );
            let mut expected = before.clone();
            expected.retain(|k| *k != fixed);
            assert_eq!(
                finding_keys(&load(copy.path())),
                expected,
                "{}",
                action.title
            );
        }
    }
    titles.sort();
    assert_eq!(
        titles,
        vec![
            "Add column last_sign_in_at in a new migration",
            "Add column unlocked_at in a new migration",
            "Add foreign key api_tokens_user_id_fkey in a new migration",
            "Add unique index users_unique_email_index in a new migration",
            "Change :core to type :string",
            "Change column core to :bigint in a new migration",
            "Create table platform.security_events in a new migration",
            "Make column failed_attempts NOT NULL in a new migration",
            "Set allow_nil? true on :failed_attempts",
        ]
    );
    assert_all_formatted(&texts);
}

// --- names from the project are quoted, never run ---------------------------

#[test]
fn odd_names_are_quoted_and_never_reach_sql_or_interpolation() {
    let fixture = r##"
//- /mix.exs
defmodule Odd.MixProject do
  use Mix.Project
end
//- /lib/odd/repo.ex
defmodule Odd.Repo do
  use Ecto.Repo, otp_app: :odd, adapter: Ecto.Adapters.Postgres
end
//- /lib/odd/owner.ex
defmodule Odd.Owner do
  use Ash.Resource, data_layer: AshPostgres.DataLayer

  postgres do
    table "owners"
    repo Odd.Repo
  end

  attributes do
    uuid_primary_key :id
  end
end
//- /lib/odd/thing.ex
defmodule Odd.Thing do
  use Ash.Resource, data_layer: AshPostgres.DataLayer

  postgres do
    table "Odd \"Things\" \#{x}"
    schema "sales-eu"
    repo Odd.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :"odd name", :string, default: "quoted \"value\""
    attribute :label, :string, default: "plain"
    attribute :note, Odd.Types.Unknown
    attribute :größe, :integer
  end

  relationships do
    belongs_to :owner, Odd.Owner
  end

  identities do
    identity :unique_label, [:label]
  end
end
"##;
    let ws = Workspace::from_memory(Path::new("/odd"), support::files(fixture)).expect("loads");
    let snap = Snapshot::new(ws);
    let r = find_resource(&snap, "Odd.Thing").expect("the resource");
    let m = generate(&snap, r, &GenerateOptions::at(NOW)).expect("a migration");
    assert_eq!(
        m.path,
        "priv/repo/migrations/20260102030405_create_odd_things_x.exs"
    );
    assert_eq!(m.module, "Odd.Repo.Migrations.CreateOddThingsX");
    for expected in [
        r#"table(:"Odd \"Things\" \#{x}", primary_key: false, prefix: "sales-eu")"#,
        r#"add(:"odd name", :text)"#,
        "add(:größe, :bigint)",
        r#"add(:label, :text, default: "plain")"#,
        "# column note is left out: the storage type of :note (Odd.Types.Unknown) is not known statically",
        "# foreign key Odd \"Things\" #{x}_owner_id_fkey is left out",
    ] {
        assert!(m.text.contains(expected), "{expected}\n{}", m.text);
    }
    assert!(!m.text.contains("execute("), "{}", m.text);
    support::assert_elixir_formatted(&m.text);
}
