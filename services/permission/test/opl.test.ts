import { startPermission, variants, type Running } from './support';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sdkStatusOf as statusOf, waitFor } from '@mesh/testkit';
import type { Relationship } from '@ory/client';

const demoModel = readFileSync(join(__dirname, '../../../../infra/namespaces/namespaces.keto.ts'), 'utf8');

/** The demo model plus a permit with && and !, and one that names a permit of its own namespace. */
const model = `${demoModel}
class Report implements Namespace {
  related: {
    readers: (User | SubjectSet<Group, "members">)[]
    banned: User[]
    parents: Folder[]
  }
  permits = {
    read: (ctx: Context): boolean =>
      (this.related.readers.includes(ctx.subject) || this.related.parents.traverse((p) => p.permits.view(ctx))) &&
      !this.related.banned.includes(ctx.subject),
    audit: (ctx: Context): boolean => this.permits.read(ctx),
  }
}
`;

const tuple = (text: string): Relationship => {
  const match = /^(\w+):([\w-]+)#(\w*)@(?:\((\w+):([\w-]+)#(\w*)\)|([\w-]+))$/.exec(text);
  if (!match) throw new Error(`bad tuple ${text}`);
  const [, namespace, object, relation, setNamespace, setObject, setRelation, subjectId] = match;
  return setNamespace
    ? {
        namespace: namespace ?? '',
        object: object ?? '',
        relation: relation ?? '',
        subject_set: { namespace: setNamespace, object: setObject ?? '', relation: setRelation ?? '' },
      }
    : { namespace: namespace ?? '', object: object ?? '', relation: relation ?? '', subject_id: subjectId };
};

const tuples = [
  'Group:staff#members@(Group:engineering#members)',
  'Group:engineering#members@bob',
  'Folder:root#viewers@(Group:staff#members)',
  'Folder:projects#parents@(Folder:root#)',
  'Folder:mesh#parents@(Folder:projects#)',
  'Document:design#parents@(Folder:mesh#)',
  'Document:design#owners@alice',
  'Document:notes#viewers@carol',
  'Report:q3#parents@(Folder:mesh#)',
  'Report:q3#banned@dave',
  'Group:engineering#members@dave',
].map(tuple);

for (const variant of variants) {
  const skip =
    variant.name === 'PostgreSQL' && !process.env.TEST_POSTGRES_DSN ? 'TEST_POSTGRES_DSN is not set' : false;
  describe(`OPL on ${variant.name}`, { skip }, () => {
    let keto: Running;
    let drop: () => Promise<void>;
    let file: string;
    const logLines: string[] = [];
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
      file = join(mkdtempSync(join(tmpdir(), 'opl-')), 'namespaces.keto.ts');
      writeFileSync(file, model);
      keto = await startPermission(
        database.dsn,
        [`namespaces=file://${file}`, 'limit.max_read_depth=10'],
        (line) => logLines.push(line),
      );
      await keto.writeRelationships.patchRelationships({
        relationshipPatch: tuples.map((relation_tuple) => ({ action: 'insert', relation_tuple })),
      });
    });
    after(async () => {
      await keto.servers.stop();
      await drop();
    });

    it('evaluates computed subject sets, subject sets and tuple-to-subject-set traversals', async () => {
      assert.equal(await allowed('Document', 'design', 'view', 'alice'), true, 'owner');
      assert.equal(await allowed('Document', 'notes', 'view', 'carol'), true, 'viewer');
      // design → mesh → projects → root, whose viewers are staff ⊇ engineering ∋ bob
      assert.equal(await allowed('Document', 'design', 'view', 'bob'), true, 'folder chain');
      assert.equal(await allowed('Document', 'notes', 'view', 'bob'), false);
      assert.equal(await allowed('Document', 'design', 'view', 'carol'), false);
      assert.equal(await allowed('Report', 'q3', 'read', 'bob'), true, '&& with !');
      assert.equal(await allowed('Report', 'q3', 'read', 'dave'), false, 'banned by !');
      assert.equal(await allowed('Report', 'q3', 'audit', 'bob'), true, 'this.permits');
    });

    it('bounds the folder chain by max-depth: 5 levels to bob, 4 are not enough', async () => {
      // design(1) → mesh(2) → projects(3) → root(4) → staff(5) → engineering(6)
      assert.equal(await allowed('Document', 'design', 'view', 'bob', 6), true);
      assert.equal(await allowed('Document', 'design', 'view', 'bob', 5), false);
    });

    it("an undeclared relation is Keto's 400, on check and per tuple in a batch", async () => {
      const response = await fetch(
        `${keto.readUrl}/relation-tuples/check?namespace=Document&object=design&relation=edit&subject_id=bob`,
      );
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), {
        error: {
          code: 400,
          status: 'Bad Request',
          reason: 'relation "edit" does not exist',
          message: 'The request was malformed or contained invalid parameters',
        },
      });
      const { data } = await keto.permissions.batchCheckPermission({
        batchCheckPermissionBody: {
          tuples: [{ namespace: 'Document', object: 'design', relation: 'edit', subject_id: 'bob' }],
        },
      });
      assert.deepEqual(data.results, [{ allowed: false, error: 'relation "edit" does not exist' }]);
    });

    it('batch check answers each tuple', async () => {
      const { data } = await keto.permissions.batchCheckPermission({
        batchCheckPermissionBody: {
          tuples: [
            { namespace: 'Document', object: 'design', relation: 'view', subject_id: 'bob' },
            { namespace: 'Document', object: 'design', relation: 'view', subject_id: 'carol' },
            { namespace: 'Nope', object: 'design', relation: 'view', subject_id: 'bob' },
          ],
        },
      });
      assert.deepEqual(
        data.results.map((result) => result.allowed),
        [true, false, false],
      );
    });

    it('expand keeps the tree shape and expands the permit through its rewrite', async () => {
      const { data } = await keto.permissions.expandPermissions({
        namespace: 'Report',
        object: 'q3',
        relation: 'read',
        maxDepth: 5,
      });
      assert.equal(data.type, 'intersection');
      assert.deepEqual(
        data.children?.map((child) => child.type),
        ['union', 'not'],
      );
      const traversal = data.children?.[0]?.children?.[1];
      assert.equal(traversal?.tuple?.relation, 'parents');
      assert.equal(traversal?.children?.[0]?.tuple?.object, 'mesh');
    });

    it('lists namespaces from the OPL file', async () => {
      const { data } = await keto.relationships.listRelationshipNamespaces();
      assert.deepEqual(
        data.namespaces?.map((namespace) => namespace.name),
        ['User', 'Group', 'Folder', 'Document', 'Report'],
      );
    });

    it('reloads the file on change; a bad file keeps the last good model', async () => {
      writeFileSync(file, `${model}\nclass Extra implements Namespace {}\n`);
      await waitFor(async () => {
        const { data } = await keto.relationships.listRelationshipNamespaces();
        return data.namespaces?.some((namespace) => namespace.name === 'Extra') ? true : undefined;
      }, 'the reloaded model');
      writeFileSync(file, `${model}\nclass Broken implements Namespace { related: { x: Missing[] } }\n`);
      const line = await waitFor(
        () => Promise.resolve(logLines.find((entry) => entry.includes('keeping the last good model'))),
        'the log line of the rejected reload',
      );
      assert.match(line, /namespace \\"Missing\\" was not declared/);
      const { data } = await keto.relationships.listRelationshipNamespaces();
      assert.ok(data.namespaces?.some((namespace) => namespace.name === 'Extra'));
      assert.ok(!data.namespaces?.some((namespace) => namespace.name === 'Broken'));
      assert.equal(await allowed('Document', 'design', 'view', 'bob'), true);
      writeFileSync(file, model);
    });
  });
}

describe('POST /opl/syntax/check', () => {
  let keto: Running;
  before(async () => {
    keto = await startPermission('memory');
  });
  after(() => keto.servers.stop());

  it('answers {} for a valid file through the SDK', async () => {
    const ory = await import('@ory/client');
    const api = new ory.RelationshipApi(new ory.Configuration({ basePath: keto.oplUrl }));
    assert.deepEqual((await api.checkOplSyntax({ body: model })).data, {});
  });

  const cases: { name: string; opl: string; message: string; start: { Line: number; column: number } }[] = [
    {
      name: 'syntax error',
      opl: 'class A implements Namespace {\n  related: {\n    x: A[\n  }\n}',
      message: "']' expected.",
      start: { Line: 4, column: 2 },
    },
    {
      name: 'undeclared namespace in a relation type',
      opl: 'class A implements Namespace {\n  related: { x: B[] }\n}',
      message: 'namespace "B" was not declared',
      start: { Line: 2, column: 16 },
    },
    {
      name: 'SubjectSet with an undeclared relation',
      opl: 'class G implements Namespace { related: { m: G[] } }\nclass A implements Namespace { related: { x: SubjectSet<G, "members">[] } }',
      message: 'namespace "G" did not declare relation "members"',
      start: { Line: 2, column: 59 },
    },
    {
      name: 'includes of an undeclared relation',
      opl: 'class A implements Namespace {\n  permits = { v: (ctx: Context) => this.related.owners.includes(ctx.subject) }\n}',
      message: 'namespace "A" did not declare relation "owners"',
      start: { Line: 2, column: 48 },
    },
    {
      name: 'an undeclared permit',
      opl: 'class A implements Namespace {\n  permits = { v: (ctx: Context) => this.permits.edit(ctx) }\n}',
      message: 'namespace "A" did not declare relation "edit"',
      start: { Line: 2, column: 48 },
    },
    {
      name: 'a traversal to a permit the parent type lacks',
      opl: 'class F implements Namespace {}\nclass A implements Namespace {\n  related: { parents: F[] }\n  permits = { v: (ctx: Context) => this.related.parents.traverse((p) => p.permits.view(ctx)) }\n}',
      message: 'relation "view" was not declared in namespace "F"',
      start: { Line: 4, column: 48 },
    },
    {
      name: 'an unsupported operator',
      opl: 'class A implements Namespace {\n  related: { o: A[] }\n  permits = { v: (ctx: Context) => this.related.o.includes(ctx.subject) + 1 }\n}',
      message: `expected '||' or '&&', got "+"`,
      start: { Line: 3, column: 72 },
    },
    {
      name: 'a member other than related or permits',
      opl: 'class A implements Namespace {\n  other = 1\n}',
      message: `expected 'permits' or 'related', got "other"`,
      start: { Line: 2, column: 2 },
    },
    {
      name: 'a verb other than traverse or includes',
      opl: 'class A implements Namespace {\n  related: { o: A[] }\n  permits = { v: (ctx: Context) => this.related.o.has(ctx.subject) }\n}',
      message: `expected 'traverse' or 'includes', got "has"`,
      start: { Line: 3, column: 50 },
    },
  ];
  for (const { name, opl, message, start } of cases) {
    it(`reports ${name} with its position`, async () => {
      const response = await fetch(`${keto.oplUrl}/opl/syntax/check`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: opl,
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { errors: { message: string; start: unknown; end: unknown }[] };
      assert.equal(body.errors[0]?.message, message);
      assert.deepEqual(body.errors[0]?.start, start);
    });
  }

  it('refuses to start on a bad file, with the error and its position', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'opl-')), 'bad.keto.ts');
    writeFileSync(bad, 'class A implements Namespace {\n  related: { x: B[] }\n}');
    await assert.rejects(
      startPermission('memory', [`namespaces=file://${bad}`]),
      /2:16: namespace "B" was not declared/,
    );
  });

  it('reads base64:// locations', async () => {
    const encoded = Buffer.from('class Only implements Namespace {}').toString('base64');
    const other = await startPermission('memory', [`namespaces=base64://${encoded}`]);
    try {
      const { data } = await other.relationships.listRelationshipNamespaces();
      assert.deepEqual(data.namespaces, [{ name: 'Only' }]);
      assert.equal(
        await statusOf(
          other.permissions.checkPermission({
            namespace: 'Only',
            object: 'o',
            relation: 'r',
            subjectId: 's',
          }),
        ),
        'ok',
      );
    } finally {
      await other.servers.stop();
    }
  });
});
