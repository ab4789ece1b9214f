-- Whether each remembered request failed, so an arm's errors in a row (failureCriteria.maxConsecutiveErrors) can be counted.
ALTER TABLE request_outcomes ADD COLUMN IF NOT EXISTS failed boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS request_outcomes_by_arm ON request_outcomes (experiment_id, phase, variant, occurred_at);
