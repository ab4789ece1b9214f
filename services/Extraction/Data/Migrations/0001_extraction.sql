CREATE TABLE IF NOT EXISTS sources (
    id               uuid PRIMARY KEY,
    name             text NOT NULL UNIQUE,
    kind             text NOT NULL,
    content          text NOT NULL,
    description      text,
    domain           text,
    domain_origin    text,
    domain_score     double precision,
    runner_up        text,
    runner_up_score  double precision,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS sources_domain ON sources (domain);

CREATE TABLE IF NOT EXISTS domain_profiles (
    domain      text PRIMARY KEY,
    keywords    text[] NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS privacy_budgets (
    domain         text PRIMARY KEY,
    total_epsilon  double precision NOT NULL CHECK (total_epsilon > 0),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Every build request is a row, refused ones included, so the budget's history is auditable.
CREATE TABLE IF NOT EXISTS datasets (
    id             uuid PRIMARY KEY,
    domain         text NOT NULL,
    name           text NOT NULL UNIQUE,
    source_ids     uuid[] NOT NULL,
    epsilon        double precision NOT NULL,
    status         text NOT NULL,
    example_count  int,
    redactions     int,
    path           text,
    sha256         text,
    error          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS datasets_domain_status ON datasets (domain, status);
