-- The number of live (not deleted) users, kept exact by triggers inside the writing
-- transaction, so that the total of an unfiltered list (the generic dialect reports it on every
-- page) is one row read instead of a count over every user (about 80 ms at 1,000,000 users).
-- Statement-level triggers with transition tables: a bulk insert adds its rows once, and a
-- statement that changes no user's liveness (a rename, a role change) never touches, and so
-- never locks, the counter row.
CREATE TABLE live_user_count (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    n  BIGINT NOT NULL
);
INSERT INTO live_user_count (n) SELECT count(*) FROM users WHERE deleted_at IS NULL;

CREATE FUNCTION live_user_count_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d BIGINT;
BEGIN
    SELECT count(*) INTO d FROM new_rows WHERE deleted_at IS NULL;
    IF d <> 0 THEN UPDATE live_user_count SET n = n + d; END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION live_user_count_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d BIGINT;
BEGIN
    SELECT count(*) INTO d FROM old_rows WHERE deleted_at IS NULL;
    IF d <> 0 THEN UPDATE live_user_count SET n = n - d; END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION live_user_count_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d BIGINT;
BEGIN
    SELECT (SELECT count(*) FROM new_rows WHERE deleted_at IS NULL)
         - (SELECT count(*) FROM old_rows WHERE deleted_at IS NULL) INTO d;
    IF d <> 0 THEN UPDATE live_user_count SET n = n + d; END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER live_user_count_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION live_user_count_after_insert();
CREATE TRIGGER live_user_count_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION live_user_count_after_delete();
CREATE TRIGGER live_user_count_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION live_user_count_after_update();
