-- Every change that can end a credential tells the instances sharing this database, which
-- empty their cache of resolved credentials (crates/core/src/cache.rs; the listener is the
-- store's watcher, crates/store/src/watch.rs). Statement-level, with an empty payload:
-- PostgreSQL folds equal notifications of one transaction into one, sent at commit.
CREATE FUNCTION usergate_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('usergate_auth', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER users_auth_changed
    AFTER UPDATE OF role, status, credentials_version, deleted_at OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION usergate_auth_changed();

CREATE TRIGGER revoked_tokens_auth_changed
    AFTER INSERT ON revoked_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION usergate_auth_changed();

CREATE TRIGGER machine_credentials_auth_changed
    AFTER UPDATE OR DELETE ON machine_credentials
    FOR EACH STATEMENT EXECUTE FUNCTION usergate_auth_changed();
