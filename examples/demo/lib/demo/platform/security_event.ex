defmodule Demo.Platform.SecurityEvent do
  use Ash.Resource,
    otp_app: :demo,
    domain: Demo.Platform,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "security_events"
    schema "platform"
    repo Demo.Repo
  end

  attributes do
    uuid_primary_key :id

    attribute :event_type, :atom do
      allow_nil? false
      constraints one_of: [:login_failed, :lockout, :token_revoked, :totp_disabled]
      public? true
    end

    attribute :severity, :atom do
      allow_nil? false
      default :info
      constraints one_of: [:info, :warning, :critical]
      public? true
    end

    attribute :ip_address, :string, public?: true

    attribute :metadata, :map do
      allow_nil? false
      default %{}
      public? true
    end

    attribute :occurred_at, :utc_datetime_usec do
      allow_nil? false
      public? true
    end

    create_timestamp :inserted_at
  end

  relationships do
    belongs_to :user, Demo.Accounts.User, public?: true
  end

  actions do
    defaults [:read]

    create :record do
      accept [:event_type, :severity, :ip_address, :metadata, :occurred_at, :user_id]
    end
  end
end
