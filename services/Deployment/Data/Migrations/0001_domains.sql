CREATE TABLE IF NOT EXISTS domains (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    agent_id      text,
    layer         text,
    team          text,
    keywords      text[] NOT NULL DEFAULT '{}',
    base_model    text,
    max_tokens    int NOT NULL DEFAULT 512,
    status        text NOT NULL DEFAULT 'active',
    revision      int NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
