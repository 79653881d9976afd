defmodule Demo.Repo.Migrations.CreatePlatformSchema do
  use Ecto.Migration

  @prefix "platform"

  def up do
    execute "CREATE EXTENSION IF NOT EXISTS citext"
    execute "CREATE SCHEMA IF NOT EXISTS #{@prefix}"
  end

  def down do
    execute "DROP SCHEMA IF EXISTS #{@prefix} CASCADE"
    execute "DROP EXTENSION IF EXISTS citext"
  end
end
