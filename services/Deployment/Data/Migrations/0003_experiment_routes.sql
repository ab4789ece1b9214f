-- The latest ExperimentTrafficChanged per domain. While its status is running or rolled_back its arms replace the
-- deployment's stable/canary split in the route table; a stopped or concluded row stays as the ordering mark.
CREATE TABLE IF NOT EXISTS experiment_routes (
    domain_id      text PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    experiment_id  uuid NOT NULL,
    phase          int NOT NULL,
    status         text NOT NULL,
    arms           jsonb NOT NULL,
    occurred_at    timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
