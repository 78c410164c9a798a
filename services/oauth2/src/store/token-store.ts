import type { SqlClient } from '@mesh/sql';

/** An issued access token, found by the SHA-256 of the token (the token itself is never stored). */
export interface AccessTokenRecord {
  signature: string;
  request_id: string;
  client_id: string;
  subject: string;
  granted_scope: string[];
  granted_audience: string[];
  requested_at: string;
  expires_at: string;
  active: boolean;
}

interface AccessTokenRow {
  signature: string;
  request_id: string;
  client_id: string;
  subject: string;
  granted_scope: string;
  granted_audience: string;
  requested_at: string;
  expires_at: string;
  active: number;
}

const columns =
  'signature, request_id, client_id, subject, granted_scope, granted_audience, requested_at, expires_at, active';

/** Every statement about access tokens. All values are bound parameters. */
export class TokenStore {
  constructor(private readonly db: SqlClient) {}

  async create(token: AccessTokenRecord): Promise<void> {
    await this.db.execute(
      `INSERT INTO hydra_oauth2_access (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        token.signature,
        token.request_id,
        token.client_id,
        token.subject,
        JSON.stringify(token.granted_scope),
        JSON.stringify(token.granted_audience),
        token.requested_at,
        token.expires_at,
        token.active ? 1 : 0,
      ],
    );
  }

  async find(signature: string): Promise<AccessTokenRecord | undefined> {
    const rows = await this.db.query<AccessTokenRow>(
      `SELECT ${columns} FROM hydra_oauth2_access WHERE signature = $1`,
      [signature],
    );
    const row = rows[0];
    return (
      row && {
        ...row,
        granted_scope: JSON.parse(row.granted_scope) as string[],
        granted_audience: JSON.parse(row.granted_audience) as string[],
        active: Number(row.active) === 1,
      }
    );
  }

  async deactivate(signature: string): Promise<void> {
    await this.db.execute('UPDATE hydra_oauth2_access SET active = 0 WHERE signature = $1', [signature]);
  }
}
