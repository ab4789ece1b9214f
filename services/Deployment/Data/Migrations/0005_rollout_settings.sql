-- A domain's default rollout schedule (steps, minStepSeconds, minSamples; absent: the platform's).
ALTER TABLE domains ADD COLUMN IF NOT EXISTS rollout jsonb NOT NULL DEFAULT '{}';
-- A canary weight an operator set by hand, replacing the step's planned weight until the rollout moves on.
ALTER TABLE rollouts ADD COLUMN IF NOT EXISTS manual_weight double precision;
-- How long the current step is expected to take, from the domain's recent traffic, and why (or why not known).
ALTER TABLE rollouts ADD COLUMN IF NOT EXISTS estimated_step_seconds double precision;
ALTER TABLE rollouts ADD COLUMN IF NOT EXISTS estimate_reason text NOT NULL DEFAULT '';
ALTER TABLE rollouts ADD COLUMN IF NOT EXISTS estimate_warning text;
