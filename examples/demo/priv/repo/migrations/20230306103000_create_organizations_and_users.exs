defmodule Demo.Repo.Migrations.CreateOrganizationsAndUsers do
  use Ecto.Migration

  @prefix "platform"

  def change do
    create table(:organizations, primary_key: false) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")
      add :name, :string, null: false
      add :slug, :string, null: false

      timestamps(type: :utc_datetime_usec)
    end

    create unique_index(:organizations, [:slug])

    create table(:users, primary_key: false, prefix: @prefix) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")
      add :email, :citext, null: false
      add :name, :string
      add :role, :string, null: false, default: "member"

      add :organization_id,
          references(:organizations, type: :uuid, prefix: "public", on_delete: :delete_all),
          null: false

      timestamps(type: :utc_datetime_usec)
    end

    create index(:users, [:email], prefix: @prefix)
    create index(:users, [:organization_id], prefix: @prefix)
  end
end
