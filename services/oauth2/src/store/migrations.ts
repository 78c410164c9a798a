import type { Migration } from '@mesh/sql';

/** Versioned and append-only: a released migration is never edited, a change is a new version. Hydra's table names. */
export const oauth2Migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'clients, access tokens, signing keys',
    up: `
      CREATE TABLE hydra_client (
        id TEXT PRIMARY KEY,
        client_name TEXT NOT NULL,
        client_secret TEXT NOT NULL,
        redirect_uris TEXT NOT NULL,
        grant_types TEXT NOT NULL,
        response_types TEXT NOT NULL,
        scope TEXT NOT NULL,
        audience TEXT NOT NULL,
        owner TEXT NOT NULL,
        token_endpoint_auth_method TEXT NOT NULL,
        metadata TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE hydra_oauth2_access (
        signature TEXT PRIMARY KEY,
        request_id TEXT NOT NULL,
        client_id TEXT NOT NULL REFERENCES hydra_client (id) ON DELETE CASCADE,
        subject TEXT NOT NULL,
        granted_scope TEXT NOT NULL,
        granted_audience TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        active INTEGER NOT NULL
      );
      CREATE INDEX hydra_oauth2_access_client_id_idx ON hydra_oauth2_access (client_id);
      CREATE TABLE hydra_jwk (
        sid TEXT NOT NULL,
        kid TEXT NOT NULL,
        keydata TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (sid, kid)
      )
    `,
  },
];
