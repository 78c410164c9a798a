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
];
