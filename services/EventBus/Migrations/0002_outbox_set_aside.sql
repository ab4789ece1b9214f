-- A row this replica cannot turn into a message (an event it does not know, during a rolling upgrade; a payload it
-- cannot read) is set aside with the reason instead of stopping every row behind it.
ALTER TABLE outbox_messages ADD COLUMN IF NOT EXISTS set_aside_at timestamptz;
ALTER TABLE outbox_messages ADD COLUMN IF NOT EXISTS set_aside_reason text;
