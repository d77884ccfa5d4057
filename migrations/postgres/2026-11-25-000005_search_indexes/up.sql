-- Substring search over live users' names and emails (the generic dialect's `search`, and any
-- filter that is a LIKE on them): trigram GIN indexes on exactly the expressions the queries
-- compare. pg_trgm is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_name_trgm_live ON users USING gin (lower(name) gin_trgm_ops)
    WHERE deleted_at IS NULL;
CREATE INDEX users_email_trgm_live ON users USING gin (lower(email_normalized) gin_trgm_ops)
    WHERE deleted_at IS NULL;
