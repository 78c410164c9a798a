-- One database per service: each owns its tables and runs its own migrations at start.
CREATE DATABASE identity;
CREATE DATABASE permission;
CREATE DATABASE documents;
CREATE DATABASE oauth2;
