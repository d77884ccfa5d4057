-- What identity providers add to a user: the id the provider knows it by (case-exact) and a
-- login name that is not an address (SCIM `userName`), each unique among live users when set.
-- login_name_normalized is lower-cased in Rust, as email_normalized is.
ALTER TABLE users ADD COLUMN external_id TEXT;
ALTER TABLE users ADD COLUMN login_name TEXT;
ALTER TABLE users ADD COLUMN login_name_normalized TEXT;
CREATE UNIQUE INDEX users_external_id_live ON users (external_id)
    WHERE deleted_at IS NULL AND external_id IS NOT NULL;
CREATE UNIQUE INDEX users_login_name_live ON users (login_name_normalized)
    WHERE deleted_at IS NULL AND login_name_normalized IS NOT NULL;

-- Groups of users (Domo's /v1/groups, SCIM's plain groups). They grant nothing; roles stay on
-- the user. A group is deleted outright: nothing refers to a group once it is gone.
CREATE TABLE groups (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL CHECK (name <> ''),
    name_normalized TEXT NOT NULL,
    active          BOOLEAN NOT NULL,
    is_default      BOOLEAN NOT NULL,
    creator_id      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    external_id     TEXT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX groups_name ON groups (name_normalized);
CREATE INDEX groups_external_id ON groups (external_id) WHERE external_id IS NOT NULL;
-- New users join these.
CREATE INDEX groups_default ON groups (id) WHERE active AND is_default;

-- Members are live users: a user's rows go when the user is deleted (soft or not).
CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id, group_id);
