defmodule Demo.Repo.Migrations.EnsureUsersTable do
  use Ecto.Migration

  @prefix "platform"

  # Environments restored from the old base backup come up without
  # platform.users; this makes sure the table is there before the
  # lockout work lands. Safe to re-run.
  def up do
    create_if_not_exists table(:users, primary_key: false, prefix: @prefix) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")
      add :email, :citext, null: false
      add :name, :string
      add :role, :string, null: false, default: "member"

      add :organization_id,
          references(:organizations, type: :uuid, prefix: "public", on_delete: :delete_all),
          null: false

      add :encrypted_totp_secret, :binary
      add :totp_enabled, :boolean, null: false, default: false
      add :last_sign_in_at, :utc_datetime_usec

      timestamps(type: :utc_datetime_usec)
    end
  end

  def down do
    :ok
  end
end
