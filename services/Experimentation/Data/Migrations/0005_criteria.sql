-- An experiment's success and failure criteria and its planned duration (the policy around the statistics).
ALTER TABLE experiments ADD COLUMN IF NOT EXISTS criteria jsonb NOT NULL DEFAULT '{}';
