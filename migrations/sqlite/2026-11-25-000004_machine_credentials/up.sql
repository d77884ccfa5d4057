-- Machine credentials (Domo OAuth clients, API keys): owned by a user, acting as that user.
-- The secret is stored only as a keyed digest. Rows stay after revocation, for audit.
CREATE TABLE machine_credentials (
    id            TEXT PRIMARY KEY NOT NULL,
    kind          TEXT NOT NULL,
    secret_digest TEXT NOT NULL,
    owner_id      BIGINT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP,
    revoked_at    TIMESTAMP
);
CREATE INDEX machine_credentials_owner ON machine_credentials (owner_id);
CREATE INDEX machine_credentials_kind ON machine_credentials (kind, created_at);
