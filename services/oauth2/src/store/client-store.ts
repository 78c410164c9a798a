import { conflict } from '@mesh/server';
import { isUniqueViolation, type SqlClient } from '@mesh/sql';

/** An OAuth2 client as stored: list fields are JSON arrays, `metadata` a JSON object, the secret a bcrypt hash. */
export interface ClientRecord {
  id: string;
  client_name: string;
  client_secret: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  scope: string;
  audience: string[];
  owner: string;
  token_endpoint_auth_method: string;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

type ClientRow = Omit<
  ClientRecord,
  'redirect_uris' | 'grant_types' | 'response_types' | 'audience' | 'metadata'
> &
  Record<'redirect_uris' | 'grant_types' | 'response_types' | 'audience' | 'metadata', string>;

const columns = [
  'id',
  'client_name',
  'client_secret',
  'redirect_uris',
  'grant_types',
  'response_types',
  'scope',
  'audience',
  'owner',
  'token_endpoint_auth_method',
  'metadata',
  'created_at',
  'updated_at',
] as const;
const columnList = columns.join(', ');

const toRow = (record: ClientRecord): unknown[] =>
  columns.map((column) => {
    const value = record[column];
    return typeof value === 'string' ? value : JSON.stringify(value);
  });

const fromRow = (row: ClientRow): ClientRecord => ({
  ...row,
  redirect_uris: JSON.parse(row.redirect_uris) as string[],
  grant_types: JSON.parse(row.grant_types) as string[],
  response_types: JSON.parse(row.response_types) as string[],
  audience: JSON.parse(row.audience) as string[],
  metadata: JSON.parse(row.metadata) as Record<string, unknown>,
});

/** Hydra's message for a client_id that exists already (ory/x sqlcon's unique violation). */
export const duplicateClientMessage =
  'Unable to insert or update resource because a resource with that value exists already';

/** Every statement about OAuth2 clients. All values are bound parameters. */
export class ClientStore {
  constructor(private readonly db: SqlClient) {}

  async create(record: ClientRecord): Promise<void> {
    try {
      await this.db.execute(
        `INSERT INTO hydra_client (${columnList}) VALUES (${columns.map((_, index) => `$${index + 1}`).join(', ')})`,
        toRow(record),
      );
    } catch (error) {
      if (isUniqueViolation(error))
        throw conflict(
          `an OAuth2 client with client_id "${record.id}" exists already`,
          duplicateClientMessage,
        );
      throw error;
    }
  }

  async find(id: string): Promise<ClientRecord | undefined> {
    const rows = await this.db.query<ClientRow>(`SELECT ${columnList} FROM hydra_client WHERE id = $1`, [id]);
    return rows[0] && fromRow(rows[0]);
  }

  /** Keyset pagination by id: stable under concurrent inserts, one indexed range scan per page. */
  async list(pageSize: number, after: string | undefined): Promise<ClientRecord[]> {
    const rows = after
      ? await this.db.query<ClientRow>(
          `SELECT ${columnList} FROM hydra_client WHERE id > $1 ORDER BY id LIMIT $2`,
          [after, pageSize],
        )
      : await this.db.query<ClientRow>(`SELECT ${columnList} FROM hydra_client ORDER BY id LIMIT $1`, [
          pageSize,
        ]);
    return rows.map(fromRow);
  }

  /** Replaces every field but the id and created_at; false when the client does not exist. */
  async update(record: ClientRecord): Promise<boolean> {
    const settable = columns.filter((column) => column !== 'id' && column !== 'created_at');
    const values = toRow(record).filter(
      (_, index) => columns[index] !== 'id' && columns[index] !== 'created_at',
    );
    const result = await this.db.execute(
      `UPDATE hydra_client SET ${settable.map((column, index) => `${column} = $${index + 1}`).join(', ')} WHERE id = $${settable.length + 1}`,
      [...values, record.id],
    );
    return result.rowCount > 0;
  }

  /** Deletes the client and its access tokens in one transaction; false when it does not exist. */
  async delete(id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.execute('DELETE FROM hydra_oauth2_access WHERE client_id = $1', [id]);
      return (await tx.execute('DELETE FROM hydra_client WHERE id = $1', [id])).rowCount > 0;
    });
  }
}
