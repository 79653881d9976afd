defmodule Demo.Repo.Migrations.AddLastUsedIpToApiTokens do
  use Ecto.Migration

  def change do
    alter table(:api_tokens) do
      add_if_not_exists :last_used_ip, :string
    end
  end
end
