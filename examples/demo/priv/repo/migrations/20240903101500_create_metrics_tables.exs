defmodule Demo.Repo.Migrations.CreateMetricsTables do
  use Ecto.Migration

  @prefix "platform"

  def change do
    create_if_not_exists table(:cpu_metrics, primary_key: false, prefix: @prefix) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")
      add :host, :string, null: false
      add :core, :string
      add :value, :float, null: false
      add :recorded_at, :utc_datetime_usec, null: false
    end

    create_if_not_exists index(:cpu_metrics, [:host, :recorded_at], prefix: @prefix)

    create_if_not_exists table(:memory_metrics, primary_key: false, prefix: @prefix) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")
      add :host, :string, null: false
      add :kind, :string, null: false
      add :value, :float, null: false
      add :recorded_at, :utc_datetime_usec, null: false
    end

    create_if_not_exists index(:memory_metrics, [:host, :recorded_at], prefix: @prefix)
  end
end
