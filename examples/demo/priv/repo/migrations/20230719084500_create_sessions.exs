defmodule Demo.Repo.Migrations.CreateSessions do
  use Ecto.Migration

  @prefix "platform"

  def change do
    create table(:sessions, prefix: @prefix) do
      add :user_id, references(:users, type: :uuid, on_delete: :delete_all), null: false
      add :token, :string, null: false
      add :user_agent, :string
      add :expires_at, :utc_datetime, null: false

      timestamps()
    end

    create unique_index(:sessions, [:token], prefix: @prefix)
    create index(:sessions, [:user_id], prefix: @prefix)
  end
end
