-- Users of every dialect. Timestamps are UTC in TIMESTAMP columns (not TIMESTAMPTZ: diesel's
-- portable Timestamp type would shift them by the session time zone).
CREATE TABLE users (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email               TEXT NOT NULL,
    email_normalized    TEXT NOT NULL,
    name                TEXT NOT NULL CHECK (name <> ''),
    first_name          TEXT,
    last_name           TEXT,
    title               TEXT,
    phone               TEXT,
    alternate_email     TEXT,
    location            TEXT,
    timezone            TEXT,
    locale              TEXT,
    avatar_url          TEXT,
    role                TEXT NOT NULL CHECK (role IN ('admin', 'privileged', 'editor', 'user', 'viewer')),
    status              TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'suspended')),
    password_hash       TEXT,
    employee_number     BIGINT,
    credentials_version BIGINT NOT NULL DEFAULT 1,
    attributes          TEXT NOT NULL DEFAULT '{}',
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    last_login_at       TIMESTAMP,
    deleted_at          TIMESTAMP
);

-- One live user per address: the database itself refuses a second one, whatever the case
-- (email_normalized is lower-cased in Rust, identically for both backends).
CREATE UNIQUE INDEX users_email_live ON users (email_normalized) WHERE deleted_at IS NULL;
-- Lists in creation order skip deleted users.
CREATE INDEX users_created_live ON users (created_at, id) WHERE deleted_at IS NULL;
-- The last-admin guard counts these.
CREATE INDEX users_admins_live ON users (role, status) WHERE deleted_at IS NULL;

-- Server-wide values several instances must agree on (the generated signing key).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
