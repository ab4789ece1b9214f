-- Each job's progress reports that carry a loss, in order (seq), so a loss curve can be drawn for any job, running or
-- finished, after a restart too. At most Domain/ProgressHistory.MaxPoints a job: beyond it every second point is
-- dropped (seq keeps its gaps). A re-queued job starts again from its first step, so its points are cleared when it runs.
CREATE TABLE IF NOT EXISTS job_progress (
    job_id             uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq                int NOT NULL,
    at                 timestamptz NOT NULL DEFAULT now(),
    epoch              int NOT NULL,
    total_epochs       int NOT NULL,
    step               int NOT NULL,
    total_steps        int NOT NULL,
    progress           double precision NOT NULL,
    training_loss      double precision,
    validation_loss    double precision,
    tokens_per_second  double precision,
    PRIMARY KEY (job_id, seq)
);
