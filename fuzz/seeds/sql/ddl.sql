CREATE TABLE IF NOT EXISTS "public"."events" (id bigserial PRIMARY KEY, payload jsonb NOT NULL DEFAULT '{}', user_id uuid REFERENCES users(id) ON DELETE CASCADE, CONSTRAINT positive CHECK (id > 0));
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_user_id_index ON events USING btree (user_id) WHERE payload IS NOT NULL;
ALTER TABLE events ADD COLUMN kind text, ALTER COLUMN payload TYPE json USING payload::json, DROP CONSTRAINT IF EXISTS positive;
ALTER INDEX events_user_id_index RENAME TO events_user_index;
CREATE MATERIALIZED VIEW daily WITH (timescaledb.continuous) AS SELECT time_bucket('1 day', inserted_at) AS day, count(*) AS n FROM events GROUP BY 1;
DROP VIEW IF EXISTS old_view CASCADE;
COMMENT ON TABLE events IS E'it''s \x41';
