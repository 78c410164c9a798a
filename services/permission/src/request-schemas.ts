import { badRequest, HttpError, schemaParser } from '@mesh/server';
import type { RelationTuple, Subject, SubjectSet, TupleFilter } from './tuples';

const name = { type: 'string', minLength: 1, maxLength: 256 };
const subjectSetSchema = {
  type: 'object',
  required: ['namespace', 'object', 'relation'],
  additionalProperties: false,
  properties: { namespace: name, object: name, relation: { type: 'string', maxLength: 256 } },
};
const tupleSchema = {
  type: 'object',
  required: ['namespace', 'object', 'relation'],
  properties: {
    namespace: name,
    object: name,
    relation: name,
    subject_id: name,
    subject_set: subjectSetSchema,
  },
};

interface TupleBody {
  namespace: string;
  object: string;
  relation: string;
  subject_id?: string;
  subject_set?: SubjectSet;
}

const parseTupleBody = schemaParser<TupleBody>(tupleSchema);

/** Exactly one of subject_id and subject_set, as Keto requires. */
function subjectOf(body: { subject_id?: string; subject_set?: SubjectSet }): Subject {
  if (body.subject_id !== undefined && body.subject_set !== undefined) {
    throw badRequest('subject_id and subject_set are mutually exclusive; send one of them');
  }
  if (body.subject_id !== undefined) return { subject_id: body.subject_id };
  if (body.subject_set !== undefined) return { subject_set: body.subject_set };
  throw badRequest('a subject is required: subject_id or subject_set');
}

export function parseTuple(value: unknown): { tuple: RelationTuple; subject: Subject } {
  const body = parseTupleBody(value);
  const subject = subjectOf(body);
  const tuple: RelationTuple = {
    namespace: body.namespace,
    object: body.object,
    relation: body.relation,
    ...subject,
  };
  return { tuple, subject };
}

/** Keto's query form of a tuple: subject_set.namespace, subject_set.object, subject_set.relation. */
function tupleFromQuery(query: Record<string, unknown>): Record<string, unknown> {
  const single = (key: string) => {
    const value = query[key];
    if (Array.isArray(value)) throw badRequest(`${key} is given more than once`);
    return value;
  };
  const result: Record<string, unknown> = {};
  for (const key of ['namespace', 'object', 'relation', 'subject_id']) {
    const value = single(key);
    if (value !== undefined) result[key] = value;
  }
  const set = ['namespace', 'object', 'relation'].map((part) => single(`subject_set.${part}`));
  if (set.some((part) => part !== undefined)) {
    result.subject_set = { namespace: set[0], object: set[1], relation: set[2] ?? '' };
  }
  return result;
}

export function parseTupleQuery(query: Record<string, unknown>): { tuple: RelationTuple; subject: Subject } {
  return parseTuple(tupleFromQuery(query));
}

export function parseMaxDepth(query: Record<string, unknown>): number | undefined {
  const raw = query['max-depth'];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^[0-9]{1,3}$/.test(raw)) {
    throw badRequest('max-depth must be a non-negative integer');
  }
  return Number(raw);
}

const parseFilterShape = schemaParser<TupleFilter>({
  type: 'object',
  properties: {
    namespace: name,
    object: name,
    relation: name,
    subject_id: name,
    subject_set: {
      type: 'object',
      properties: { namespace: name, object: name, relation: { type: 'string' } },
    },
  },
});

export function parseFilterQuery(query: Record<string, unknown>): TupleFilter {
  return parseFilterShape(tupleFromQuery(query));
}

export const parsePatchBody = schemaParser<{ action: 'insert' | 'delete'; relation_tuple: unknown }[]>({
  type: 'array',
  maxItems: 1000,
  items: {
    type: 'object',
    required: ['action', 'relation_tuple'],
    properties: { action: { enum: ['insert', 'delete'] }, relation_tuple: { type: 'object' } },
  },
});

export const parseBatchBody = schemaParser<{ tuples: unknown[] }>({
  type: 'object',
  required: ['tuples'],
  properties: { tuples: { type: 'array', maxItems: 1000, items: { type: 'object' } } },
});

export function parsePage(query: Record<string, unknown>): { pageSize: number; after: number } {
  const size = query.page_size;
  const token = query.page_token;
  if (size !== undefined && (typeof size !== 'string' || !/^[1-9][0-9]{0,3}$/.test(size))) {
    throw badRequest('page_size must be an integer between 1 and 1000');
  }
  let after = 0;
  if (token !== undefined && token !== '') {
    const decoded = typeof token === 'string' ? Buffer.from(token, 'base64url').toString('utf8') : '';
    // Keto's answer to a token it did not issue: 400 with the reason as the message.
    if (!/^seq:[0-9]{1,15}$/.test(decoded)) throw new HttpError(400, 'malformed page token');
    after = Number(decoded.slice(4));
  }
  return { pageSize: Math.min(Number(size ?? 100), 1000), after };
}

export const pageTokenAfter = (seq: number): string => Buffer.from(`seq:${seq}`).toString('base64url');
