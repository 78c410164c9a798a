import { tracing, startPermission, variants, type Running } from './support';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Relationship } from '@ory/client';

const set = (namespace: string, object: string, relation: string) => ({ namespace, object, relation });

describe('check evaluation (legacy namespaces)', () => {
  let keto: Running;
  before(async () => {
    keto = await startPermission('memory', ['limit.max_check_spans=40']);
  });
  after(() => keto.servers.stop());

  it('a node one branch reached does not block a shallower branch (T←A, T←B, A←B, B←C, C←user at depth 3)', async () => {
    const rows: Relationship[] = [
      { ...set('groups', 'T', 'member'), subject_set: set('groups', 'A', 'member') },
      { ...set('groups', 'T', 'member'), subject_set: set('groups', 'B', 'member') },
      { ...set('groups', 'A', 'member'), subject_set: set('groups', 'B', 'member') },
      { ...set('groups', 'B', 'member'), subject_set: set('groups', 'C', 'member') },
      { ...set('groups', 'C', 'member'), subject_id: 'user' },
    ];
    await keto.writeRelationships.patchRelationships({
      relationshipPatch: rows.map((relation_tuple) => ({ action: 'insert', relation_tuple })),
    });
    const check = async (maxDepth: number) =>
      (
        await keto.permissions.checkPermission({
          namespace: 'groups',
          object: 'T',
          relation: 'member',
          subjectId: 'user',
          maxDepth,
        })
      ).data.allowed;
    assert.equal(await check(3), true);
    assert.equal(await check(2), false);
  });

  it('sends next_page_token only when another page exists; a foreign token is 400', async () => {
    for (const subject of ['p1', 'p2', 'p3']) {
      await keto.writeRelationships.createRelationship({
        createRelationshipBody: { ...set('documents', 'paging', 'view'), subject_id: subject },
      });
    }
    const whole = await keto.relationships.getRelationships({
      namespace: 'documents',
      object: 'paging',
      pageSize: 3,
    });
    assert.equal(whole.data.relation_tuples?.length, 3);
    assert.equal(whole.data.next_page_token, '');
    const first = await keto.relationships.getRelationships({
      namespace: 'documents',
      object: 'paging',
      pageSize: 2,
    });
    assert.notEqual(first.data.next_page_token, '');
    const second = await keto.relationships.getRelationships({
      namespace: 'documents',
      object: 'paging',
      pageSize: 2,
      pageToken: first.data.next_page_token,
    });
    assert.deepEqual(
      second.data.relation_tuples?.map((tuple) => tuple.subject_id),
      ['p3'],
    );
    assert.equal(second.data.next_page_token, '');
    const bad = await fetch(`${keto.readUrl}/relation-tuples?namespace=documents&page_token=bm9wZQ`);
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), {
      error: { code: 400, status: 'Bad Request', message: 'malformed page token' },
    });
  });

  it("answers an unknown namespace with Keto's 404 on write, list and expand", async () => {
    const expected = {
      error: {
        code: 404,
        status: 'Not Found',
        reason: 'Unknown namespace with name "nope".',
        message: 'The requested resource could not be found',
      },
    };
    const write = await fetch(`${keto.writeUrl}/admin/relation-tuples`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...set('nope', 'o', 'r'), subject_id: 's' }),
    });
    assert.equal(write.status, 404);
    assert.deepEqual(await write.json(), expected);
    for (const path of [
      '/relation-tuples?namespace=nope',
      '/relation-tuples/expand?namespace=nope&object=o&relation=r',
    ]) {
      const response = await fetch(`${keto.readUrl}${path}`);
      assert.equal(response.status, 404, path);
      assert.deepEqual(await response.json(), expected, path);
    }
  });

  it('a 20×20×20 fan-out stays within the span budget and batches its look-ups', async () => {
    const rows: Relationship[] = [];
    for (let a = 0; a < 20; a++) {
      rows.push({ ...set('groups', 'fan', 'member'), subject_set: set('groups', `a${a}`, 'member') });
      for (let b = 0; b < 20; b++) {
        rows.push({
          ...set('groups', `a${a}`, 'member'),
          subject_set: set('groups', `a${a}b${b}`, 'member'),
        });
        for (let c = 0; c < 20; c++)
          rows.push({ ...set('groups', `a${a}b${b}`, 'member'), subject_id: `u${a}-${b}-${c}` });
      }
    }
    for (let i = 0; i < rows.length; i += 1000) {
      await keto.writeRelationships.patchRelationships({
        relationshipPatch: rows
          .slice(i, i + 1000)
          .map((relation_tuple) => ({ action: 'insert', relation_tuple })),
      });
    }
    await tracing.reset();
    const { data } = await keto.permissions.checkPermission({
      namespace: 'groups',
      object: 'fan',
      relation: 'member',
      subjectId: 'nobody',
    });
    assert.equal(data.allowed, false);
    const spans = await tracing.spans();
    const root = spans.find((span) => span.name === 'permission.check');
    const below = spans.filter(
      (span) => span.name.startsWith('permission.') || span.name.startsWith('SELECT'),
    );
    assert.ok(below.length <= 41, `${below.length} spans`);
    assert.equal(root?.attributes['permission.limit.max_spans_reached'], true);
    const unrecorded = spans.reduce(
      (sum, span) => sum + Number(span.attributes['permission.steps.unrecorded'] ?? 0),
      0,
    );
    // 20 + 400 subject-set steps and 1 + 1 + 4 statements (100 sets each), less the 40 recorded.
    assert.equal(unrecorded + below.length - 1, 20 + 400 + 1 + 1 + 4);
  });
});

/**
 * A naive evaluator of the same OPL model, in memory, without batching or concurrency: a reference for
 * the service on random small graphs (with cycles).
 */
type Membership = 'member' | 'not_member' | 'unknown';
type Rewrite =
  | { op: 'or' | 'and'; children: Rewrite[] }
  | { op: 'not'; child: Rewrite }
  | { op: 'computed'; relation: string }
  | { op: 'traverse'; relation: string; computed: string };

const propertyModel = `
class User implements Namespace {}
class N implements Namespace {
  related: {
    a: (User | SubjectSet<N, "a"> | SubjectSet<N, "b">)[]
    b: (User | SubjectSet<N, "a">)[]
    parent: N[]
  }
  permits = {
    p: (ctx: Context): boolean => this.related.a.includes(ctx.subject) || this.related.parent.traverse((x) => x.permits.p(ctx)),
    q: (ctx: Context): boolean => this.permits.p(ctx) && !this.related.b.includes(ctx.subject),
    r: (ctx: Context): boolean => this.related.b.includes(ctx.subject) || this.related.parent.traverse((x) => x.permits.q(ctx)),
  }
}`;
const rewrites: Record<string, Rewrite> = {
  p: {
    op: 'or',
    children: [
      { op: 'computed', relation: 'a' },
      { op: 'traverse', relation: 'parent', computed: 'p' },
    ],
  },
  q: {
    op: 'and',
    children: [
      { op: 'computed', relation: 'p' },
      { op: 'not', child: { op: 'computed', relation: 'b' } },
    ],
  },
  r: {
    op: 'or',
    children: [
      { op: 'computed', relation: 'b' },
      { op: 'traverse', relation: 'parent', computed: 'q' },
    ],
  },
};

function combine(results: Membership[], decisive: Membership): Membership {
  if (results.includes(decisive)) return decisive;
  if (results.includes('unknown')) return 'unknown';
  return decisive === 'member' ? 'not_member' : 'member';
}

function reference(
  tuples: Relationship[],
  object: string,
  relation: string,
  user: string,
  maxDepth: number,
): boolean {
  const rowsOf = (o: string, r: string) => tuples.filter((t) => t.object === o && t.relation === r);
  const node = (o: string, r: string, depth: number, path: string[]): Membership => {
    if (depth > maxDepth) return 'unknown';
    const key = `${o}#${r}`;
    if (path.includes(key)) return 'unknown';
    const here = [...path, key];
    const rewrite = rewrites[r];
    if (rewrite) return evaluate(rewrite, o, depth, here);
    const rows = rowsOf(o, r);
    if (rows.some((t) => t.subject_id === user)) return 'member';
    const sets = rows.filter((t) => t.subject_set);
    if (sets.length === 0) return 'not_member';
    if (depth + 1 > maxDepth) return 'unknown';
    return combine(
      sets.map((t) => node(t.subject_set?.object ?? '', t.subject_set?.relation ?? '', depth + 1, here)),
      'member',
    );
  };
  const evaluate = (rewrite: Rewrite, o: string, depth: number, path: string[]): Membership => {
    switch (rewrite.op) {
      case 'or':
      case 'and':
        return combine(
          rewrite.children.map((c) => evaluate(c, o, depth, path)),
          rewrite.op === 'or' ? 'member' : 'not_member',
        );
      case 'not': {
        const inner = evaluate(rewrite.child, o, depth, path);
        return inner === 'member' ? 'not_member' : inner === 'not_member' ? 'member' : 'unknown';
      }
      case 'computed':
        return node(o, rewrite.relation, depth, path);
      case 'traverse': {
        const parents = rowsOf(o, rewrite.relation).filter((t) => t.subject_set);
        if (parents.length === 0) return 'not_member';
        if (depth + 1 > maxDepth) return 'unknown';
        return combine(
          parents.map((t) => node(t.subject_set?.object ?? '', rewrite.computed, depth + 1, path)),
          'member',
        );
      }
    }
  };
  return node(object, relation, 1, []) === 'member';
}

for (const variant of variants) {
  const skip =
    variant.name === 'PostgreSQL' && !process.env.TEST_POSTGRES_DSN ? 'TEST_POSTGRES_DSN is not set' : false;
  describe(`OPL evaluation against a naive reference (property) on ${variant.name}`, { skip }, () => {
    let keto: Running;
    let drop: () => Promise<void>;
    before(async () => {
      const database = await variant.open();
      drop = database.drop;
      keto = await startPermission(database.dsn, [
        `namespaces=base64://${Buffer.from(propertyModel).toString('base64')}`,
      ]);
    });
    after(async () => {
      await keto.servers.stop();
      await drop();
    });

    const objects = ['o0', 'o1', 'o2', 'o3'];
    const users = ['u0', 'u1'];
    const tupleArb: fc.Arbitrary<Relationship> = fc.oneof(
      fc
        .record({
          object: fc.constantFrom(...objects),
          relation: fc.constantFrom('a', 'b'),
          user: fc.constantFrom(...users),
        })
        .map(({ object, relation, user }) => ({ namespace: 'N', object, relation, subject_id: user })),
      fc
        .record({
          object: fc.constantFrom(...objects),
          relation: fc.constantFrom('a', 'b'),
          target: fc.constantFrom(...objects),
          via: fc.constantFrom('a', 'b'),
        })
        .map(({ object, relation, target, via }) => ({
          namespace: 'N',
          object,
          relation,
          subject_set: { namespace: 'N', object: target, relation: relation === 'b' ? 'a' : via },
        })),
      fc
        .record({ object: fc.constantFrom(...objects), target: fc.constantFrom(...objects) })
        .map(({ object, target }) => ({
          namespace: 'N',
          object,
          relation: 'parent',
          subject_set: { namespace: 'N', object: target, relation: '' },
        })),
    );

    it('the service answers as the reference on random graphs with cycles', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(tupleArb, { maxLength: 14, selector: (t) => JSON.stringify(t) }),
          fc.array(
            fc.record({
              object: fc.constantFrom(...objects),
              relation: fc.constantFrom('a', 'b', 'p', 'q', 'r'),
              user: fc.constantFrom(...users),
              depth: fc.integer({ min: 1, max: 5 }),
            }),
            { minLength: 1, maxLength: 6 },
          ),
          async (tuples, queries) => {
            await keto.writeRelationships.deleteRelationships({ namespace: 'N' });
            if (tuples.length > 0)
              await keto.writeRelationships.patchRelationships({
                relationshipPatch: tuples.map((relation_tuple) => ({ action: 'insert', relation_tuple })),
              });
            for (const query of queries) {
              const { data } = await keto.permissions.checkPermission({
                namespace: 'N',
                object: query.object,
                relation: query.relation,
                subjectId: query.user,
                maxDepth: query.depth,
              });
              assert.equal(
                data.allowed,
                reference(tuples, query.object, query.relation, query.user, query.depth),
                JSON.stringify(query),
              );
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  });
}
