-- Webhook endpoints, and the deliveries the audit log (the outbox) fans out to them in each
-- change's transaction. One instance at a time works an endpoint (a lease on its row), its
-- deliveries in id order; a failed one holds the rest back until `retry_at`.
CREATE TABLE webhook_endpoints (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    event_types     TEXT NOT NULL,
    -- The signing secret (whsec_...): needed in clear to sign; never shown again after creation.
    secret          TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL,
    disabled_reason TEXT,
    retry_at        TIMESTAMP,
    leased_until    TIMESTAMP,
    lease_owner     TEXT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id    BIGINT NOT NULL REFERENCES audit_events (id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts    BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    endpoint_id  BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id     BIGINT NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    status_code  BIGINT,
    latency_ms   BIGINT NOT NULL,
    error        TEXT,
    succeeded    BOOLEAN NOT NULL
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- The fan-out: a success event with a webhook type queues one delivery for each enabled
-- endpoint subscribed to the type (or to `*`), in the inserting transaction (event_types is a
-- JSON array of strings, each in double quotes).
CREATE TRIGGER audit_events_fan_out AFTER INSERT ON audit_events
    FOR EACH ROW WHEN NEW.event_type IS NOT NULL
BEGIN
    INSERT INTO webhook_deliveries (endpoint_id, event_id, status, attempts, created_at, updated_at)
    SELECT e.id, NEW.id, 'pending', 0, NEW.occurred_at, NEW.occurred_at
    FROM webhook_endpoints e
    WHERE e.enabled
      AND (instr(e.event_types, '"' || NEW.event_type || '"') > 0 OR instr(e.event_types, '"*"') > 0);
END;
