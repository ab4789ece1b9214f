-- Every attempt to hand an alert to a notification channel: delivered, retrying (another attempt follows) or failed (the last).
CREATE TABLE IF NOT EXISTS alert_deliveries (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id     uuid NOT NULL,
    channel      text NOT NULL,
    kind         text NOT NULL,
    action       text NOT NULL,
    attempt      integer NOT NULL,
    status       text NOT NULL,
    error        text,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alert_deliveries_by_time ON alert_deliveries (at DESC);
CREATE INDEX IF NOT EXISTS alert_deliveries_by_alert ON alert_deliveries (alert_id, channel);
