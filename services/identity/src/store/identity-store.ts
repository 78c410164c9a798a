import { isUniqueViolation, type SqlClient } from '@mesh/sql';
import { conflict } from '@mesh/server';
import { randomUUID } from 'node:crypto';

export interface IdentityRecord {
  id: string;
  schema_id: string;
  state: string;
  email: string;
  traits: string;
  created_at: string;
  updated_at: string;
}

export interface CredentialMatch extends IdentityRecord {
  password_hash: string;
}

export interface SessionRecord {
  id: string;
  identity_id: string;
  authenticated_at: string;
  issued_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface FlowRecord {
  id: string;
  type: 'login' | 'registration';
  request_url: string;
  issued_at: string;
  expires_at: string;
}

const identityColumns = 'id, schema_id, state, email, traits, created_at, updated_at';
const sessionColumns = 'id, identity_id, authenticated_at, issued_at, expires_at, revoked_at';

/** Every statement of the identity service. All values are bound parameters. */
export class IdentityStore {
  constructor(private readonly db: SqlClient) {}

  /** Creates an identity and, when given, its password credential, in one transaction. */
  async createIdentity(email: string, passwordHash: string | undefined): Promise<IdentityRecord> {
    const now = new Date().toISOString();
    const record: IdentityRecord = {
      id: randomUUID(),
      schema_id: 'default',
      state: 'active',
      email: email.toLowerCase(),
      traits: JSON.stringify({ email }),
      created_at: now,
      updated_at: now,
    };
    try {
      await this.db.transaction(async (tx) => {
        await tx.execute(`INSERT INTO identities (${identityColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          record.id,
          record.schema_id,
          record.state,
          record.email,
          record.traits,
          record.created_at,
          record.updated_at,
        ]);
        if (passwordHash) {
          await tx.execute(
            'INSERT INTO credentials (identity_id, identifier, password_hash, created_at) VALUES ($1, $2, $3, $4)',
            [record.id, record.email, passwordHash, now],
          );
        }
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('an identity with this email address already exists');
      throw error;
    }
    return record;
  }

  async findIdentity(id: string): Promise<IdentityRecord | undefined> {
    const rows = await this.db.query<IdentityRecord>(
      `SELECT ${identityColumns} FROM identities WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  /** Keyset pagination by id: stable under concurrent inserts, one indexed range scan per page. */
  async listIdentities(pageSize: number, after: string | undefined): Promise<IdentityRecord[]> {
    return after
      ? this.db.query<IdentityRecord>(
          `SELECT ${identityColumns} FROM identities WHERE id > $1 ORDER BY id LIMIT $2`,
          [after, pageSize],
        )
      : this.db.query<IdentityRecord>(`SELECT ${identityColumns} FROM identities ORDER BY id LIMIT $1`, [
          pageSize,
        ]);
  }

  async deleteIdentity(id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.execute('DELETE FROM sessions WHERE identity_id = $1', [id]);
      await tx.execute('DELETE FROM credentials WHERE identity_id = $1', [id]);
      return (await tx.execute('DELETE FROM identities WHERE id = $1', [id])).rowCount > 0;
    });
  }

  /** The login lookup: the credential and its identity, by the lower-cased identifier. */
  async findCredential(identifier: string): Promise<CredentialMatch | undefined> {
    const rows = await this.db.query<CredentialMatch>(
      `SELECT i.id, i.schema_id, i.state, i.email, i.traits, i.created_at, i.updated_at, c.password_hash
         FROM credentials c JOIN identities i ON i.id = c.identity_id
        WHERE c.identifier = $1`,
      [identifier.toLowerCase()],
    );
    return rows[0];
  }

  async createSession(identityId: string, tokenHash: string, lifespanMs: number): Promise<SessionRecord> {
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
      `INSERT INTO sessions (id, token_hash, identity_id, authenticated_at, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [session.id, tokenHash, identityId, session.authenticated_at, session.issued_at, session.expires_at],
    );
    return session;
  }

  async findSessionByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    const rows = await this.db.query<SessionRecord>(
      `SELECT ${sessionColumns} FROM sessions WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows[0];
  }

  async listSessions(identityId: string): Promise<SessionRecord[]> {
    return this.db.query<SessionRecord>(
      `SELECT ${sessionColumns} FROM sessions WHERE identity_id = $1 ORDER BY issued_at DESC`,
      [identityId],
    );
  }

  async revokeSessionById(id: string): Promise<boolean> {
    const result = await this.db.execute(
      'UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
      [new Date().toISOString(), id],
    );
    return result.rowCount > 0;
  }

  async revokeSessionByTokenHash(tokenHash: string): Promise<boolean> {
    const result = await this.db.execute(
      'UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL',
      [new Date().toISOString(), tokenHash],
    );
    return result.rowCount > 0;
  }

  async createFlow(type: FlowRecord['type'], requestUrl: string, lifespanMs: number): Promise<FlowRecord> {
    const now = new Date();
    const flow: FlowRecord = {
      id: randomUUID(),
      type,
      request_url: requestUrl,
      issued_at: now.toISOString(),
      expires_at: new Date(now.getTime() + lifespanMs).toISOString(),
    };
    await this.db.execute(
      'INSERT INTO flows (id, type, request_url, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [flow.id, flow.type, flow.request_url, flow.issued_at, flow.expires_at],
    );
    return flow;
  }

  async findFlow(id: string, type: FlowRecord['type']): Promise<FlowRecord | undefined> {
    const rows = await this.db.query<FlowRecord>(
      'SELECT id, type, request_url, issued_at, expires_at FROM flows WHERE id = $1 AND type = $2',
      [id, type],
    );
    return rows[0];
  }
}
