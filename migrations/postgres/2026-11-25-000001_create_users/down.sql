DROP TABLE settings;
DROP TABLE users;
