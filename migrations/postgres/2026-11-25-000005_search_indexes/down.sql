DROP INDEX users_email_trgm_live;
DROP INDEX users_name_trgm_live;
