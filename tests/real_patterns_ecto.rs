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
