-- The watch after a promotion: one per domain (the latest), so a restarted service goes on watching.
CREATE TABLE IF NOT EXISTS promotion_watches (
    domain_id         text PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    version           text NOT NULL,
    previous_version  text NOT NULL,
    status            text NOT NULL,
    started_at        timestamptz NOT NULL,
    until             timestamptz NOT NULL,
    baseline_from     timestamptz NOT NULL,
    failed_checks     int NOT NULL DEFAULT 0,
    last_verdict      text,
    last_reason       text NOT NULL DEFAULT '',
    last_checked_at   timestamptz,
    rollback_type     text,
    figures           jsonb NOT NULL DEFAULT '[]',
    -- Bumped by every change: a check computed from an older row is refused.
    revision          int NOT NULL DEFAULT 0,
    lease_owner       text,
    lease_expires_at  timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Every rollback of a domain's traffic, with its type and reason (what RollbackPerformed published).
CREATE TABLE IF NOT EXISTS rollbacks (
    id            bigserial PRIMARY KEY,
    domain_id     text NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    type          text NOT NULL,
    from_version  text NOT NULL,
    to_version    text NOT NULL,
    reason        text NOT NULL,
    rollout_id    uuid,
    actor         text NOT NULL,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS rollbacks_by_domain ON rollbacks (domain_id, id);

-- A rollout's failed checks in a row (5 are an emergency), its rollback's type, and a rollback an operator planned
-- (gradual over steps, or at a time): the weights still to go through and when the next is due.
ALTER TABLE rollouts ADD COLUMN IF NOT EXISTS failed_checks int NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN IF NOT EXISTS rollback_type text;
ALTER TABLE rollouts ADD COLUMN IF NOT EXISTS rollback_plan jsonb;
ALTER TABLE rollouts ADD COLUMN IF NOT EXISTS rollback_due_at timestamptz;

-- The latest alert level of each domain's model version and metric, as the AlertRaised events told it: an alert about a
-- canary acts only when the version traffic would go back to is not at that level too.
CREATE TABLE IF NOT EXISTS alert_levels (
    domain_id      text NOT NULL,
    model_version  text NOT NULL,
    metric         text NOT NULL,
    level          text NOT NULL,
    occurred_at    timestamptz NOT NULL,
    PRIMARY KEY (domain_id, model_version, metric)
);

-- A rollback of a domain's stable version planned for a given time (at most one per domain).
CREATE TABLE IF NOT EXISTS scheduled_rollbacks (
    domain_id   text PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    version     text NOT NULL,
    reason      text NOT NULL,
    actor       text NOT NULL,
    at          timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
