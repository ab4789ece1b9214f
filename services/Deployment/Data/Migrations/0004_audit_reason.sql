-- Why a change was made, where the caller or the controller gave a reason (rollbacks, rollout decisions, archiving).
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS reason text;
