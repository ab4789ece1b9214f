-- API keys: only the SHA-256 of each key is stored; the key itself is shown once, when created.
CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'client')),
    key_hash    bytea NOT NULL UNIQUE,
    key_prefix  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz NULL
);

CREATE INDEX api_keys_active_role ON api_keys (role) WHERE revoked_at IS NULL;
