defmodule Demo.Platform.AuthLockout do
  use Ash.Resource,
    otp_app: :demo,
    domain: Demo.Platform,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "auth_lockouts"
    schema "platform"
    repo Demo.Repo

    check_constraints do
      check_constraint :failed_attempts, "auth_lockouts_failed_attempts_check",
        check: "failed_attempts >= 0",
        message: "must not be negative"
    end
  end

  attributes do
    uuid_primary_key :id

    attribute :reason, :atom do
      allow_nil? false
      constraints one_of: [:too_many_attempts, :admin_action, :suspicious_activity]
      public? true
    end

    attribute :locked_until, :utc_datetime_usec do
      allow_nil? false
      public? true
    end

    attribute :failed_attempts, :integer do
      allow_nil? false
      default 0
      public? true
    end

    attribute :unlocked_at, :utc_datetime_usec, public?: true

    create_timestamp :inserted_at
    update_timestamp :updated_at
  end

  relationships do
    belongs_to :user, Demo.Accounts.User do
      allow_nil? false
      public? true
    end
  end

  identities do
    identity :unique_user, [:user_id]
  end

  actions do
    defaults [:read, :destroy]

    create :lock do
      accept [:user_id, :reason, :locked_until, :failed_attempts]
      upsert? true
      upsert_identity :unique_user
    end

    update :unlock do
      accept []
      change set_attribute(:unlocked_at, &DateTime.utc_now/0)
    end
  end
end
