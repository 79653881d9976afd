defmodule Demo.Repo.Migrations.AddTotpToUsers do
  use Ecto.Migration

  @prefix "platform"

  def change do
    alter table(:users, prefix: @prefix) do
      add :encrypted_totp_secret, :binary
      add :totp_enabled, :boolean, null: false, default: false
    end
  end
end
