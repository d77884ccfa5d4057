DROP TRIGGER machine_credentials_auth_changed ON machine_credentials;
DROP TRIGGER revoked_tokens_auth_changed ON revoked_tokens;
DROP TRIGGER users_auth_changed ON users;
DROP FUNCTION usergate_auth_changed();
