import type { Migration } from '@mesh/sql';

export const documentsMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'documents',
    up: `
      CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        owner TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
  },
];
