-- The audit log, and the outbox webhooks are delivered from: one row per change of state,
-- written in the change's transaction (a failure in a short one of its own). Never a secret:
-- `changes` is an allow-listed diff computed in core. JSON columns are text, as `attributes` is.
CREATE TABLE audit_events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at   TIMESTAMP NOT NULL,
    instance_id   TEXT NOT NULL,
    request_id    TEXT,
    dialect       TEXT NOT NULL,
    actor_type    TEXT NOT NULL,
    actor_id      TEXT,
    actor_email   TEXT,
    credential_id TEXT,
    action        TEXT NOT NULL,
    -- The webhook type a success is delivered as (`user.created`); null for what is not sent.
    event_type    TEXT,
    outcome       TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    error_code    TEXT,
    target_type   TEXT,
    target_id     TEXT,
    target_email  TEXT,
    changes       TEXT NOT NULL,
    ip            TEXT,
    user_agent    TEXT CHECK (octet_length(user_agent) <= 512),
    resource      TEXT
);
-- One secondary index: a target's history ("who deactivated this user?"). Every other read
-- goes newest first by id and filters as it goes (ids follow time, so pruning by age scans
-- from the oldest), because each index costs every change a write: three more (time, actor,
-- action) made creating a user 20% slower again (bench/BENCHMARKS.md, issue 19).
CREATE INDEX audit_events_target ON audit_events (target_type, target_id, id);
