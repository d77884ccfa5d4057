DROP TRIGGER live_user_count_update ON users;
DROP TRIGGER live_user_count_delete ON users;
DROP TRIGGER live_user_count_insert ON users;
DROP FUNCTION live_user_count_after_update();
DROP FUNCTION live_user_count_after_delete();
DROP FUNCTION live_user_count_after_insert();
DROP TABLE live_user_count;
