import type { Migration } from '@mesh/sql';

/**
 * One table of tuples. Absent subject parts are '' (not NULL) so that the unique key makes writes
 * idempotent. The unique key (namespace, object, relation, subject_id, subject set) also serves every
 * check step: one index range scan on (namespace, object, relation) returns the direct match and the
 * subject sets to follow.
 */
const relationTuples = (seqColumn: string) => `
  CREATE TABLE relation_tuples (
    seq ${seqColumn},
    namespace TEXT NOT NULL,
    object TEXT NOT NULL,
    relation TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    subject_set_namespace TEXT NOT NULL,
    subject_set_object TEXT NOT NULL,
    subject_set_relation TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX relation_tuples_key ON relation_tuples
    (namespace, object, relation, subject_id, subject_set_namespace, subject_set_object, subject_set_relation);
  CREATE INDEX relation_tuples_subject_idx ON relation_tuples (subject_id)`;

export const permissionMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'relation tuples',
    // The only difference: how each database numbers rows for keyset pagination.
    up: {
      sqlite: relationTuples('INTEGER PRIMARY KEY AUTOINCREMENT'),
      postgres: relationTuples('BIGSERIAL PRIMARY KEY'),
    },
  },
];
