-- Latency histograms per (domain, model version, variant) and 10-second bucket: counts in logarithmic bins
-- (Domain/LatencyHistogram: each bin within 1% of its latencies), mergeable over any window for p50/p95/p99.
CREATE TABLE IF NOT EXISTS latency_histograms (
    domain         text NOT NULL,
    bucket         timestamptz NOT NULL,
    model_version  text NOT NULL,
    variant        text NOT NULL,
    bin            int NOT NULL,
    count          bigint NOT NULL,
    PRIMARY KEY (domain, bucket, model_version, variant, bin)
);

-- A domain's SLA targets; a domain without a row is judged against the Health: defaults and raises no violations.
CREATE TABLE IF NOT EXISTS sla_targets (
    domain            text PRIMARY KEY,
    latency_p95_ms    double precision NOT NULL,
    max_error_rate    double precision NOT NULL,
    min_availability  double precision NOT NULL,
    min_accuracy      double precision,
    window_seconds    int NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Each breach of a target by a model version, from the monitor's look that found it to the look that found it met again.
CREATE TABLE IF NOT EXISTS sla_violations (
    id              uuid PRIMARY KEY,
    domain          text NOT NULL,
    model_version   text NOT NULL,
    target          text NOT NULL,
    value           double precision NOT NULL,
    threshold       double precision NOT NULL,
    window_seconds  int NOT NULL,
    requests        bigint NOT NULL,
    reason          text NOT NULL,
    alert_id        uuid NOT NULL,
    started_at      timestamptz NOT NULL,
    resolved_at     timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS sla_violations_one_open ON sla_violations (domain, model_version, target) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS sla_violations_by_time ON sla_violations (started_at DESC);
