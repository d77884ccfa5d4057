-- The number of live (not deleted) users, kept exact by triggers inside the writing
-- transaction, so that the total of an unfiltered list (the generic dialect reports it on every
-- page) is one row read instead of a count over every user. (SQLite has one writer at a time:
-- the counter row costs no concurrency.)
CREATE TABLE live_user_count (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO live_user_count (id, n) SELECT 1, count(*) FROM users WHERE deleted_at IS NULL;

CREATE TRIGGER live_user_count_insert AFTER INSERT ON users WHEN new.deleted_at IS NULL
BEGIN
    UPDATE live_user_count SET n = n + 1;
END;

CREATE TRIGGER live_user_count_delete AFTER DELETE ON users WHEN old.deleted_at IS NULL
BEGIN
    UPDATE live_user_count SET n = n - 1;
END;

CREATE TRIGGER live_user_count_update AFTER UPDATE OF deleted_at ON users
    WHEN (old.deleted_at IS NULL) <> (new.deleted_at IS NULL)
BEGIN
    UPDATE live_user_count SET n = n + (CASE WHEN new.deleted_at IS NULL THEN 1 ELSE -1 END);
END;
