import type { SqlClient } from '@mesh/sql';
import { randomUUID } from 'node:crypto';

export interface SessionRecord {
  id: string;
  identity_id: string;
  authenticated_at: string;
  issued_at: string;
  expires_at: string;
  revoked_at: string | null;
}

const sessionColumns = 'id, identity_id, authenticated_at, issued_at, expires_at, revoked_at';

/** Sessions, found by the SHA-256 of their token or of their logout token; the tokens are never stored. */
export class SessionStore {
  constructor(private readonly db: SqlClient) {}

  async create(identityId: string, tokenHash: string, lifespanMs: number): Promise<SessionRecord> {
    const now = new Date();
    const session: SessionRecord = {
      id: randomUUID(),
      identity_id: identityId,
      authenticated_at: now.toISOString(),
      issued_at: now.toISOString(),
      expires_at: new Date(now.getTime() + lifespanMs).toISOString(),
      revoked_at: null,
    };
    await this.db.execute(
      `INSERT INTO sessions (id, token_hash, identity_id, authenticated_at, issued_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [session.id, tokenHash, identityId, session.authenticated_at, session.issued_at, session.expires_at],
    );
    return session;
  }

  async findByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    const rows = await this.db.query<SessionRecord>(
      `SELECT ${sessionColumns} FROM sessions WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows[0];
  }

  async findById(id: string): Promise<SessionRecord | undefined> {
    const rows = await this.db.query<SessionRecord>(`SELECT ${sessionColumns} FROM sessions WHERE id = $1`, [
      id,
    ]);
    return rows[0];
  }

  async listOfIdentity(identityId: string): Promise<SessionRecord[]> {
    return this.db.query<SessionRecord>(
      `SELECT ${sessionColumns} FROM sessions WHERE identity_id = $1 ORDER BY issued_at DESC, id`,
      [identityId],
    );
  }

  /** Keyset pagination by id; `active` filters on revocation and expiry at `now`. */
  async list(
    limit: number,
    after: string | undefined,
    active: boolean | undefined,
    now: string,
  ): Promise<SessionRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (active !== undefined) {
      params.push(now);
      where.push(
        active
          ? `revoked_at IS NULL AND expires_at > $${params.length}`
          : `(revoked_at IS NOT NULL OR expires_at <= $${params.length})`,
      );
    }
    if (after !== undefined) {
      params.push(after);
      where.push(`id > $${params.length}`);
    }
    params.push(limit);
    return this.db.query<SessionRecord>(
      `SELECT ${sessionColumns} FROM sessions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id LIMIT $${params.length}`,
      params,
    );
  }

  async revokeById(id: string): Promise<boolean> {
    const result = await this.db.execute(
      'UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
      [new Date().toISOString(), id],
    );
    return result.rowCount > 0;
  }

  async revokeByTokenHash(tokenHash: string): Promise<boolean> {
    const result = await this.db.execute(
      'UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL',
      [new Date().toISOString(), tokenHash],
    );
    return result.rowCount > 0;
  }

  /** Revokes the session of a logout token; the session it revoked, or undefined when none was active. */
  async revokeByLogoutTokenHash(logoutTokenHash: string): Promise<SessionRecord | undefined> {
    const rows = await this.db.query<SessionRecord>(
      `SELECT ${sessionColumns} FROM sessions WHERE logout_token_hash = $1 AND revoked_at IS NULL`,
      [logoutTokenHash],
    );
    const session = rows[0];
    if (!session || !(await this.revokeById(session.id))) return undefined;
    return session;
  }

  async setLogoutTokenHash(id: string, logoutTokenHash: string): Promise<void> {
    await this.db.execute('UPDATE sessions SET logout_token_hash = $1 WHERE id = $2', [logoutTokenHash, id]);
  }

  async deleteOfIdentity(identityId: string): Promise<number> {
    return (await this.db.execute('DELETE FROM sessions WHERE identity_id = $1', [identityId])).rowCount;
  }

  async extend(id: string, expiresAt: string): Promise<boolean> {
    const result = await this.db.execute(
      'UPDATE sessions SET expires_at = $1 WHERE id = $2 AND revoked_at IS NULL',
      [expiresAt, id],
    );
    return result.rowCount > 0;
  }
}
