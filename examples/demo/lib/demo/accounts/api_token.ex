defmodule Demo.Accounts.ApiToken do
  use Ash.Resource,
    otp_app: :demo,
    domain: Demo.Accounts,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "api_tokens"
    repo Demo.Repo
  end

  attributes do
    uuid_primary_key :id

    attribute :name, :string do
      allow_nil? false
      public? true
    end

    attribute :token_hash, :string do
      allow_nil? false
      sensitive? true
    end

    attribute :last_used_at, :utc_datetime_usec, public?: true
    attribute :last_used_ip, :string, public?: true
    attribute :expires_at, :utc_datetime_usec, public?: true

    create_timestamp :inserted_at
    update_timestamp :updated_at
  end

  relationships do
    belongs_to :user, Demo.Accounts.User do
      allow_nil? false
    end
  end

  identities do
    identity :unique_token_hash, [:token_hash]
  end

  actions do
    defaults [:read, :destroy]

    create :issue do
      accept [:name, :token_hash, :expires_at, :user_id]
    end

    update :touch do
      accept [:last_used_ip]
      change set_attribute(:last_used_at, &DateTime.utc_now/0)
    end
  end
end
