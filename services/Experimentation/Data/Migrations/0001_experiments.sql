CREATE TABLE IF NOT EXISTS experiments (
    id                    uuid PRIMARY KEY,
    name                  text NOT NULL,
    domain                text NOT NULL,
    status                text NOT NULL DEFAULT 'draft',
    -- [{ "name", "modelVersion", "weight" }], control first; weights are the current phase's.
    variants              jsonb NOT NULL,
    primary_metric        text NOT NULL,
    guardrail_metrics     jsonb NOT NULL DEFAULT '[]',
    minimum_detectable_effect double precision NOT NULL,
    alpha                 double precision NOT NULL,
    power                 double precision NOT NULL,
    min_samples           bigint NOT NULL,
    min_duration_seconds  bigint NOT NULL,
    method                text NOT NULL,
    correction            text NOT NULL,
    deploy_winner         boolean NOT NULL DEFAULT false,
    stop_on_guardrail     boolean NOT NULL DEFAULT true,
    phase                 int NOT NULL DEFAULT 0,
    -- Running state of the always-valid tests of the current phase, carried from look to look.
    sequential_state      jsonb,
    outcome               text,
    winner_variant        text,
    reason                text,
    revision              int NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    started_at            timestamptz,
    ended_at              timestamptz,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
-- At most one experiment runs per domain: outcome events carry a domain, and each must count for one experiment.
CREATE UNIQUE INDEX IF NOT EXISTS experiments_one_running_per_domain ON experiments (domain) WHERE status = 'running';

CREATE TABLE IF NOT EXISTS experiment_phases (
    experiment_id  uuid NOT NULL REFERENCES experiments (id),
    number         int NOT NULL,
    weights        double precision[] NOT NULL,
    reason         text NOT NULL,
    started_at     timestamptz NOT NULL,
    ended_at       timestamptz,
    PRIMARY KEY (experiment_id, number)
);

CREATE TABLE IF NOT EXISTS experiment_history (
    sequence       bigserial PRIMARY KEY,
    experiment_id  uuid NOT NULL REFERENCES experiments (id),
    action         text NOT NULL,
    detail         text NOT NULL,
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS experiment_history_by_experiment ON experiment_history (experiment_id, sequence);
