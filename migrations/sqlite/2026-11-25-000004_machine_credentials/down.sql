DROP TABLE machine_credentials;
