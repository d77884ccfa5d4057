DROP TRIGGER live_user_count_update;
DROP TRIGGER live_user_count_delete;
DROP TRIGGER live_user_count_insert;
DROP TABLE live_user_count;
