DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'status') THEN
    CREATE TYPE status AS ENUM ('active', 'archived');
  END IF;
  EXECUTE 'ALTER TABLE users ADD COLUMN IF NOT EXISTS status status';
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
