import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createIsolatedSchema, type IsolatedSchema } from '@mesh/sql';
import type { ServiceName } from '@mesh/testkit';
import { demoUsers, type DemoUser } from '../src/demo-data';
import { freeMeshPorts, startMesh, type Mesh } from '../src/mesh';
import { browserLogin, getDocument, login, seedDemo, type TracedResponse } from '../src/mesh-client';
import { flattenSpans, SpanKind, StatusCode, type FlatSpan } from '../src/sink/otlp-json';
import { pollTrace } from '../src/trace-query';
import { TraceTree } from '../src/trace-tree';

const services: ServiceName[] = ['identity', 'permission', 'documents', 'gateway'];
const bcryptCost = 10;
/** A compact JWS (the gateway's id_token): base64url header and payload that start as JSON objects. */
const jwtPattern = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;
/** Span start times have millisecond precision (the SDK stamps them with Date.now()). */
const millisecond = 1_000_000n;

interface Database {
  name: 'sqlite' | 'postgresql';
  skip: string | false;
}

const databases: Database[] = [
  { name: 'sqlite', skip: false },
  { name: 'postgresql', skip: process.env.TEST_POSTGRES_DSN ? false : 'TEST_POSTGRES_DSN is not set' },
];

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The attribute of a span under its plain name or with the service's prefix (`permission.namespace`). */
const attributeOf = (span: FlatSpan, name: string): unknown =>
  span.attributes[name] ?? span.attributes[`${span.service}.${name}`];

/** Asserts one span exists and returns it. */
function one(spans: FlatSpan[], what: string): FlatSpan {
  assert.equal(
    spans.length,
    1,
    `exactly one ${what}, got ${spans.map((span) => span.name).join(', ') || 'none'}`,
  );
  return spans[0]!;
}

/** The server span of a service called through the gateway: its parent is a gateway client span (or under one). */
function assertCalledFrom(tree: TraceTree, server: FlatSpan, gatewaySpan: FlatSpan): void {
  const parent = tree.get(server.parentSpanId);
  assert.ok(parent, `${server.service} ${server.name} has its parent in the trace`);
  assert.equal(parent.service, 'gateway');
  assert.equal(
    parent.kind,
    SpanKind.client,
    `${server.service} ${server.name} is called by a gateway CLIENT span`,
  );
  assert.ok(
    parent === gatewaySpan || tree.ancestors(parent).includes(gatewaySpan),
    `${server.service} ${server.name} sits under gateway ${gatewaySpan.name}`,
  );
}

/** Every SQL span: one CLIENT span per statement with the stable database attributes, nothing bound in the text. */
function assertSqlSpans(tree: TraceTree, service: string, system: string, boundValues: string[]): FlatSpan[] {
  const sql = tree.sql(service);
  assert.ok(sql.length > 0, `${service} has SQL spans`);
  for (const span of sql) {
    assert.equal(span.attributes['db.system.name'], system, `${service} ${span.name}`);
    const text = span.attributes['db.query.text'];
    assert.equal(typeof text, 'string', `${service} ${span.name} has db.query.text`);
    for (const value of boundValues)
      assert.ok(!String(text).includes(value), `${span.name} has no bound value`);
    assert.equal(
      typeof span.attributes['db.operation.name'],
      'string',
      `${service} ${span.name} db.operation.name`,
    );
    assert.ok(span.attributes['db.namespace'] !== undefined, `${service} ${span.name} db.namespace`);
    assert.equal(tree.children(span).length, 0, 'a SQL span has no children');
  }
  return sql;
}

/** The attributes of every top-level server span, and error=true with ERROR status iff the status is >= 400. */
function assertServerSpans(tree: TraceTree): void {
  for (const span of tree.find((candidate) => candidate.kind === SpanKind.server)) {
    const status = span.attributes['http.response.status_code'];
    assert.equal(typeof status, 'number', `${span.service} ${span.name} http.response.status_code`);
    assert.equal(typeof span.attributes['http.request.method'], 'string', `${span.name} http.request.method`);
    assert.equal(typeof span.attributes['url.path'], 'string', `${span.name} url.path`);
    assert.ok(
      span.name.startsWith(String(span.attributes['http.request.method'])),
      `${span.name} is {METHOD} {route}`,
    );
    const failed = Number(status) >= 400;
    assert.equal(
      span.attributes.error === true,
      failed,
      `${span.service} ${span.name} (${String(status)}) error attribute`,
    );
    assert.equal(
      span.statusCode === StatusCode.error,
      failed,
      `${span.service} ${span.name} (${String(status)}) status`,
    );
  }
}

/** One trace id everywhere, no orphans, every resource named and versioned. */
function assertWholeTrace(
  tree: TraceTree,
  traceId: string,
  expectedServices: string[],
  callerSpanId?: string,
): void {
  for (const span of tree.spans) assert.equal(span.traceId, traceId);
  const orphans = tree.orphans().filter((span) => span.parentSpanId !== callerSpanId);
  assert.deepEqual(
    orphans.map((span) => `${span.service} ${span.name}`),
    [],
    'no span names a parent outside the trace',
  );
  assert.deepEqual([...new Set(tree.spans.map((span) => span.service))].sort(), [...expectedServices].sort());
  for (const span of tree.spans) {
    assert.equal(span.resource['service.namespace'], 'mesh');
    assert.equal(typeof span.resource['service.version'], 'string');
  }
  const root = one(tree.roots(), 'root span');
  assert.equal(root.service, 'gateway');
  assert.equal(root.kind, SpanKind.server);
  assert.equal(root.parentSpanId, callerSpanId);
}

/** The access request's common shape up to authentication; returns the spans the variants go on from. */
function accessSpans(tree: TraceTree, documentId: string, status: number) {
  const root = one(tree.roots(), 'gateway server span');
  assert.match(root.name, /^GET \/documents/, 'the gateway span is named after the matched rule');
  assert.equal(root.attributes['http.response.status_code'], status);
  assert.equal(root.attributes['url.path'], `/documents/${documentId}`);
  const children = tree.children(root);
  const ruleMatch = one(
    children.filter((span) => span.name === 'rule.match'),
    'rule.match',
  );
  assert.equal(ruleMatch.kind, SpanKind.internal);
  assert.equal(ruleMatch.attributes['gateway.rule.id'], 'documents');
  const authn = children.filter((span) => /^authn\.(cookie_session|bearer_token)$/.test(span.name));
  assert.ok(authn.length > 0, 'an authn.cookie_session or authn.bearer_token span');
  for (const span of authn) assert.equal(span.kind, SpanKind.internal);
  return { root, children, authn };
}

describe('the trace contract, end to end', () => {
  for (const database of databases) {
    describe(`on ${database.name}`, { skip: database.skip }, () => {
      let mesh: Mesh;
      let dataDir: string;
      const schemas: IsolatedSchema[] = [];
      let ids: Record<DemoUser, string>;
      const tokens = {} as Record<DemoUser, string>;
      /** The signed session cookies of browser logins (`ory_kratos_session=…`). */
      const cookies = {} as Record<DemoUser, string>;
      const loginTraces = {} as Record<DemoUser, string>;
      const traces = new Map<string, Promise<TraceTree>>();
      const responses = new Map<string, TracedResponse>();
      const system = database.name;

      const traceOf = (traceId: string | undefined): Promise<TraceTree> => {
        assert.ok(traceId, 'the response carries a traceresponse header');
        let tree = traces.get(traceId);
        if (!tree) {
          tree = pollTrace(mesh.sink.queryUrl, traceId, { quietMs: 1_200, timeoutMs: 20_000 }).then(
            (spans) => new TraceTree(spans),
          );
          traces.set(traceId, tree);
        }
        return tree;
      };

      before(async () => {
        dataDir = mkdtempSync(join(tmpdir(), 'mesh-e2e-'));
        const dsns = new Map<ServiceName, string>();
        for (const service of services) {
          if (database.name === 'postgresql') {
            const schema = await createIsolatedSchema(process.env.TEST_POSTGRES_DSN ?? '', `e2e_${service}`);
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
        ids = await seedDemo(mesh.urls);
        for (const user of ['alice', 'bob'] as const) {
          const result = await browserLogin(mesh.urls.gateway, user);
          cookies[user] = result.cookie;
          tokens[user] = (await login(mesh.urls.gateway, user)).sessionToken;
          assert.ok(result.traceId, 'login answers with a traceresponse header');
          loginTraces[user] = result.traceId;
        }
        const requests: [string, DemoUser | undefined, string][] = [
          ['alice→doc-1', 'alice', 'doc-1'],
          ['bob→doc-1', 'bob', 'doc-1'],
          ['bob→doc-2', 'bob', 'doc-2'],
          ['anonymous→doc-1', undefined, 'doc-1'],
        ];
        for (const [label, user, document] of requests) {
          responses.set(
            label,
            await getDocument(mesh.urls.gateway, document, undefined, user ? { cookie: cookies[user] } : {}),
          );
        }
      });

      after(async () => {
        await mesh?.stop();
        await Promise.all(schemas.map((schema) => schema.drop()));
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      });

      test('browser login: gateway upstream → identity POST /self-service/login → SQL, csrf.Verify, hash.Compare (bcrypt, work factor), SQL', async () => {
        const tree = await traceOf(loginTraces.alice);
        assertWholeTrace(tree, loginTraces.alice, ['gateway', 'identity']);
        assertServerSpans(tree);
        const root = one(tree.roots(), 'gateway server span');
        assert.equal(root.name.split(' ')[0], 'POST');
        const upstream = one(
          tree.children(root).filter((span) => span.name === 'upstream'),
          'upstream',
        );
        const identity = one(tree.server('identity', 'POST /self-service/login'), 'identity login span');
        assertCalledFrom(tree, identity, upstream);
        assert.equal(identity.attributes['http.response.status_code'], 200);
        const under = tree.descendants(identity);
        const compare = one(
          under.filter((span) => span.name === 'hash.Compare'),
          'hash.Compare',
        );
        const csrf = one(
          under.filter((span) => span.name === 'csrf.Verify'),
          'csrf.Verify (a browser login)',
        );
        assert.ok(
          csrf.endNs <= compare.startNs + millisecond,
          'the CSRF check before the password comparison',
        );
        assert.equal(compare.kind, SpanKind.internal);
        assert.equal(compare.attributes['hash.type'], 'bcrypt');
        assert.equal(compare.attributes['bcrypt.workfactor'], bcryptCost);
        const sql = assertSqlSpans(tree, 'identity', system, [
          demoUsers.alice.email,
          demoUsers.alice.password,
        ]);
        assert.ok(
          sql.every((span) => under.includes(span)),
          'the SQL spans sit under the login span',
        );
        assert.ok(
          sql.some(
            (span) => span.startNs <= compare.startNs && span.attributes['db.operation.name'] === 'SELECT',
          ),
          'a credential lookup before hash.Compare',
        );
        assert.ok(
          sql.some(
            (span) =>
              span.startNs + millisecond >= compare.endNs &&
              span.attributes['db.operation.name'] === 'INSERT',
          ),
          'a session insert after hash.Compare',
        );
      });

      test('allowed (alice → doc-1): every service, every step, in one trace', async () => {
        const response = responses.get('alice→doc-1');
        assert.equal(response?.status, 200);
        const tree = await traceOf(response?.traceId);
        assertWholeTrace(tree, response?.traceId ?? '', ['gateway', 'identity', 'permission', 'documents']);
        assertServerSpans(tree);
        const { root, children, authn: authenticators } = accessSpans(tree, 'doc-1', 200);
        const authn = one(authenticators, 'authn span (the cookie authenticates at once)');
        assert.equal(authn.name, 'authn.cookie_session');
        assert.equal(authn.attributes['gateway.subject'], ids.alice);
        const whoami = one(tree.server('identity', 'GET /sessions/whoami'), 'whoami');
        assertCalledFrom(tree, whoami, authn);
        const authz = one(
          children.filter((span) => span.name === 'authz.remote_json'),
          'authz.remote_json',
        );
        assert.equal(authz.attributes['gateway.decision'], 'allow');
        const check = one(tree.server('permission', 'POST /relation-tuples/check'), 'check');
        assertCalledFrom(tree, check, authz);
        assert.equal(check.attributes['http.response.status_code'], 200);
        const permissionCheck = tree.children(check).find((span) => span.name === 'permission.check');
        assert.ok(permissionCheck, 'permission.check under the check server span');
        assert.equal(attributeOf(permissionCheck, 'namespace'), 'Document');
        assert.equal(attributeOf(permissionCheck, 'object'), 'doc-1');
        assert.equal(attributeOf(permissionCheck, 'relation'), 'view');
        assert.equal(attributeOf(permissionCheck, 'allowed'), true);
        assert.notEqual(attributeOf(permissionCheck, 'depth'), undefined);
        const mutate = one(
          children.filter((span) => span.name === 'mutate.id_token'),
          'mutate.id_token (the ES256 JWT documents verifies)',
        );
        assert.equal(mutate.kind, SpanKind.internal);
        const upstream = one(
          children.filter((span) => span.name === 'upstream'),
          'upstream',
        );
        assert.equal(upstream.kind, SpanKind.client);
        const documents = one(tree.server('documents', 'GET /documents/:id'), 'documents server span');
        assertCalledFrom(tree, documents, upstream);
        const verify = one(
          tree.children(documents).filter((span) => span.name === 'id_token.Verify'),
          'id_token.Verify under the documents server span',
        );
        assert.equal(verify.kind, SpanKind.internal);
        assert.equal(verify.attributes['id_token.valid'], true);
        // The first verification fetches the gateway's keys: a client span under id_token.Verify, answered
        // by the gateway's API port in the same trace.
        const keyFetches = tree.children(verify);
        assert.ok(
          keyFetches.every((span) => span.kind === SpanKind.client && span.service === 'documents'),
          'only the key set fetch sits under id_token.Verify',
        );
        for (const fetch of keyFetches) {
          const served = one(tree.children(fetch), 'the gateway serving its key set');
          assert.equal(served.service, 'gateway');
          assert.equal(served.name, 'GET /.well-known/jwks.json');
        }
        const documentsSql = tree.sql('documents');
        assert.ok(
          documentsSql.every((span) => span.startNs >= verify.endNs - millisecond),
          'documents reads only once the token is verified',
        );
        const steps = ['rule.match', authn.name, 'authz.remote_json', 'mutate.id_token', 'upstream'].map(
          (name) => children.find((span) => span.name === name)!,
        );
        for (let i = 1; i < steps.length; i += 1) {
          assert.ok(
            steps[i - 1]!.startNs <= steps[i]!.startNs,
            `${steps[i - 1]!.name} before ${steps[i]!.name}`,
          );
        }
        for (const service of ['identity', 'permission', 'documents']) {
          const sql = assertSqlSpans(tree, service, system, [ids.alice, tokens.alice]);
          const server = tree.find((span) => span.service === service && span.kind === SpanKind.server)[0]!;
          assert.ok(
            sql.every((span) => tree.ancestors(span).includes(server)),
            `${service} SQL under its server span`,
          );
        }
        assert.equal(root.statusCode === StatusCode.error, false);
      });

      test('allowed through a subject set (bob → doc-2): a permission.subject_set step under permission.check', async () => {
        const response = responses.get('bob→doc-2');
        assert.equal(response?.status, 200);
        const tree = await traceOf(response?.traceId);
        assertWholeTrace(tree, response?.traceId ?? '', ['gateway', 'identity', 'permission', 'documents']);
        assertServerSpans(tree);
        const steps = tree.find(
          (span) => span.service === 'permission' && span.name === 'permission.subject_set',
        );
        assert.ok(
          steps.some(
            (span) =>
              tree.get(span.parentSpanId)?.name === 'permission.check' &&
              span.attributes['permission.namespace'] === 'Group' &&
              span.attributes['permission.rewrite'] === 'this',
          ),
          'a permission.subject_set step (Group:engineering#members) under permission.check',
        );
        assertSqlSpans(tree, 'permission', system, [ids.bob]);
        one(tree.server('documents', 'GET /documents/:id'), 'documents server span');
      });

      test('denied (bob → doc-1): decision deny, permission 403, gateway 403 with error, no upstream', async () => {
        const response = responses.get('bob→doc-1');
        assert.equal(response?.status, 403);
        const tree = await traceOf(response?.traceId);
        assertWholeTrace(tree, response?.traceId ?? '', ['gateway', 'identity', 'permission']);
        assertServerSpans(tree);
        const { root, children } = accessSpans(tree, 'doc-1', 403);
        assert.equal(root.attributes.error, true);
        assert.equal(root.statusCode, StatusCode.error);
        const authz = one(
          children.filter((span) => span.name === 'authz.remote_json'),
          'authz.remote_json',
        );
        assert.equal(authz.attributes['gateway.decision'], 'deny');
        const check = one(tree.server('permission', 'POST /relation-tuples/check'), 'check');
        assert.equal(check.attributes['http.response.status_code'], 403);
        assert.deepEqual(
          tree.find((span) => span.name === 'upstream'),
          [],
        );
        assertSqlSpans(tree, 'identity', system, [tokens.bob]);
        assertSqlSpans(tree, 'permission', system, [ids.bob]);
      });

      test('unauthenticated: authn records the failure, gateway 401, no authz, no upstream', async () => {
        const response = responses.get('anonymous→doc-1');
        assert.equal(response?.status, 401);
        const tree = await traceOf(response?.traceId);
        assertServerSpans(tree);
        const { root, authn } = accessSpans(tree, 'doc-1', 401);
        assertWholeTrace(tree, response?.traceId ?? '', [...new Set(tree.spans.map((span) => span.service))]);
        assert.equal(root.attributes.error, true);
        for (const span of authn) {
          assert.equal(span.attributes['gateway.subject'], undefined, `${span.name} names no subject`);
          assert.ok(
            span.statusCode === StatusCode.error ||
              span.events.length > 0 ||
              span.attributes['gateway.authn.responsible'] === false,
            `${span.name} records why it did not authenticate`,
          );
        }
        assert.deepEqual(
          tree.find((span) => span.name.startsWith('authz.')),
          [],
        );
        assert.deepEqual(
          tree.find((span) => span.name === 'upstream'),
          [],
        );
        assert.deepEqual(
          tree.find((span) => span.service === 'documents' || span.service === 'permission'),
          [],
        );
      });

      const callers: {
        format: string;
        headers: (traceId: string, spanId: string) => Record<string, string>;
      }[] = [
        { format: 'W3C traceparent', headers: (t, s) => ({ traceparent: `00-${t}-${s}-01` }) },
        { format: 'Jaeger uber-trace-id', headers: (t, s) => ({ 'uber-trace-id': `${t}:${s}:0:1` }) },
        { format: 'B3 single', headers: (t, s) => ({ b3: `${t}-${s}-1` }) },
        {
          format: 'B3 multi',
          headers: (t, s) => ({ 'x-b3-traceid': t, 'x-b3-spanid': s, 'x-b3-sampled': '1' }),
        },
      ];
      for (const caller of callers) {
        test(`joins a caller's trace given as ${caller.format}`, async () => {
          const traceId = hex(16);
          const spanId = hex(8);
          const response = await getDocument(
            mesh.urls.gateway,
            'doc-1',
            tokens.alice,
            caller.headers(traceId, spanId),
          );
          assert.equal(response.status, 200);
          assert.equal(response.traceId, traceId, 'traceresponse names the caller trace');
          const tree = await traceOf(traceId);
          assertWholeTrace(tree, traceId, ['gateway', 'identity', 'permission', 'documents'], spanId);
          assertServerSpans(tree);
        });
      }

      test('authenticates with Authorization: Bearer too: authn.bearer_token names the subject', async () => {
        const response = await getDocument(mesh.urls.gateway, 'doc-2', undefined, {
          authorization: `Bearer ${tokens.bob}`,
        });
        assert.equal(response.status, 200);
        const tree = await traceOf(response.traceId);
        assertWholeTrace(tree, response.traceId ?? '', ['gateway', 'identity', 'permission', 'documents']);
        const { authn } = accessSpans(tree, 'doc-2', 200);
        const bearer = one(
          authn.filter((span) => span.attributes['gateway.subject'] !== undefined),
          'authenticating span',
        );
        assert.equal(bearer.name, 'authn.bearer_token');
        assert.equal(bearer.attributes['gateway.subject'], ids.bob);
        assertCalledFrom(tree, one(tree.server('identity', 'GET /sessions/whoami'), 'whoami'), bearer);
      });

      test('a malformed traceparent is ignored: a new root trace, and the request is served', async () => {
        const response = await getDocument(mesh.urls.gateway, 'doc-1', tokens.alice, {
          traceparent: '00-not-a-trace-context-01',
        });
        assert.equal(response.status, 200);
        const tree = await traceOf(response.traceId);
        assertWholeTrace(tree, response.traceId ?? '', ['gateway', 'identity', 'permission', 'documents']);
      });

      test('no span and no log line carries a password, a session token, a cookie or a JWT; shutdown flushes and exits 0', async () => {
        await Promise.all([...traces.values()]);
        const codes = await Promise.all([...mesh.processes.values()].map((running) => running.stop()));
        assert.deepEqual(
          codes,
          codes.map(() => 0),
          'every service exits 0 on SIGTERM',
        );
        const secrets = [
          demoUsers.alice.password,
          demoUsers.bob.password,
          tokens.alice,
          tokens.bob,
          cookies.alice,
          cookies.bob,
          `Bearer ${tokens.bob}`,
        ];
        const everything = flattenSpans(mesh.sink.store.all());
        assert.ok(everything.length > 50, `the scan covers the whole run (${everything.length} spans)`);
        for (const span of everything) {
          const text = JSON.stringify([
            span.name,
            span.attributes,
            span.events,
            span.statusMessage,
            span.resource,
          ]);
          for (const secret of secrets) {
            assert.ok(!text.includes(secret), `${span.service} ${span.name} leaks a secret`);
          }
          assert.doesNotMatch(text, jwtPattern, `${span.service} ${span.name} carries a JWT (the id_token)`);
          assert.ok(!/^(GET|POST|PUT|HEAD) \/(health|version)/.test(span.name), `untraced: ${span.name}`);
        }
        const lines = mesh.logLines();
        assert.ok(lines.length > 0, 'the services logged');
        for (const { service, line } of lines) {
          for (const secret of secrets)
            assert.ok(!line.includes(secret), `${service} logged a secret: ${line.slice(0, 120)}`);
          assert.doesNotMatch(line, jwtPattern, `${service} logged a JWT`);
        }
      });
    });
  }
});
