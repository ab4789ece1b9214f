-- Full domain configuration; every change is a new revision in domain_revisions.
ALTER TABLE domains ADD COLUMN IF NOT EXISTS gates jsonb NOT NULL DEFAULT '{}';
ALTER TABLE domains ADD COLUMN IF NOT EXISTS rollback jsonb NOT NULL DEFAULT '{}';
ALTER TABLE domains ADD COLUMN IF NOT EXISTS cache jsonb NOT NULL DEFAULT '{}';
ALTER TABLE domains ADD COLUMN IF NOT EXISTS archived_reason text;
ALTER TABLE domains ADD COLUMN IF NOT EXISTS archived_at timestamptz;

CREATE TABLE IF NOT EXISTS domain_revisions (
    domain_id   text NOT NULL,
    revision    int NOT NULL,
    config      jsonb NOT NULL,
    status      text NOT NULL,
    actor       text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain_id, revision)
);

CREATE TABLE IF NOT EXISTS model_versions (
    domain_id        text NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    version          text NOT NULL,
    major            int NOT NULL,
    minor            int NOT NULL,
    patch            int NOT NULL,
    artifact_path    text NOT NULL,
    artifact_sha256  text NOT NULL,
    artifact_size    bigint NOT NULL,
    metrics          jsonb NOT NULL DEFAULT '{}',
    training_run_id  text,
    dataset_id       text,
    base_version     text,
    tags             text[] NOT NULL DEFAULT '{}',
    gates_passed     boolean NOT NULL,
    gate_report      text NOT NULL,
    registered_by    text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain_id, version)
);

CREATE TABLE IF NOT EXISTS model_aliases (
    domain_id   text NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    alias       text NOT NULL,
    version     text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain_id, alias),
    FOREIGN KEY (domain_id, version) REFERENCES model_versions (domain_id, version) ON DELETE CASCADE
);

-- What serves each domain now: a stable version and at most one canary.
CREATE TABLE IF NOT EXISTS deployments (
    domain_id       text PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    stable_version  text,
    canary_version  text,
    canary_weight   double precision NOT NULL DEFAULT 0,
    rollout_id      uuid,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One row: the route table's revision, bumped (under this row's lock) with every change that publishes it.
CREATE TABLE IF NOT EXISTS route_table_state (
    id        int PRIMARY KEY CHECK (id = 1),
    revision  bigint NOT NULL
);
INSERT INTO route_table_state (id, revision) VALUES (1, 0) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS rollouts (
    id                 uuid PRIMARY KEY,
    domain_id          text NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    baseline_version   text NOT NULL,
    candidate_version  text NOT NULL,
    steps              double precision[] NOT NULL,
    min_step_seconds   double precision NOT NULL,
    min_samples        bigint NOT NULL,
    status             text NOT NULL,
    step_index         int NOT NULL,
    step_started_at    timestamptz NOT NULL,
    last_reason        text NOT NULL DEFAULT '',
    -- Bumped by every transition: a write that read an older version is refused, so a step moves once.
    version            int NOT NULL DEFAULT 0,
    lease_owner        text,
    lease_expires_at   timestamptz,
    started_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- At most one active rollout per domain.
CREATE UNIQUE INDEX IF NOT EXISTS rollouts_one_active ON rollouts (domain_id) WHERE status IN ('Running', 'Paused');

CREATE TABLE IF NOT EXISTS rollout_decisions (
    id           bigserial PRIMARY KEY,
    rollout_id   uuid NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    action       text NOT NULL,
    verdict      text,
    from_step    int NOT NULL,
    to_step      int NOT NULL,
    from_weight  double precision NOT NULL,
    to_weight    double precision NOT NULL,
    reason       text NOT NULL,
    figures      jsonb NOT NULL DEFAULT '[]',
    actor        text NOT NULL,
    decided_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS rollout_decisions_by_rollout ON rollout_decisions (rollout_id, id);

-- Automatic deployment outcomes for training completions, so a refused version says why.
CREATE TABLE IF NOT EXISTS auto_deployments (
    job_id      uuid PRIMARY KEY,
    domain_id   text NOT NULL,
    version     text,
    outcome     text NOT NULL,
    reason      text NOT NULL,
    rollout_id  uuid,
    decided_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    text NOT NULL,
    action       text NOT NULL,
    before       jsonb,
    after        jsonb
);
CREATE INDEX IF NOT EXISTS audit_log_entity ON audit_log (entity_type, entity_id, id);
