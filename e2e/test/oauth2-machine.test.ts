import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIsolatedSchema, type IsolatedSchema } from '@mesh/sql';
import type { ServiceName } from '@mesh/testkit';
import { demoMachine } from '../src/demo-data';
import { duplicateClient, getDocumentAsMachine, machineToken, seedMachine } from '../src/machine-client';
import { freeMeshPorts, startMesh, type Mesh } from '../src/mesh';
import { seedDemo } from '../src/mesh-client';
import { findLeaks, machineSecrets } from '../src/secret-scan';
import { SpanKind, StatusCode, type FlatSpan } from '../src/sink/otlp-json';
import { pollTrace } from '../src/trace-query';
import { TraceTree } from '../src/trace-tree';

const services: ServiceName[] = ['identity', 'permission', 'documents', 'gateway', 'oauth2'];
const bcryptCost = 6;

const databases = [
  { name: 'sqlite', skip: false as string | false },
  { name: 'postgresql', skip: process.env.TEST_POSTGRES_DSN ? false : 'TEST_POSTGRES_DSN is not set' },
] as const;

/** The SQL spans of oauth2 in a trace, each a leaf CLIENT span with the stable database attributes. */
function assertSqlSpan(span: FlatSpan, system: string, name: string): void {
  assert.equal(span.name, name);
  assert.equal(span.kind, SpanKind.client, `${name} is a CLIENT span`);
  assert.equal(span.attributes['db.system.name'], system);
  assert.equal(typeof span.attributes['db.query.text'], 'string');
  assert.ok(span.attributes['db.namespace'] !== undefined, `${name} db.namespace`);
}

for (const database of databases) {
  describe(`oauth2 in the mesh on ${database.name}`, { skip: database.skip }, () => {
    let mesh: Mesh;
    let dataDir: string;
    const schemas: IsolatedSchema[] = [];
    const tokens: string[] = [];

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'mesh-oauth2-'));
      const dsns = new Map<ServiceName, string>();
      for (const service of services) {
        if (database.name === 'postgresql') {
          const schema = await createIsolatedSchema(
            process.env.TEST_POSTGRES_DSN ?? '',
            `machine_${service}`,
          );
          schemas.push(schema);
          dsns.set(service, schema.dsn);
        } else {
          dsns.set(service, `sqlite://${join(dataDir, `${service}.sqlite`)}`);
        }
      }
      mesh = await startMesh({
        ports: await freeMeshPorts(),
        dsn: (service) => dsns.get(service) ?? 'memory',
        bcryptCost,
      });
      await seedDemo(mesh.urls);
      await seedMachine(mesh.urls);
    });

    after(async () => {
      await mesh?.stop();
      for (const schema of schemas) await schema.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("the seed's example: a duplicate POST /admin/clients is one trace, a 409 root with error=true, bcrypt and SQL spans", async () => {
      const response = await duplicateClient(mesh.urls);
      assert.equal(response.status, 409);
      assert.equal(
        (response.body as { error: { message: string } }).error.message,
        'Unable to insert or update resource because a resource with that value exists already',
      );
      assert.ok(response.traceId, 'the answer carries a traceresponse header');
      const tree = new TraceTree(await pollTrace(mesh.sink.queryUrl, response.traceId));
      const [root, ...others] = tree.roots();
      assert.equal(others.length, 0, 'one root');
      assert.ok(root);
      assert.equal(root.service, 'oauth2');
      assert.equal(root.kind, SpanKind.server);
      assert.equal(root.name, 'POST /admin/clients');
      assert.equal(root.attributes['http.route'], '/admin/clients');
      assert.equal(root.attributes['http.response.status_code'], 409);
      assert.equal(root.attributes.error, true);
      assert.equal(root.statusCode, StatusCode.error);
      const children = tree.children(root).sort((a, b) => Number(a.startNs - b.startNs));
      assert.deepEqual(
        children.map((span) => span.name),
        ['hash.Generate', 'INSERT hydra_client'],
      );
      const [generate, insert] = children as [FlatSpan, FlatSpan];
      assert.equal(generate.attributes['hash.type'], 'bcrypt');
      assert.equal(generate.attributes['bcrypt.workfactor'], bcryptCost);
      assertSqlSpan(insert, database.name, 'INSERT hydra_client');
      assert.equal(insert.statusCode, StatusCode.error, 'the unique violation marks the SQL span');
      assert.equal(tree.spans.length, 3, 'nothing else in the trace');
    });

    it("the token endpoint: the client lookup, hash.Compare with bcrypt.workfactor (the seed's token span), the token insert", async () => {
      const token = await machineToken(mesh.urls);
      tokens.push(token.accessToken);
      assert.ok(token.traceId);
      const tree = new TraceTree(await pollTrace(mesh.sink.queryUrl, token.traceId));
      const root = tree.server('oauth2', 'POST /oauth2/token')[0];
      assert.ok(root, 'the token endpoint server span');
      assert.equal(root.parentSpanId, undefined);
      assert.equal(root.attributes.error, undefined);
      const children = tree.children(root).sort((a, b) => Number(a.startNs - b.startNs));
      assert.deepEqual(
        children.map((span) => span.name),
        ['SELECT hydra_client', 'hash.Compare', 'INSERT hydra_oauth2_access'],
      );
      assertSqlSpan(children[0] as FlatSpan, database.name, 'SELECT hydra_client');
      assert.equal(children[1]?.attributes['bcrypt.workfactor'], bcryptCost);
      assertSqlSpan(children[2] as FlatSpan, database.name, 'INSERT hydra_oauth2_access');
    });

    it('introspection through the admin port answers for the machine, with its client_id as subject', async () => {
      const token = await machineToken(mesh.urls);
      tokens.push(token.accessToken);
      const response = await fetch(`${mesh.urls.oauth2Admin}/admin/oauth2/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: token.accessToken, scope: demoMachine.scope }).toString(),
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { active: boolean; sub: string; scope: string };
      assert.equal(body.active, true);
      assert.equal(body.sub, demoMachine.clientId);
      assert.equal(body.scope, demoMachine.scope);
    });

    it('machine access through the gateway is one trace: authn.oauth2_introspection → oauth2 introspect, permission, documents', async () => {
      const { accessToken } = await machineToken(mesh.urls);
      tokens.push(accessToken);
      const response = await getDocumentAsMachine(mesh.urls, demoMachine.allowed, accessToken);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.ok(response.traceId);
      const tree = new TraceTree(
        await pollTrace(mesh.sink.queryUrl, response.traceId, { quietMs: 1_200, timeoutMs: 20_000 }),
      );
      assert.deepEqual(tree.orphans(), [], 'every parent is in the trace');
      const roots = tree.roots();
      assert.equal(roots.length, 1, 'one root');
      const root = roots[0] as FlatSpan;
      assert.equal(root.service, 'gateway');
      assert.equal(root.kind, SpanKind.server);
      assert.equal(root.attributes['http.response.status_code'], 200);
      const only = (spans: FlatSpan[], what: string) => {
        assert.equal(spans.length, 1, `exactly one ${what}: ${spans.map((span) => span.name).join(', ')}`);
        return spans[0] as FlatSpan;
      };
      const authn = only(
        tree.find((span) => span.service === 'gateway' && span.name === 'authn.oauth2_introspection'),
        'authn.oauth2_introspection',
      );
      assert.equal(authn.parentSpanId, root.spanId);
      const introspect = only(tree.server('oauth2', 'POST /admin/oauth2/introspect'), 'introspection');
      assert.ok(
        tree.ancestors(introspect).includes(authn),
        'introspection runs under authn.oauth2_introspection',
      );
      assert.equal(
        tree.get(introspect.parentSpanId)?.kind,
        SpanKind.client,
        'called by a gateway CLIENT span',
      );
      assertSqlSpan(only(tree.sql('oauth2'), 'oauth2 SQL span'), database.name, 'SELECT hydra_oauth2_access');
      const authz = only(
        tree.find((span) => span.service === 'gateway' && span.name === 'authz.remote_json'),
        'authz.remote_json',
      );
      // Start times are stamped with Date.now() (millisecond precision), end times are not.
      assert.ok(authz.startNs + 1_000_000n >= authn.endNs, 'authorization after authentication');
      const check = only(tree.server('permission', 'POST /relation-tuples/check'), 'check');
      assert.ok(tree.ancestors(check).includes(authz));
      const documents = only(tree.server('documents', 'GET /documents/:id'), 'documents');
      assert.ok(tree.ancestors(documents).includes(root));
      // Zero trust: the gateway signs an id_token for the client, documents verifies it and names it.
      const mutate = only(
        tree.find((span) => span.service === 'gateway' && span.name === 'mutate.id_token'),
        'mutate.id_token',
      );
      assert.equal(mutate.parentSpanId, root.spanId);
      const verify = only(
        tree.children(documents).filter((span) => span.name === 'id_token.Verify'),
        'id_token.Verify',
      );
      assert.equal(verify.attributes['id_token.valid'], true);
      assert.equal((response.body as { viewed_by: string }).viewed_by, demoMachine.clientId);
      assert.deepEqual(
        [...new Set(tree.spans.map((span) => span.service))].sort(),
        ['documents', 'gateway', 'oauth2', 'permission'],
        'no identity: a machine has no session',
      );
    });

    it('a machine is denied a document it has no tuple for (403, no upstream), and refused without documents.read (401)', async () => {
      const { accessToken } = await machineToken(mesh.urls);
      tokens.push(accessToken);
      const denied = await getDocumentAsMachine(mesh.urls, demoMachine.denied, accessToken);
      assert.equal(denied.status, 403);
      const deniedTree = new TraceTree(await pollTrace(mesh.sink.queryUrl, denied.traceId ?? ''));
      assert.equal(
        deniedTree.server('documents', 'GET /documents/:id').length,
        0,
        'nothing reached documents',
      );
      const unscoped = await machineToken(mesh.urls, '');
      tokens.push(unscoped.accessToken);
      const refused = await getDocumentAsMachine(mesh.urls, demoMachine.allowed, unscoped.accessToken);
      assert.equal(refused.status, 401);
      const forged = await getDocumentAsMachine(mesh.urls, demoMachine.allowed, 'forged-token');
      assert.equal(forged.status, 401);
    });

    it('the secret scan finds no client secret, Basic credential or access token in any span or log line', async () => {
      // Spans arrive in batches; a last token's trace arriving means the earlier ones have too.
      const last = await machineToken(mesh.urls);
      tokens.push(last.accessToken);
      await pollTrace(mesh.sink.queryUrl, last.traceId ?? '');
      const { leaks, spansScanned, linesScanned } = findLeaks(mesh, machineSecrets(tokens));
      assert.ok(spansScanned > 10, `the scan covers the run (${spansScanned} spans)`);
      assert.ok(linesScanned > 0);
      assert.deepEqual(leaks, []);
    });
  });
}
