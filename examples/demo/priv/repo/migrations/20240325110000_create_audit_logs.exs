defmodule Demo.Repo.Migrations.CreateAuditLogs do
  use Ecto.Migration

  # Plain SQL so the DBA can review it and replay it by hand on restored
  # environments.
  def up do
    execute """
    CREATE TABLE IF NOT EXISTS platform.audit_logs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      actor_id uuid,
      action varchar(255) NOT NULL,
      resource_type varchar(255) NOT NULL,
      resource_id uuid,
      details jsonb NOT NULL DEFAULT '{}'::jsonb,
      ip_address varchar(64),
      inserted_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
    )
    """

    execute """
    CREATE INDEX IF NOT EXISTS audit_logs_resource_type_resource_id_index
      ON platform.audit_logs (resource_type, resource_id)
    """

    execute "CREATE INDEX IF NOT EXISTS audit_logs_actor_id_index ON platform.audit_logs (actor_id)"
  end

  def down do
    execute "DROP TABLE IF EXISTS platform.audit_logs"
  end
end
