defmodule Demo.Platform.AuditLog do
  use Ash.Resource,
    otp_app: :demo,
    domain: Demo.Platform,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "audit_logs"
    schema "platform"
    repo Demo.Repo
  end

  attributes do
    uuid_primary_key :id

    attribute :action, :string do
      allow_nil? false
      public? true
    end

    attribute :resource_type, :string do
      allow_nil? false
      public? true
    end

    attribute :resource_id, :uuid, public?: true

    attribute :details, :map do
      allow_nil? false
      default %{}
      public? true
    end

    attribute :ip_address, :string, public?: true

    create_timestamp :inserted_at
  end

  relationships do
    belongs_to :actor, Demo.Accounts.User, public?: true
  end

  actions do
    defaults [:read]

    create :record do
      accept [:action, :resource_type, :resource_id, :details, :ip_address, :actor_id]
    end
  end
end
