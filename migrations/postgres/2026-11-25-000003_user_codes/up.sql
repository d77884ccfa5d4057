-- One-time codes (invitations, password resets), stored as a keyed digest, never in clear.
-- A user has at most one live code per purpose: a new one replaces the old.
CREATE TABLE user_codes (
    digest     TEXT PRIMARY KEY NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    purpose    TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX user_codes_user ON user_codes (user_id, purpose);
CREATE INDEX user_codes_expiry ON user_codes (expires_at);
