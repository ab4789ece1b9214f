CREATE TABLE IF NOT EXISTS alerts (
    id             uuid PRIMARY KEY,
    level          text NOT NULL,
    domain         text,
    model_version  text,
    experiment_id  uuid,
    metric         text NOT NULL,
    value          double precision NOT NULL,
    threshold      double precision NOT NULL,
    message        text NOT NULL,
    raised_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts (raised_at DESC);

-- The level each watched series is at, so an alert is raised when the level changes, not at every look.
CREATE TABLE IF NOT EXISTS alert_states (
    domain         text NOT NULL,
    model_version  text NOT NULL,
    metric         text NOT NULL,
    level          text NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, model_version, metric)
);

CREATE TABLE IF NOT EXISTS webhook_destinations (
    id          uuid PRIMARY KEY,
    url         text NOT NULL,
    min_level   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
