-- Substring search over live users' names and emails (the generic dialect's `search`): an
-- FTS5 trigram index of the lower-cased name and the normalised email, by user id. Triggers
-- keep it equal to the live rows; `lower()` on usergate's connections is its Unicode-aware
-- replacement, so the index and the queries fold case the same way.
CREATE VIRTUAL TABLE users_search USING fts5(name, email, tokenize = 'trigram case_sensitive 1');

INSERT INTO users_search (rowid, name, email)
    SELECT id, lower(name), email_normalized FROM users WHERE deleted_at IS NULL;

CREATE TRIGGER users_search_insert AFTER INSERT ON users WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO users_search (rowid, name, email)
        VALUES (new.id, lower(new.name), new.email_normalized);
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF name, email_normalized, deleted_at ON users
BEGIN
    DELETE FROM users_search WHERE rowid = old.id;
    INSERT INTO users_search (rowid, name, email)
        SELECT new.id, lower(new.name), new.email_normalized WHERE new.deleted_at IS NULL;
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users
BEGIN
    DELETE FROM users_search WHERE rowid = old.id;
END;
