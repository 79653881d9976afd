defmodule Demo.Accounts.User do
  use Ash.Resource,
    otp_app: :demo,
    domain: Demo.Accounts,
    data_layer: AshPostgres.DataLayer,
    extensions: [AshCloak]

  postgres do
    table "users"
    schema "platform"
    repo Demo.Repo
  end

  cloak do
    vault Demo.Vault
    attributes [:totp_secret]
  end

  attributes do
    uuid_primary_key :id

    attribute :email, :ci_string do
      allow_nil? false
      public? true
    end

    attribute :name, :string, public?: true

    attribute :role, :atom do
      allow_nil? false
      default :member
      constraints one_of: [:owner, :admin, :member]
      public? true
    end

    attribute :totp_secret, :string, sensitive?: true

    attribute :totp_enabled, :boolean do
      allow_nil? false
      default false
    end

    attribute :last_sign_in_at, :utc_datetime_usec

    create_timestamp :inserted_at
    update_timestamp :updated_at
  end

  relationships do
    belongs_to :organization, Demo.Accounts.Organization do
      allow_nil? false
      public? true
    end

    has_many :api_tokens, Demo.Accounts.ApiToken
  end

  identities do
    identity :unique_email, [:email]
  end

  actions do
    defaults [:read, :destroy]

    create :invite do
      accept [:email, :name, :role, :organization_id]
    end

    update :update_profile do
      accept [:name]
    end

    update :enable_totp do
      require_atomic? false
      accept [:totp_secret]
      change set_attribute(:totp_enabled, true)
    end

    update :record_sign_in do
      accept []
      change set_attribute(:last_sign_in_at, &DateTime.utc_now/0)
    end
  end
end
