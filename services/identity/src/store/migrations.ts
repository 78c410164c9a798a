import type { Migration } from '@mesh/sql';

/** Versioned and append-only: a released migration is never edited, a change is a new version. */
export const identityMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'identities, credentials, sessions, flows',
    up: `
      CREATE TABLE identities (
        id TEXT PRIMARY KEY,
        schema_id TEXT NOT NULL,
        state TEXT NOT NULL,
        email TEXT NOT NULL,
        traits TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX identities_email_key ON identities (email);
      CREATE TABLE credentials (
        identity_id TEXT PRIMARY KEY REFERENCES identities (id) ON DELETE CASCADE,
        identifier TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX credentials_identifier_key ON credentials (identifier);
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL,
        identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
        authenticated_at TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT
      );
      CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
      CREATE INDEX sessions_identity_id_idx ON sessions (identity_id);
      CREATE TABLE flows (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        request_url TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      )
    `,
  },
  {
    version: 2,
    name: 'schema traits and identifiers, metadata, browser flows, logout tokens',
    up: `
      DROP INDEX identities_email_key;
      ALTER TABLE identities DROP COLUMN email;
      ALTER TABLE identities ADD COLUMN metadata_public TEXT;
      ALTER TABLE identities ADD COLUMN metadata_admin TEXT;
      CREATE TABLE identity_identifiers (
        identifier TEXT PRIMARY KEY,
        identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE
      );
      INSERT INTO identity_identifiers (identifier, identity_id) SELECT identifier, identity_id FROM credentials;
      CREATE INDEX identity_identifiers_identity_id_idx ON identity_identifiers (identity_id);
      DROP INDEX credentials_identifier_key;
      ALTER TABLE credentials DROP COLUMN identifier;
      ALTER TABLE credentials ADD COLUMN updated_at TEXT;
      UPDATE credentials SET updated_at = created_at;
      ALTER TABLE sessions ADD COLUMN logout_token_hash TEXT;
      CREATE UNIQUE INDEX sessions_logout_token_hash_key ON sessions (logout_token_hash);
      ALTER TABLE flows ADD COLUMN kind TEXT NOT NULL DEFAULT 'api';
      ALTER TABLE flows ADD COLUMN csrf_token TEXT;
      ALTER TABLE flows ADD COLUMN return_to TEXT;
      ALTER TABLE flows ADD COLUMN identity_id TEXT;
      ALTER TABLE flows ADD COLUMN state TEXT NOT NULL DEFAULT 'choose_method';
      ALTER TABLE flows ADD COLUMN ui TEXT NOT NULL DEFAULT '{}'
    `,
  },
];
