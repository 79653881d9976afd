defmodule Demo.Repo.Migrations.HardenAuditLogs do
  use Ecto.Migration

  @prefix "platform"

  def up do
    execute """
    DO $$
    BEGIN
      IF NOT EXISTS (
        SELECT 1 FROM pg_constraint WHERE conname = 'audit_logs_actor_id_fkey'
      ) THEN
        ALTER TABLE #{@prefix}.audit_logs
          ADD CONSTRAINT audit_logs_actor_id_fkey
          FOREIGN KEY (actor_id) REFERENCES #{@prefix}.users (id) ON DELETE SET NULL;
      END IF;
    END
    $$;
    """

    # Audit rows are append-only; vacuum the table more eagerly than the default.
    execute "ALTER TABLE #{audit_schema()}.audit_logs SET (autovacuum_vacuum_scale_factor = 0.02)"
  end

  def down do
    execute "ALTER TABLE #{@prefix}.audit_logs DROP CONSTRAINT IF EXISTS audit_logs_actor_id_fkey"
  end

  defp audit_schema, do: Application.get_env(:demo, :audit_schema, @prefix)
end
