import type { SqlClient } from '@mesh/sql';

export interface DocumentRecord {
  id: string;
  title: string;
  body: string;
  owner: string;
  created_at: string;
  updated_at: string;
}

const columns = 'id, title, body, owner, created_at, updated_at';

export class DocumentStore {
  constructor(private readonly db: SqlClient) {}

  async find(id: string): Promise<DocumentRecord | undefined> {
    return (await this.db.query<DocumentRecord>(`SELECT ${columns} FROM documents WHERE id = $1`, [id]))[0];
  }

  list(): Promise<DocumentRecord[]> {
    return this.db.query<DocumentRecord>(`SELECT ${columns} FROM documents ORDER BY id LIMIT 1000`);
  }

  /** Creates or replaces a document in one statement; returns whether it was new. */
  async upsert(document: Omit<DocumentRecord, 'created_at' | 'updated_at'>): Promise<boolean> {
    const now = new Date().toISOString();
    const existing = await this.find(document.id);
    await this.db.execute(
      `INSERT INTO documents (${columns}) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body, owner = excluded.owner, updated_at = excluded.updated_at`,
      [document.id, document.title, document.body, document.owner, now, now],
    );
    return existing === undefined;
  }

  /** Deletes a document; returns whether it existed. */
  async remove(id: string): Promise<boolean> {
    return (await this.db.execute('DELETE FROM documents WHERE id = $1', [id])).rowCount > 0;
  }
}
