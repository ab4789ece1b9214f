-- Events written in the same transaction as the state change they describe; a dispatcher publishes them.
CREATE TABLE IF NOT EXISTS outbox_messages (
    sequence      bigserial PRIMARY KEY,
    event_id      uuid NOT NULL UNIQUE,
    event_name    text NOT NULL,
    payload       jsonb NOT NULL,
    occurred_at   timestamptz NOT NULL,
    published_at  timestamptz,
    attempts      int NOT NULL DEFAULT 0,
    last_error    text
);
CREATE INDEX IF NOT EXISTS outbox_messages_pending ON outbox_messages (sequence) WHERE published_at IS NULL;

-- One row per (event, consumer) handled, so a redelivered event is never applied twice.
CREATE TABLE IF NOT EXISTS inbox_messages (
    event_id     uuid NOT NULL,
    consumer     text NOT NULL,
    handled_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, consumer)
);
