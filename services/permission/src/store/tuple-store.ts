import type { SqlClient } from '@mesh/sql';
import type { RelationTuple, SubjectSet, TupleFilter } from '../tuples';

interface TupleRow {
  seq: number | string;
  namespace: string;
  object: string;
  relation: string;
  subject_id: string;
  subject_set_namespace: string;
  subject_set_object: string;
  subject_set_relation: string;
}

/** One check step's rows: a direct match of the subject, and the subject sets to follow. */
export interface StepRow {
  namespace: string;
  object: string;
  relation: string;
  subject_id: string;
  subject_set_namespace: string;
  subject_set_object: string;
  subject_set_relation: string;
}

function toTuple(row: TupleRow): RelationTuple {
  const tuple: RelationTuple = { namespace: row.namespace, object: row.object, relation: row.relation };
  if (row.subject_id !== '') tuple.subject_id = row.subject_id;
  else
    tuple.subject_set = {
      namespace: row.subject_set_namespace,
      object: row.subject_set_object,
      relation: row.subject_set_relation,
    };
  return tuple;
}

const columnsOf = (tuple: RelationTuple) => [
  tuple.namespace,
  tuple.object,
  tuple.relation,
  tuple.subject_id ?? '',
  tuple.subject_set?.namespace ?? '',
  tuple.subject_set?.object ?? '',
  tuple.subject_set?.relation ?? '',
];

/** WHERE clause and parameters of a filter; only fixed column names go into the SQL text. */
function whereOf(filter: TupleFilter, firstParam = 1): { sql: string; params: string[] } {
  const conditions: string[] = [];
  const params: string[] = [];
  const add = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    conditions.push(`${column} = $${firstParam + params.length - 1}`);
  };
  add('namespace', filter.namespace);
  add('object', filter.object);
  add('relation', filter.relation);
  add('subject_id', filter.subject_id);
  add('subject_set_namespace', filter.subject_set?.namespace);
  add('subject_set_object', filter.subject_set?.object);
  add('subject_set_relation', filter.subject_set?.relation);
  return { sql: conditions.length > 0 ? conditions.join(' AND ') : '1 = 1', params };
}

const insertSql = `INSERT INTO relation_tuples
  (namespace, object, relation, subject_id, subject_set_namespace, subject_set_object, subject_set_relation, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT DO NOTHING`;

const deleteExactSql = `DELETE FROM relation_tuples WHERE namespace = $1 AND object = $2 AND relation = $3
  AND subject_id = $4 AND subject_set_namespace = $5 AND subject_set_object = $6 AND subject_set_relation = $7`;

export class TupleStore {
  constructor(private readonly db: SqlClient) {}

  async insert(tuple: RelationTuple, db: SqlClient = this.db): Promise<void> {
    await db.execute(insertSql, [...columnsOf(tuple), new Date().toISOString()]);
  }

  async deleteExact(tuple: RelationTuple, db: SqlClient = this.db): Promise<void> {
    await db.execute(deleteExactSql, columnsOf(tuple));
  }

  async deleteMatching(filter: TupleFilter): Promise<number> {
    const where = whereOf(filter);
    return (await this.db.execute(`DELETE FROM relation_tuples WHERE ${where.sql}`, where.params)).rowCount;
  }

  /** Inserts and deletes in one transaction: all of them or none. */
  async patch(changes: readonly { action: 'insert' | 'delete'; tuple: RelationTuple }[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const change of changes) {
        if (change.action === 'insert') await this.insert(change.tuple, tx);
        else await this.deleteExact(change.tuple, tx);
      }
    });
  }

  /**
   * Keyset pagination on seq: `after` is the last seq of the previous page. One row more than the page is
   * read, as Keto does, so that `nextAfter` is set only when another page exists.
   */
  async list(
    filter: TupleFilter,
    pageSize: number,
    after: number,
  ): Promise<{ tuples: RelationTuple[]; nextAfter?: number }> {
    const where = whereOf(filter, 3);
    const rows = await this.db.query<TupleRow>(
      `SELECT seq, namespace, object, relation, subject_id, subject_set_namespace, subject_set_object, subject_set_relation
         FROM relation_tuples WHERE seq > $1 AND ${where.sql} ORDER BY seq LIMIT $2`,
      [after, pageSize + 1, ...where.params],
    );
    const page = rows.slice(0, pageSize);
    const last = page.at(-1);
    return {
      tuples: page.map(toTuple),
      nextAfter: rows.length > pageSize && last ? Number(last.seq) : undefined,
    };
  }

  /**
   * Check steps of many sets in one statement: for each namespace:object#relation, the rows that are the
   * subject itself or a subject set. Each set is an index range scan on the unique key's prefix.
   */
  async steps(sets: readonly SubjectSet[], subjectId: string): Promise<StepRow[]> {
    const params: string[] = [subjectId];
    const keys = sets.map((set) => {
      params.push(set.namespace, set.object, set.relation);
      const n = params.length;
      return `($${n - 2}, $${n - 1}, $${n})`;
    });
    return this.db.query<StepRow>(
      `SELECT namespace, object, relation, subject_id, subject_set_namespace, subject_set_object, subject_set_relation
         FROM relation_tuples
        WHERE (namespace, object, relation) IN (VALUES ${keys.join(', ')})
          AND (subject_id = $1 OR subject_id = '')`,
      params,
    );
  }

  /** Every subject of namespace:object#relation, for expand. */
  async subjectsOf(set: SubjectSet): Promise<RelationTuple[]> {
    const rows = await this.db.query<TupleRow>(
      `SELECT seq, namespace, object, relation, subject_id, subject_set_namespace, subject_set_object, subject_set_relation
         FROM relation_tuples WHERE namespace = $1 AND object = $2 AND relation = $3 ORDER BY seq`,
      [set.namespace, set.object, set.relation],
    );
    return rows.map(toTuple);
  }
}
