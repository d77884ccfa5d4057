-- Single tokens revoked before their expiry (DreamFactory logout and refresh). A row is kept
-- until the token would have expired anyway; then it is pruned.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
