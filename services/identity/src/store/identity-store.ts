import { isUniqueViolation, type SqlClient } from '@mesh/sql';

export interface IdentityRecord {
  id: string;
  schema_id: string;
  state: 'active' | 'inactive';
  /** The traits exactly as accepted, as JSON text: every JSON type and nesting round-trips. */
  traits: string;
  metadata_public: string | null;
  metadata_admin: string | null;
  created_at: string;
  updated_at: string;
}

export interface CredentialMatch extends IdentityRecord {
  password_hash: string;
}

export interface PasswordCredential {
  identity_id: string;
  password_hash: string;
  created_at: string;
  updated_at: string;
}

/** What an identity write stores besides the row: its identifiers and, optionally, a new password hash. */
export interface IdentityWrite {
  identity: IdentityRecord;
  identifiers: readonly string[];
  /** A new password hash; undefined leaves the credential as it is. */
  passwordHash?: string;
}

export interface IdentityFilter {
  identifier?: string;
  ids?: readonly string[];
}

/** An identifier is taken by another identity. */
export class DuplicateIdentifierError extends Error {
  constructor() {
    super('an identity with this identifier exists already');
    this.name = 'DuplicateIdentifierError';
  }
}

const identityColumns =
  'id, schema_id, state, traits, metadata_public, metadata_admin, created_at, updated_at';
const prefixed = identityColumns
  .split(', ')
  .map((column) => `i.${column}`)
  .join(', ');

/** Identities, their identifiers and password credentials. All values are bound parameters. */
export class IdentityStore {
  constructor(private readonly db: SqlClient) {}

  /** Creates or replaces an identity with its identifiers (and password) in one transaction. */
  async save({ identity, identifiers, passwordHash }: IdentityWrite, create: boolean): Promise<boolean> {
    try {
      return await this.db.transaction(async (tx) => {
        const values = [
          identity.id,
          identity.schema_id,
          identity.state,
          identity.traits,
          identity.metadata_public,
          identity.metadata_admin,
          identity.created_at,
          identity.updated_at,
        ];
        if (create) {
          await tx.execute(
            `INSERT INTO identities (${identityColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            values,
          );
        } else {
          const updated = await tx.execute(
            `UPDATE identities SET schema_id = $2, state = $3, traits = $4, metadata_public = $5,
                    metadata_admin = $6, updated_at = $7 WHERE id = $1`,
            [...values.slice(0, 6), identity.updated_at],
          );
          if (updated.rowCount === 0) return false;
          await tx.execute('DELETE FROM identity_identifiers WHERE identity_id = $1', [identity.id]);
        }
        for (const identifier of identifiers) {
          await tx.execute('INSERT INTO identity_identifiers (identifier, identity_id) VALUES ($1, $2)', [
            identifier,
            identity.id,
          ]);
        }
        if (passwordHash !== undefined) {
          if (!create) await tx.execute('DELETE FROM credentials WHERE identity_id = $1', [identity.id]);
          await tx.execute(
            'INSERT INTO credentials (identity_id, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $3)',
            [identity.id, passwordHash, identity.updated_at],
          );
        }
        return true;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateIdentifierError();
      throw error;
    }
  }

  async findIdentity(id: string): Promise<IdentityRecord | undefined> {
    const rows = await this.db.query<IdentityRecord>(
      `SELECT ${identityColumns} FROM identities WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  async identifiersOf(id: string): Promise<string[]> {
    const rows = await this.db.query<{ identifier: string }>(
      'SELECT identifier FROM identity_identifiers WHERE identity_id = $1 ORDER BY identifier',
      [id],
    );
    return rows.map((row) => row.identifier);
  }

  async passwordOf(id: string): Promise<PasswordCredential | undefined> {
    const rows = await this.db.query<PasswordCredential>(
      'SELECT identity_id, password_hash, created_at, updated_at FROM credentials WHERE identity_id = $1',
      [id],
    );
    return rows[0];
  }

  /** Keyset pagination by id: stable under concurrent inserts, one indexed range scan per page. */
  async listIdentities(
    filter: IdentityFilter,
    limit: number,
    after: string | undefined,
  ): Promise<IdentityRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.identifier !== undefined) {
      params.push(filter.identifier);
      where.push(
        `i.id IN (SELECT identity_id FROM identity_identifiers WHERE identifier = $${params.length})`,
      );
    }
    if (filter.ids !== undefined) {
      const placeholders = filter.ids.map((id) => {
        params.push(id);
        return `$${params.length}`;
      });
      where.push(placeholders.length > 0 ? `i.id IN (${placeholders.join(', ')})` : '1 = 0');
    }
    if (after !== undefined) {
      params.push(after);
      where.push(`i.id > $${params.length}`);
    }
    params.push(limit);
    return this.db.query<IdentityRecord>(
      `SELECT ${prefixed} FROM identities i ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY i.id LIMIT $${params.length}`,
      params,
    );
  }

  async deleteIdentity(id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.execute('DELETE FROM sessions WHERE identity_id = $1', [id]);
      await tx.execute('DELETE FROM credentials WHERE identity_id = $1', [id]);
      await tx.execute('DELETE FROM identity_identifiers WHERE identity_id = $1', [id]);
      return (await tx.execute('DELETE FROM identities WHERE id = $1', [id])).rowCount > 0;
    });
  }

  async deletePassword(id: string): Promise<boolean> {
    return (await this.db.execute('DELETE FROM credentials WHERE identity_id = $1', [id])).rowCount > 0;
  }

  async updatePassword(id: string, passwordHash: string): Promise<void> {
    const now = new Date().toISOString();
    await this.db.transaction(async (tx) => {
      await tx.execute('DELETE FROM credentials WHERE identity_id = $1', [id]);
      await tx.execute(
        'INSERT INTO credentials (identity_id, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $3)',
        [id, passwordHash, now],
      );
    });
  }

  /** The login lookup: the password credential and its identity, by the normalised identifier. */
  async findCredential(identifier: string): Promise<CredentialMatch | undefined> {
    const rows = await this.db.query<CredentialMatch>(
      `SELECT ${prefixed}, c.password_hash
         FROM credentials c
         JOIN identity_identifiers n ON n.identity_id = c.identity_id
         JOIN identities i ON i.id = c.identity_id
        WHERE n.identifier = $1`,
      [identifier],
    );
    return rows[0];
  }
}
