-- Datasets announced by extraction (DatasetReady), so jobs can be started for them later by id.
CREATE TABLE IF NOT EXISTS datasets (
    id              uuid PRIMARY KEY,
    domain          text NOT NULL,
    name            text NOT NULL,
    example_count   int NOT NULL,
    path            text NOT NULL,
    sha256          text NOT NULL,
    privacy_epsilon double precision,
    received_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS jobs (
    id                uuid PRIMARY KEY,
    domain            text NOT NULL,
    dataset_id        uuid NOT NULL,
    dataset_path      text NOT NULL,
    dataset_sha256    text NOT NULL,
    base_model_path   text,
    epochs            int NOT NULL,
    learning_rate     double precision NOT NULL,
    state             text NOT NULL,
    trainer           text,
    progress          double precision NOT NULL DEFAULT 0,
    epoch             int NOT NULL DEFAULT 0,
    total_epochs      int NOT NULL DEFAULT 0,
    step              int NOT NULL DEFAULT 0,
    total_steps       int NOT NULL DEFAULT 0,
    training_loss     double precision,
    validation_loss   double precision,
    accuracy          double precision,
    latency_ms        double precision,
    message           text,
    artifact_path     text,
    artifact_sha256   text,
    artifact_size     bigint,
    error             text,
    cancel_requested  boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS jobs_state_created ON jobs (state, created_at);
