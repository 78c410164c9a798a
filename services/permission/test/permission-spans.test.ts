import { tracing, startPermission, type Running } from './support';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { sdkStatusOf as statusOf } from '@mesh/testkit';

describe('permission spans (trace contract)', () => {
  let keto: Running;
  before(async () => {
    keto = await startPermission('memory');
    await keto.writeRelationships.patchRelationships({
      relationshipPatch: [
        {
          action: 'insert',
          relation_tuple: {
            namespace: 'groups',
            object: 'engineering',
            relation: 'member',
            subject_id: 'bob',
          },
        },
        {
          action: 'insert',
          relation_tuple: {
            namespace: 'documents',
            object: 'doc-2',
            relation: 'view',
            subject_set: { namespace: 'groups', object: 'engineering', relation: 'member' },
          },
        },
      ],
    });
  });
  after(() => keto.servers.stop());

  const childrenOf = (spans: readonly ReadableSpan[], parent: ReadableSpan | undefined) =>
    spans.filter((span) => parent && span.parentSpanContext?.spanId === parent.spanContext().spanId);

  it('a check via a subject set: permission.check → SQL, and a nested permission.subject_set → SQL', async () => {
    await tracing.reset();
    await keto.permissions.postCheckPermissionOrError({
      postCheckPermissionOrErrorBody: {
        namespace: 'documents',
        object: 'doc-2',
        relation: 'view',
        subject_id: 'bob',
      },
    });
    const spans = await tracing.spans();
    const server = spans.find((span) => span.kind === SpanKind.SERVER);
    assert.equal(server?.name, 'POST /relation-tuples/check');
    const [root] = childrenOf(spans, server);
    assert.equal(root?.name, 'permission.check');
    assert.deepEqual(
      { ...root?.attributes },
      {
        'permission.namespace': 'documents',
        'permission.object': 'doc-2',
        'permission.relation': 'view',
        'permission.depth': 1,
        'permission.allowed': true,
      },
    );
    const rootChildren = childrenOf(spans, root);
    assert.deepEqual(
      rootChildren.map((span) => span.name),
      ['SELECT relation_tuples', 'permission.subject_set'],
    );
    const nested = rootChildren[1];
    assert.equal(nested?.attributes['permission.namespace'], 'groups');
    assert.equal(nested?.kind, SpanKind.INTERNAL);
    assert.equal(nested?.attributes['permission.depth'], 2);
    assert.equal(nested?.attributes['permission.rewrite'], 'this');
    assert.equal(nested?.attributes['permission.allowed'], true);
    assert.deepEqual(
      childrenOf(spans, nested).map((span) => span.name),
      ['SELECT relation_tuples'],
    );
  });

  it("a denied check's 403 marks the server span as an error", async () => {
    await tracing.reset();
    await statusOf(
      keto.permissions.checkPermissionOrError({
        namespace: 'documents',
        object: 'doc-2',
        relation: 'view',
        subjectId: 'eve',
      }),
    );
    const server = (await tracing.spans()).find((span) => span.kind === SpanKind.SERVER);
    assert.equal(server?.attributes['http.response.status_code'], 403);
    assert.equal(server?.attributes.error, true);
  });

  it('measures a depth-3 check', async (t) => {
    await keto.writeRelationships.patchRelationships({
      relationshipPatch: [
        {
          action: 'insert',
          relation_tuple: {
            namespace: 'documents',
            object: 'deep',
            relation: 'view',
            subject_set: { namespace: 'groups', object: 'outer', relation: 'member' },
          },
        },
        {
          action: 'insert',
          relation_tuple: {
            namespace: 'groups',
            object: 'outer',
            relation: 'member',
            subject_set: { namespace: 'groups', object: 'engineering', relation: 'member' },
          },
        },
      ],
    });
    const timings: number[] = [];
    for (let index = 0; index < 200; index += 1) {
      const started = performance.now();
      const response = await fetch(
        `${keto.readUrl}/relation-tuples/check?namespace=documents&object=deep&relation=view&subject_id=bob`,
      );
      assert.equal(response.status, 200);
      await response.arrayBuffer();
      timings.push(performance.now() - started);
    }
    timings.sort((a, b) => a - b);
    const median = timings[100] ?? 0;
    const p99 = timings[197] ?? 0;
    t.diagnostic(
      `depth-3 check over HTTP (SQLite, tracing on): median ${median.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
    );
    assert.ok(median < 50);
  });
});
