defmodule Demo.Repo.Migrations.CreateAuthLockouts do
  use Ecto.Migration

  @prefix "platform"

  def up do
    create_if_not_exists table(:auth_lockouts, primary_key: false, prefix: @prefix) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")

      add :user_id,
          references(:users, type: :uuid, prefix: @prefix, on_delete: :delete_all),
          null: false

      add :reason, :string, null: false
      add :locked_until, :utc_datetime_usec, null: false
      add :failed_attempts, :integer, default: 0

      timestamps(type: :utc_datetime_usec)
    end

    create_if_not_exists unique_index(:auth_lockouts, [:user_id], prefix: @prefix)

    execute """
    ALTER TABLE #{@prefix}.auth_lockouts
      ADD CONSTRAINT auth_lockouts_failed_attempts_check CHECK (failed_attempts >= 0)
    """
  end

  def down do
    drop_if_exists table(:auth_lockouts, prefix: @prefix)
  end
end
