-- What the routing optimizer learns from, per domain: routed requests, rewards, accuracy and latency sums.
CREATE TABLE IF NOT EXISTS routing_stats (
    domain          text PRIMARY KEY,
    decisions       bigint NOT NULL DEFAULT 0,
    reward_count    bigint NOT NULL DEFAULT 0,
    reward_sum      double precision NOT NULL DEFAULT 0,
    accuracy_count  bigint NOT NULL DEFAULT 0,
    accuracy_sum    double precision NOT NULL DEFAULT 0,
    latency_count   bigint NOT NULL DEFAULT 0,
    latency_sum     double precision NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
