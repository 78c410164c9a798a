import { startPermission, variants, type Running } from './support';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sdkStatusOf as statusOf } from '@mesh/testkit';

for (const variant of variants) {
  const skip =
    variant.name === 'PostgreSQL' && !process.env.TEST_POSTGRES_DSN ? 'TEST_POSTGRES_DSN is not set' : false;
  describe(`permission on ${variant.name}`, { skip }, () => {
    let keto: Running;
    let drop: () => Promise<void>;
    const allowed = async (
      namespace: string,
      object: string,
      relation: string,
      subjectId: string,
      maxDepth?: number,
    ) =>
      (await keto.permissions.checkPermission({ namespace, object, relation, subjectId, maxDepth })).data
        .allowed;

    before(async () => {
      const database = await variant.open();
      drop = database.drop;
      keto = await startPermission(database.dsn, [
        'namespaces=[{"id":0,"name":"documents"},{"id":1,"name":"groups"},{"id":2,"name":"folders"}]',
      ]);
      await keto.writeRelationships.patchRelationships({
        relationshipPatch: [
          {
            action: 'insert',
            relation_tuple: {
              namespace: 'documents',
              object: 'doc-1',
              relation: 'view',
              subject_id: 'alice',
            },
          },
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
          // doc-3 → folders:root#view → groups:staff#member → groups:engineering#member (depth 4 for bob)
          {
            action: 'insert',
            relation_tuple: {
              namespace: 'documents',
              object: 'doc-3',
              relation: 'view',
              subject_set: { namespace: 'folders', object: 'root', relation: 'view' },
            },
          },
          {
            action: 'insert',
            relation_tuple: {
              namespace: 'folders',
              object: 'root',
              relation: 'view',
              subject_set: { namespace: 'groups', object: 'staff', relation: 'member' },
            },
          },
          {
            action: 'insert',
            relation_tuple: {
              namespace: 'groups',
              object: 'staff',
              relation: 'member',
              subject_set: { namespace: 'groups', object: 'engineering', relation: 'member' },
            },
          },
          // a cycle: groups:a#member ↔ groups:b#member
          {
            action: 'insert',
            relation_tuple: {
              namespace: 'groups',
              object: 'a',
              relation: 'member',
              subject_set: { namespace: 'groups', object: 'b', relation: 'member' },
            },
          },
          {
            action: 'insert',
            relation_tuple: {
              namespace: 'groups',
              object: 'b',
              relation: 'member',
              subject_set: { namespace: 'groups', object: 'a', relation: 'member' },
            },
          },
        ],
      });
    });
    after(async () => {
      await keto.servers.stop();
      await drop();
    });

    it('checks direct tuples, one- and multi-level subject sets', async () => {
      assert.equal(await allowed('documents', 'doc-1', 'view', 'alice'), true);
      assert.equal(await allowed('documents', 'doc-1', 'view', 'bob'), false);
      assert.equal(await allowed('documents', 'doc-2', 'view', 'bob'), true);
      assert.equal(await allowed('documents', 'doc-2', 'view', 'alice'), false);
      assert.equal(await allowed('documents', 'doc-3', 'view', 'bob'), true);
    });

    it('respects the depth limit: a request max-depth lowers it, never raises it', async () => {
      assert.equal(await allowed('documents', 'doc-3', 'view', 'bob', 4), true);
      assert.equal(await allowed('documents', 'doc-3', 'view', 'bob', 3), false);
      assert.equal(
        await allowed('documents', 'doc-2', 'view', 'bob', 1),
        false,
        'depth 1 is the direct lookup only',
      );
      const shallow = await startPermission('memory', ['limit.max_read_depth=2']);
      try {
        await shallow.writeRelationships.patchRelationships({
          relationshipPatch: [
            {
              action: 'insert',
              relation_tuple: {
                namespace: 'groups',
                object: 'g1',
                relation: 'member',
                subject_set: { namespace: 'groups', object: 'g2', relation: 'member' },
              },
            },
            {
              action: 'insert',
              relation_tuple: {
                namespace: 'groups',
                object: 'g2',
                relation: 'member',
                subject_set: { namespace: 'groups', object: 'g3', relation: 'member' },
              },
            },
            {
              action: 'insert',
              relation_tuple: { namespace: 'groups', object: 'g3', relation: 'member', subject_id: 'zoe' },
            },
          ],
        });
        const check = (maxDepth?: number) =>
          shallow.permissions.checkPermission({
            namespace: 'groups',
            object: 'g1',
            relation: 'member',
            subjectId: 'zoe',
            maxDepth,
          });
        assert.equal((await check()).data.allowed, false, 'limit.max_read_depth=2 stops at g2');
        assert.equal((await check(10)).data.allowed, false, 'a larger max-depth cannot raise the limit');
      } finally {
        await shallow.servers.stop();
      }
    });

    it('terminates on cycles', async () => {
      assert.equal(await allowed('groups', 'a', 'member', 'nobody'), false);
    });

    it('checkPermissionOrError gives 403 on deny; the openapi form always 200; postCheckPermission and batch', async () => {
      assert.equal(
        (
          await keto.permissions.checkPermissionOrError({
            namespace: 'documents',
            object: 'doc-1',
            relation: 'view',
            subjectId: 'alice',
          })
        ).data.allowed,
        true,
      );
      assert.equal(
        await statusOf(
          keto.permissions.checkPermissionOrError({
            namespace: 'documents',
            object: 'doc-1',
            relation: 'view',
            subjectId: 'bob',
          }),
        ),
        403,
      );
      const posted = await keto.permissions.postCheckPermission({
        postCheckPermissionBody: {
          namespace: 'documents',
          object: 'doc-2',
          relation: 'view',
          subject_id: 'bob',
        },
      });
      assert.equal(posted.status, 200);
      assert.equal(posted.data.allowed, true);
      const denied = await fetch(`${keto.readUrl}/relation-tuples/check`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          namespace: 'documents',
          object: 'doc-1',
          relation: 'view',
          subject_id: 'bob',
        }),
      });
      assert.equal(denied.status, 403);
      assert.deepEqual(await denied.json(), { allowed: false });
      const batch = await keto.permissions.batchCheckPermission({
        batchCheckPermissionBody: {
          tuples: [
            { namespace: 'documents', object: 'doc-1', relation: 'view', subject_id: 'alice' },
            { namespace: 'documents', object: 'doc-1', relation: 'view', subject_id: 'bob' },
          ],
        },
      });
      assert.deepEqual(
        batch.data.results.map((result) => result.allowed),
        [true, false],
      );
    });

    it('an unknown namespace is allowed:false on check and 404 on write', async () => {
      assert.equal(await allowed('nope', 'x', 'view', 'alice'), false);
      assert.equal(
        await statusOf(
          keto.writeRelationships.createRelationship({
            createRelationshipBody: { namespace: 'nope', object: 'x', relation: 'view', subject_id: 'a' },
          }),
        ),
        404,
      );
    });

    it('createRelationship, getRelationships with pagination, deleteRelationships', async () => {
      for (let index = 0; index < 5; index += 1) {
        const created = await keto.writeRelationships.createRelationship({
          createRelationshipBody: {
            namespace: 'documents',
            object: 'paged',
            relation: 'edit',
            subject_id: `user-${index}`,
          },
        });
        assert.equal(created.status, 201);
      }
      const seen: string[] = [];
      let pageToken: string | undefined;
      do {
        const page = await keto.relationships.getRelationships({
          namespace: 'documents',
          object: 'paged',
          pageSize: 2,
          pageToken,
        });
        seen.push(...page.data.relation_tuples!.map((tuple) => tuple.subject_id as string));
        pageToken = page.data.next_page_token || undefined;
      } while (pageToken);
      assert.deepEqual(seen, ['user-0', 'user-1', 'user-2', 'user-3', 'user-4']);
      const bySubjectSet = await keto.relationships.getRelationships({
        namespace: 'documents',
        subjectSetNamespace: 'groups',
        subjectSetObject: 'engineering',
        subjectSetRelation: 'member',
      });
      assert.deepEqual(
        bySubjectSet.data.relation_tuples?.map((tuple) => tuple.object),
        ['doc-2'],
      );
      await keto.writeRelationships.deleteRelationships({
        namespace: 'documents',
        object: 'paged',
        subjectId: 'user-0',
      });
      const after = await keto.relationships.getRelationships({ namespace: 'documents', object: 'paged' });
      assert.equal(after.data.relation_tuples?.length, 4);
      await keto.writeRelationships.deleteRelationships({ namespace: 'documents', object: 'paged' });
      assert.equal(
        (await keto.relationships.getRelationships({ namespace: 'documents', object: 'paged' })).data
          .relation_tuples?.length,
        0,
      );
      assert.equal(
        await allowed('documents', 'paged', 'edit', 'user-1'),
        false,
        'a deleted tuple no longer allows',
      );
    });

    it('patchRelationships is atomic: a bad change applies nothing', async () => {
      const status = await statusOf(
        keto.writeRelationships.patchRelationships({
          relationshipPatch: [
            {
              action: 'insert',
              relation_tuple: { namespace: 'documents', object: 'atomic', relation: 'view', subject_id: 'x' },
            },
            {
              action: 'insert',
              relation_tuple: { namespace: 'unknown', object: 'atomic', relation: 'view', subject_id: 'x' },
            },
          ],
        }),
      );
      assert.equal(status, 404);
      assert.equal(await allowed('documents', 'atomic', 'view', 'x'), false);
      await keto.writeRelationships.patchRelationships({
        relationshipPatch: [
          {
            action: 'delete',
            relation_tuple: {
              namespace: 'documents',
              object: 'doc-1',
              relation: 'view',
              subject_id: 'alice',
            },
          },
        ],
      });
      assert.equal(await allowed('documents', 'doc-1', 'view', 'alice'), false);
      await keto.writeRelationships.createRelationship({
        createRelationshipBody: {
          namespace: 'documents',
          object: 'doc-1',
          relation: 'view',
          subject_id: 'alice',
        },
      });
    });

    it('expandPermissions returns the Keto tree; listRelationshipNamespaces the configured ones', async () => {
      const tree = (
        await keto.permissions.expandPermissions({
          namespace: 'documents',
          object: 'doc-2',
          relation: 'view',
          maxDepth: 3,
        })
      ).data;
      assert.equal(tree.type, 'union');
      const group = tree.children?.[0];
      assert.equal(group?.type, 'union');
      assert.equal(group?.tuple?.subject_set?.object, 'engineering');
      assert.equal(group?.children?.[0]?.type, 'leaf');
      assert.equal(group?.children?.[0]?.tuple?.subject_id, 'bob');
      const namespaces = (await keto.relationships.listRelationshipNamespaces()).data.namespaces?.map(
        (namespace) => namespace.name,
      );
      assert.deepEqual(namespaces, ['documents', 'groups', 'folders']);
    });

    it('stores SQL metacharacters unchanged', async () => {
      const object = "doc'; DROP TABLE relation_tuples; --";
      const subject = 'user" OR 1=1 --';
      await keto.writeRelationships.createRelationship({
        createRelationshipBody: { namespace: 'documents', object, relation: 'view', subject_id: subject },
      });
      assert.equal(await allowed('documents', object, 'view', subject), true);
      const listed = await keto.relationships.getRelationships({ namespace: 'documents', object });
      assert.equal(listed.data.relation_tuples?.[0]?.subject_id, subject);
    });

    it('answers bad input with a clear 400 (or 413) in the Ory shape', async () => {
      const json = { 'content-type': 'application/json' };
      const cases: { name: string; url: string; method: string; body?: string; status: number }[] = [
        {
          name: 'check without namespace',
          url: `${keto.readUrl}/relation-tuples/check?object=a&relation=b&subject_id=c`,
          method: 'GET',
          status: 400,
        },
        {
          name: 'check with both subjects',
          url: `${keto.readUrl}/relation-tuples/check?namespace=documents&object=a&relation=b&subject_id=c&subject_set.namespace=groups&subject_set.object=x&subject_set.relation=y`,
          method: 'GET',
          status: 400,
        },
        {
          name: 'check with no subject',
          url: `${keto.readUrl}/relation-tuples/check?namespace=documents&object=a&relation=b`,
          method: 'GET',
          status: 400,
        },
        {
          name: 'bad max-depth',
          url: `${keto.readUrl}/relation-tuples/check?namespace=documents&object=a&relation=b&subject_id=c&max-depth=deep`,
          method: 'GET',
          status: 400,
        },
        {
          name: 'negative max-depth',
          url: `${keto.readUrl}/relation-tuples/check?namespace=documents&object=a&relation=b&subject_id=c&max-depth=-1`,
          method: 'GET',
          status: 400,
        },
        {
          name: 'bad page token',
          url: `${keto.readUrl}/relation-tuples?namespace=documents&page_token=garbage`,
          method: 'GET',
          status: 400,
        },
        {
          name: 'bad page size',
          url: `${keto.readUrl}/relation-tuples?namespace=documents&page_size=0`,
          method: 'GET',
          status: 400,
        },
        {
          name: 'invalid JSON check',
          url: `${keto.readUrl}/relation-tuples/check`,
          method: 'POST',
          body: '{"namespace":',
          status: 400,
        },
        {
          name: 'wrong type',
          url: `${keto.readUrl}/relation-tuples/check`,
          method: 'POST',
          body: '{"namespace":1,"object":"a","relation":"b","subject_id":"c"}',
          status: 400,
        },
        {
          name: 'oversized body',
          url: `${keto.writeUrl}/admin/relation-tuples`,
          method: 'PUT',
          body: JSON.stringify({
            namespace: 'documents',
            object: 'x'.repeat(1_100_000),
            relation: 'v',
            subject_id: 's',
          }),
          status: 413,
        },
        {
          name: 'delete without namespace',
          url: `${keto.writeUrl}/admin/relation-tuples?object=a`,
          method: 'DELETE',
          status: 400,
        },
        {
          name: 'patch not an array',
          url: `${keto.writeUrl}/admin/relation-tuples`,
          method: 'PATCH',
          body: '{"action":"insert"}',
          status: 400,
        },
        {
          name: 'patch bad action',
          url: `${keto.writeUrl}/admin/relation-tuples`,
          method: 'PATCH',
          body: '[{"action":"upsert","relation_tuple":{}}]',
          status: 400,
        },
        {
          name: 'expand without object',
          url: `${keto.readUrl}/relation-tuples/expand?namespace=documents&relation=view`,
          method: 'GET',
          status: 400,
        },
      ];
      for (const row of cases) {
        const response = await fetch(row.url, { method: row.method, body: row.body, headers: json });
        assert.equal(response.status, row.status, row.name);
        const body = (await response.json()) as { error?: { code: number } };
        assert.equal(body.error?.code, row.status, `${row.name}: Ory error shape`);
      }
    });
  });
}
