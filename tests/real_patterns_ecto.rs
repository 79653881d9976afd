//! Patterns met in real migration-heavy projects (Phoenix/Ecto apps and Ash
//! apps' migration folders), each reproduced by a small fixture written for
//! the purpose, checked end to end: extraction, fold and findings.

mod support;

use support::index;

/// A plain Phoenix app: `use Ecto.Repo`, no Ash anywhere.
const ECTO_APP: &str = r#"
//- /mix.exs
defmodule Fleet.MixProject do
  use Mix.Project
end
//- /lib/fleet/repo.ex
defmodule Fleet.Repo do
  use Ecto.Repo, otp_app: :fleet, adapter: Ecto.Adapters.Postgres
end
//- /priv/repo/migrations/20230101000000_create_vehicles.exs
defmodule Fleet.Repo.Migrations.CreateVehicles do
  use Ecto.Migration

  def change do
    create table(:vehicles) do
      add :vin, :string, null: false
      timestamps()
    end

    create unique_index(:vehicles, [:vin])
  end
end
//- /priv/repo/migrations/20230201000000_add_color.exs
defmodule Fleet.Repo.Migrations.AddColor do
  use Ecto.Migration

  def change do
    alter table(:vehicles) do
      add :color, :text
    end
  end
end
"#;

#[test]
fn plain_ecto_migrations_run_once_and_are_not_judged_for_re_runs() {
    let ix = index(ECTO_APP);
    assert!(
        ix.of("non-idempotent-statement").is_empty(),
        "{:#?}",
        ix.of("non-idempotent-statement")
    );
    // The tables are still read.
    let table = ix
        .analysis
        .models
        .iter()
        .find_map(|m| m.table("public.vehicles"));
    assert!(table.is_some_and(|t| t.column("color").is_some()));
}

#[test]
fn the_same_migrations_in_an_ash_project_are_judged() {
    let fixture = ECTO_APP.replace(
        "use Ecto.Repo, otp_app: :fleet, adapter: Ecto.Adapters.Postgres",
        "use AshPostgres.Repo, otp_app: :fleet",
    );
    let ix = index(&fixture);
    assert_eq!(ix.of("non-idempotent-statement").len(), 3);
}

#[test]
fn a_plain_ecto_project_can_opt_in() {
    let fixture = format!("{ECTO_APP}//- /.ecto-ash-lsp.toml\nconvention = \"hand-written\"\n");
    let ix = index(&fixture);
    assert_eq!(ix.of("non-idempotent-statement").len(), 3);
}

/// A telemetry app: a TimescaleDB hypertable, a materialized view over it
/// read by an Ecto schema, a job queue installed by a library's migration,
/// and a data fix that interpolates a runtime value.
const TELEMETRY_APP: &str = r#"
//- /mix.exs
defmodule Sails.MixProject do
  use Mix.Project
end
//- /lib/sails/repo.ex
defmodule Sails.Repo do
  use Ecto.Repo, otp_app: :sails, adapter: Ecto.Adapters.Postgres
end
//- /lib/sails/daily_channel.ex
defmodule Sails.DailyChannel do
  use Ecto.Schema

  @primary_key false
  schema "daily_channels" do
    field :utc_date, :date
    field :boat_id, :binary_id
    field :kind, :string
  end
end
//- /priv/repo/migrations/20230101000000_create_samples.exs
defmodule Sails.Repo.Migrations.CreateSamples do
  use Ecto.Migration

  def change do
    execute "CREATE EXTENSION IF NOT EXISTS timescaledb", ""

    create table(:samples, primary_key: false) do
      add :time, :utc_datetime_usec, null: false
      add :boat_id, :binary_id, null: false
      add :kind, :string, null: false
      add :value, :float
    end

    execute "SELECT create_hypertable('samples', 'time')", ""
  end
end
//- /priv/repo/migrations/20230201000000_create_daily_channels.exs
defmodule Sails.Repo.Migrations.CreateDailyChannels do
  use Ecto.Migration

  def up do
    execute """
    CREATE MATERIALIZED VIEW daily_channels AS
      SELECT DISTINCT DATE(time) AS utc_date, s.boat_id, kind FROM samples s
    """
  end

  def down do
    execute "DROP MATERIALIZED VIEW daily_channels"
  end
end
//- /priv/repo/migrations/20230301000000_add_jobs.exs
defmodule Sails.Repo.Migrations.AddJobs do
  use Ecto.Migration

  def up, do: Oban.Migrations.up(version: 12)
  def down, do: Oban.Migrations.down(version: 1)
end
//- /priv/repo/migrations/20230401000000_fix_units.exs
defmodule Sails.Repo.Migrations.FixUnits do
  use Ecto.Migration

  def up do
    factor = Application.get_env(:sails, :knots_per_ms)

    execute "UPDATE samples SET value = value * #{factor} WHERE kind = 'speed'"

    alter table(:samples) do
      add :unit, :string, default: "kn"
    end
  end

  def down do
    alter table(:samples) do
      remove :unit
    end
  end
end
"#;

#[test]
fn telemetry_app_reads_views_library_migrations_and_data_fixes() {
    let ix = index(TELEMETRY_APP);
    // The library's migration is one hint, at its call; the data fix none.
    assert_eq!(
        ix.of("unresolved"),
        ["priv/repo/migrations/20230301000000_add_jobs.exs:4: `Oban.Migrations.up(version: 12)` runs schema changes in another module, which is not read; what it creates is not in the model"]
    );
    // The view's columns come from its SELECT list, so the schema over it
    // matches and the column added after the data fix is folded.
    let model = &ix.analysis.models[0];
    let view = model.table("public.daily_channels");
    let names: Vec<&str> = view
        .map(|v| v.columns.iter().map(|c| c.name.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["utc_date", "boat_id", "kind"]);
    assert!(model
        .table("public.samples")
        .is_some_and(|t| t.column("unit").is_some()));
    assert!(
        ix.of("missing-column").is_empty(),
        "{:?}",
        ix.of("missing-column")
    );
    assert!(
        ix.of("missing-table").is_empty(),
        "{:?}",
        ix.of("missing-table")
    );
}

#[test]
fn a_view_without_the_selected_column_is_drift() {
    let fixture = TELEMETRY_APP.replace(
        "    field :kind, :string\n",
        "    field :kind, :string\n    field :sensor_id, :binary_id\n",
    );
    let ix = index(&fixture);
    let missing = ix.of("missing-column");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].contains("sensor_id"), "{missing:?}");
}

#[test]
fn plain_ecto_change_with_idempotent_execute_cannot_roll_back() {
    // A materialized view's index replaced inside `change/0`: re-runs are
    // not judged in a plain Ecto project, but the rollback still raises.
    let fixture = format!(
        "{ECTO_APP}{}",
        r#"//- /priv/repo/migrations/20230301000000_unique_view_index.exs
defmodule Fleet.Repo.Migrations.UniqueViewIndex do
  use Ecto.Migration

  def change do
    execute("DROP INDEX IF EXISTS vehicle_counts_vin_idx")
    execute("CREATE UNIQUE INDEX ON vehicle_counts (vin)")
  end
end
"#
    );
    let ix = index(&fixture);
    assert!(ix.of("non-idempotent-statement").is_empty());
    assert_eq!(
        ix.of("irreversible-idempotent-change").len(),
        1,
        "{:?}",
        ix.of("irreversible-idempotent-change")
    );
}
