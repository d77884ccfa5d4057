DROP TABLE user_codes;
