defmodule Demo.Repo.Migrations.ReplaceSessionsWithApiTokens do
  use Ecto.Migration

  @prefix "platform"

  def change do
    create table(:api_tokens, primary_key: false) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")
      add :user_id, :uuid, null: false
      add :name, :string, null: false
      add :token_hash, :string, null: false
      add :last_used_at, :utc_datetime_usec
      add :expires_at, :utc_datetime_usec

      timestamps(type: :utc_datetime_usec)
    end

    create unique_index(:api_tokens, [:token_hash])
    create index(:api_tokens, [:user_id])

    # Kept for the audit export until the retention window has passed.
    rename table(:sessions, prefix: @prefix), to: table(:sessions_legacy, prefix: @prefix)
  end
end
