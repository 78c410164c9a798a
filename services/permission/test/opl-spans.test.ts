import { tracing, startPermission, type Running } from './support';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

const model = readFileSync(join(__dirname, '../../../../infra/namespaces/namespaces.keto.ts'), 'utf8');
const folder = (object: string) => ({ namespace: 'Folder', object, relation: '' });

describe('OPL spans (trace contract)', () => {
  let keto: Running;
  before(async () => {
    keto = await startPermission('memory', [`namespaces=base64://${Buffer.from(model).toString('base64')}`]);
    await keto.writeRelationships.patchRelationships({
      relationshipPatch: [
        { namespace: 'Group', object: 'engineering', relation: 'members', subject_id: 'bob' },
        {
          namespace: 'Folder',
          object: 'company',
          relation: 'viewers',
          subject_set: { namespace: 'Group', object: 'engineering', relation: 'members' },
        },
        { namespace: 'Folder', object: 'projects', relation: 'parents', subject_set: folder('company') },
        { namespace: 'Document', object: 'doc-3', relation: 'parents', subject_set: folder('projects') },
      ].map((relation_tuple) => ({ action: 'insert' as const, relation_tuple })),
    });
  });
  after(() => keto.servers.stop());

  const childrenOf = (spans: readonly ReadableSpan[], parent: ReadableSpan | undefined) =>
    spans.filter((span) => parent && span.parentSpanContext?.spanId === parent.spanContext().spanId);

  const check = async (maxDepth?: number) => {
    await tracing.reset();
    const { data } = await keto.permissions.checkPermission({
      namespace: 'Document',
      object: 'doc-3',
      relation: 'view',
      subjectId: 'bob',
      maxDepth,
    });
    return { allowed: data.allowed, spans: await tracing.spans() };
  };

  it('a folder chain: permission.check → permission.traverse → permission.traverse → permission.subject_set, SQL under each step', async () => {
    const { allowed, spans } = await check();
    assert.equal(allowed, true);
    const root = spans.find((span) => span.name === 'permission.check');
    assert.deepEqual(
      childrenOf(spans, root).map((span) => span.name),
      ['SELECT relation_tuples', 'permission.traverse'],
    );
    const first = childrenOf(spans, root).find((span) => span.name === 'permission.traverse');
    assert.equal(first?.kind, SpanKind.INTERNAL);
    assert.deepEqual(
      { ...first?.attributes },
      {
        'permission.namespace': 'Folder',
        'permission.object': 'projects',
        'permission.relation': 'view',
        'permission.depth': 2,
        'permission.rewrite': 'tuple_to_subject_set',
        'permission.allowed': true,
      },
    );
    // owners, viewers and parents of projects in one batched statement, then the next traversal
    assert.deepEqual(
      childrenOf(spans, first).map((span) => span.name),
      ['SELECT relation_tuples', 'permission.traverse'],
    );
    const second = childrenOf(spans, first).find((span) => span.name === 'permission.traverse');
    assert.equal(second?.attributes['permission.object'], 'company');
    const subjectSet = childrenOf(spans, second).find((span) => span.name === 'permission.subject_set');
    assert.equal(subjectSet?.attributes['permission.namespace'], 'Group');
    assert.equal(subjectSet?.attributes['permission.rewrite'], 'this');
    assert.equal(subjectSet?.attributes['permission.allowed'], true);
    assert.deepEqual(
      childrenOf(spans, subjectSet).map((span) => span.name),
      ['SELECT relation_tuples'],
    );
  });

  it('a check cut by max-depth says so on the step and on the root', async () => {
    const { allowed, spans } = await check(3);
    assert.equal(allowed, false);
    const root = spans.find((span) => span.name === 'permission.check');
    assert.equal(root?.attributes['permission.limit.max_depth_reached'], true);
    const cut = spans.find(
      (span) => span.name === 'permission.traverse' && span.attributes['permission.object'] === 'company',
    );
    assert.equal(cut?.attributes['permission.limit.max_depth_reached'], true);
    assert.equal(cut?.attributes['permission.allowed'], false);
  });

  it('a permit named by another permit is a permission.permit span (computed_subject_set)', async () => {
    const report = `${model}
class Report implements Namespace {
  related: { readers: User[] }
  permits = {
    read: (ctx: Context): boolean => this.related.readers.includes(ctx.subject),
    audit: (ctx: Context): boolean => this.permits.read(ctx),
  }
}`;
    const other = await startPermission('memory', [
      `namespaces=base64://${Buffer.from(report).toString('base64')}`,
    ]);
    try {
      await other.writeRelationships.createRelationship({
        createRelationshipBody: {
          namespace: 'Report',
          object: 'q3',
          relation: 'readers',
          subject_id: 'carol',
        },
      });
      await tracing.reset();
      await other.permissions.checkPermission({
        namespace: 'Report',
        object: 'q3',
        relation: 'audit',
        subjectId: 'carol',
      });
      const spans = await tracing.spans();
      const root = spans.find((span) => span.name === 'permission.check');
      const [permit] = childrenOf(spans, root);
      assert.equal(permit?.name, 'permission.permit');
      assert.equal(permit?.attributes['permission.relation'], 'read');
      assert.equal(permit?.attributes['permission.rewrite'], 'computed_subject_set');
      assert.equal(permit?.attributes['permission.allowed'], true);
      assert.deepEqual(
        childrenOf(spans, permit).map((span) => span.name),
        ['SELECT relation_tuples'],
      );
    } finally {
      await other.servers.stop();
    }
  });
});
