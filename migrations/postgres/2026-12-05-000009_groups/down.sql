DROP TABLE group_members;
DROP TABLE groups;
DROP INDEX users_login_name_live;
DROP INDEX users_external_id_live;
ALTER TABLE users DROP COLUMN login_name_normalized;
ALTER TABLE users DROP COLUMN login_name;
ALTER TABLE users DROP COLUMN external_id;
