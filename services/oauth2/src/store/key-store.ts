import type { SqlClient } from '@mesh/sql';

export interface StoredKey {
  kid: string;
  /** The private JWK, as JSON text. */
  keydata: string;
}

/** Signing keys by set (Hydra's `hydra_jwk`). All values are bound parameters. */
export class KeyStore {
  constructor(private readonly db: SqlClient) {}

  /** Oldest first, so every instance that shares the database signs with the same key. */
  list(set: string): Promise<StoredKey[]> {
    return this.db.query<StoredKey>(
      'SELECT kid, keydata FROM hydra_jwk WHERE sid = $1 ORDER BY created_at, kid',
      [set],
    );
  }

  async add(set: string, key: StoredKey): Promise<void> {
    await this.db.execute('INSERT INTO hydra_jwk (sid, kid, keydata, created_at) VALUES ($1, $2, $3, $4)', [
      set,
      key.kid,
      key.keydata,
      new Date().toISOString(),
    ]);
  }
}
