-- Which domain, variant and model version served each request, so feedback (which may name only the request)
-- joins the right arm. Compact: one narrow row per request; old rows can be pruned by occurred_at.
CREATE TABLE IF NOT EXISTS request_outcomes (
    request_id     text PRIMARY KEY,
    domain         text NOT NULL,
    variant        text NOT NULL,
    model_version  text NOT NULL,
    experiment_id  uuid NOT NULL,
    phase          int NOT NULL,
    latency_ms     double precision,
    occurred_at    timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS request_outcomes_by_time ON request_outcomes (occurred_at);

-- Sufficient statistics per (experiment, phase, variant, model version, metric) and time bucket. Traffic outside any
-- experiment has experiment_id = the nil uuid and phase 0. Buckets let canary analysis honour a phase start.
CREATE TABLE IF NOT EXISTS metric_aggregates (
    experiment_id  uuid NOT NULL,
    phase          int NOT NULL,
    variant        text NOT NULL,
    metric         text NOT NULL,
    bucket         timestamptz NOT NULL,
    domain         text NOT NULL,
    model_version  text NOT NULL,
    count          bigint NOT NULL,
    sum            double precision NOT NULL,
    sum_squares    double precision NOT NULL,
    successes      bigint NOT NULL,
    PRIMARY KEY (experiment_id, phase, variant, metric, bucket, domain, model_version)
);
CREATE INDEX IF NOT EXISTS metric_aggregates_by_version ON metric_aggregates (domain, model_version, bucket);
