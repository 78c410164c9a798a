import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serviceNodeFlags, waitFor, type ServiceName } from '@mesh/testkit';
import {
  createRemoteJWKSet,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type JWK,
  type KeyLike,
} from 'jose';
import { freeMeshPorts, startMesh, type Mesh } from '../src/mesh';
import { browserLogin, getDocument, login, seedDemo, type TracedResponse } from '../src/mesh-client';
import { flattenSpans } from '../src/sink/otlp-json';
import { pollTrace, traceIdOf } from '../src/trace-query';
import type { DemoUser } from '../src/demo-data';
import { repoRoot } from '../src/service-config';

/**
 * The gateway in front of the real identity, permission and documents processes (SQLite files, so a
 * restarted service keeps its sessions and tuples). Whether a request reached the protected upstream is
 * read from the traces: a documents span in the request's trace.
 */
describe('the gateway with the real services', () => {
  let mesh: Mesh;
  let dataDir: string;
  let ids: Record<DemoUser, string>;
  const tokens = {} as Record<DemoUser, string>;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mesh-gateway-'));
    mesh = await startMesh({
      ports: await freeMeshPorts(),
      dsn: (service: ServiceName) => `sqlite://${join(dataDir, `${service}.sqlite`)}`,
      bcryptCost: 4,
      serviceEnv: { identity: { SESSION_LIFESPAN: '1h' } },
    });
    ids = await seedDemo(mesh.urls);
    for (const user of ['alice', 'bob'] as const)
      tokens[user] = (await login(mesh.urls.gateway, user)).sessionToken;
  });

  after(async () => {
    await mesh?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** The gateway's published keys, as documents fetches them. */
  const gatewayKeys = () => createRemoteJWKSet(new URL(`${mesh.urls.gatewayApi}/.well-known/jwks.json`));
  /** The id_token the gateway would send upstream for this session: the decisions API returns it. */
  const gatewayJwt = async (sessionToken: string): Promise<string> => {
    const answer = await fetch(`${mesh.urls.gatewayApi}/decisions`, {
      headers: {
        'x-forwarded-method': 'GET',
        'x-forwarded-uri': '/documents/doc-1',
        authorization: `Bearer ${sessionToken}`,
      },
    });
    assert.equal(answer.status, 200);
    return /^Bearer (.+)$/.exec(answer.headers.get('authorization') ?? '')?.[1] ?? '';
  };
  const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });
  const strangerKey = generateKeyPair('ES256');
  /** A JWT like the gateway's, signed with infra/keys' demo key unless another key is given. */
  const signWithDemoKey = async (options: {
    key?: KeyLike;
    kid?: string;
    iss?: string;
    aud?: string;
    sub?: string;
    expiresIn?: number;
  }): Promise<string> => {
    const demo = (
      JSON.parse(readFileSync(join(repoRoot, 'infra', 'keys', 'id_token.jwks.json'), 'utf8')) as {
        keys: JWK[];
      }
    ).keys[0] as JWK;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ aud: [options.aud ?? 'documents'] })
      .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? demo.kid ?? '', typ: 'JWT' })
      .setIssuer(options.iss ?? `${mesh.urls.gateway}/`)
      .setSubject(options.sub ?? ids.alice)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresIn ?? 60))
      .sign(options.key ?? ((await importJWK(demo, 'ES256')) as KeyLike));
  };

  it('runs every service with the heap settings of the Dockerfile', () => {
    for (const [service, running] of mesh.processes) {
      const argv = readFileSync(`/proc/${running.child.pid ?? 0}/cmdline`, 'utf8').split('\0');
      assert.deepEqual(argv.slice(1, 1 + serviceNodeFlags.length), serviceNodeFlags, service);
    }
  });

  /** Every response's trace, once the spans of a final sentinel request have arrived (FIFO export). */
  async function reachedDocuments(responses: readonly TracedResponse[]): Promise<number> {
    const sentinel = await getDocument(mesh.urls.gateway, 'doc-1', tokens.alice);
    assert.equal(sentinel.status, 200);
    const sentinelSpans = await pollTrace(mesh.sink.queryUrl, sentinel.traceId ?? '', { quietMs: 1_000 });
    assert.ok(
      sentinelSpans.some((span) => span.service === 'documents'),
      'the sentinel reached documents',
    );
    let reached = 0;
    for (const response of responses) {
      assert.ok(response.traceId, `status ${response.status} carries a traceresponse header`);
      const data = mesh.sink.trace(response.traceId);
      const spans = data ? flattenSpans(data) : [];
      if (spans.some((span) => span.service === 'documents')) reached += 1;
    }
    return reached;
  }

  it('allowed: 200 with viewed_by = alice, with the session as cookie, bearer token or X-Session-Token', async () => {
    const alternatives: Record<string, string>[] = [
      { cookie: (await browserLogin(mesh.urls.gateway, 'alice')).cookie },
      { authorization: `Bearer ${tokens.alice}` },
      { 'x-session-token': tokens.alice },
    ];
    for (const headers of alternatives) {
      const response = await fetch(`${mesh.urls.gateway}/documents/doc-1`, { headers });
      assert.equal(response.status, 200, JSON.stringify(headers).slice(0, 20));
      const body = (await response.json()) as { id: string; owner: string; viewed_by: string };
      assert.equal(body.id, 'doc-1');
      assert.equal(body.viewed_by, ids.alice);
      assert.equal(body.owner, ids.alice, "the seed's owner is the one doc-1's owners tuple names");
    }
  });

  it('403 for bob on doc-1, 200 for bob on doc-2 through the subject set, 404 when no rule matches', async () => {
    assert.equal((await getDocument(mesh.urls.gateway, 'doc-1', tokens.bob)).status, 403);
    const doc2 = await getDocument(mesh.urls.gateway, 'doc-2', tokens.bob);
    assert.equal(doc2.status, 200);
    assert.equal((doc2.body as { viewed_by: string }).viewed_by, ids.bob);
    const noRule = await fetch(`${mesh.urls.gateway}/admin/anything`);
    assert.equal(noRule.status, 404);
    assert.equal(((await noRule.json()) as { error: { code: number } }).error.code, 404);
  });

  it('401 with no session, an unknown session and a revoked (logged out) session', async () => {
    assert.equal((await getDocument(mesh.urls.gateway, 'doc-1', undefined)).status, 401);
    assert.equal((await getDocument(mesh.urls.gateway, 'doc-1', 'ory_st_not-a-session')).status, 401);
    const session = (await login(mesh.urls.gateway, 'alice')).sessionToken;
    assert.equal((await getDocument(mesh.urls.gateway, 'doc-1', session)).status, 200);
    const logout = await fetch(`${mesh.urls.gateway}/self-service/logout/api`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_token: session }),
    });
    assert.equal(logout.status, 204);
    assert.equal((await getDocument(mesh.urls.gateway, 'doc-1', session)).status, 401);
  });

  it("the decisions API answers the same, with the id_token mutator's Authorization on 200", async () => {
    const decide = (uri: string, token?: string) =>
      fetch(`${mesh.urls.gatewayApi}/decisions`, {
        headers: {
          'x-forwarded-method': 'GET',
          'x-forwarded-proto': 'http',
          'x-forwarded-host': 'mesh.example',
          'x-forwarded-uri': uri,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      });
    const allowed = await decide('/documents/doc-1', tokens.alice);
    assert.equal(allowed.status, 200);
    const jwt = /^Bearer (.+)$/.exec(allowed.headers.get('authorization') ?? '')?.[1] ?? '';
    const { payload, protectedHeader } = await jwtVerify(jwt, gatewayKeys(), {
      issuer: `${mesh.urls.gateway}/`,
      audience: 'documents',
    });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.sub, ids.alice);
    assert.equal((await decide('/documents/doc-1', tokens.bob)).status, 403);
    assert.equal((await decide('/documents/doc-2', tokens.bob)).status, 200);
    assert.equal((await decide('/documents/doc-1')).status, 401);
    assert.equal((await decide('/nothing/here', tokens.alice)).status, 404);
    assert.equal((await decide('/documents/%2e%2e/admin', tokens.alice)).status, 400);
  });

  it('GET /rules and /rules/{id} list the loaded rules', async () => {
    const rules = (await (await fetch(`${mesh.urls.gatewayApi}/rules`)).json()) as { id: string }[];
    assert.deepEqual(rules.map((rule) => rule.id).sort(), [
      'documents',
      'documents-machine',
      'identity-self-service',
      'identity-whoami',
      'web-app',
      'web-public',
    ]);
    assert.equal((await fetch(`${mesh.urls.gatewayApi}/rules/documents`)).status, 200);
    assert.equal((await fetch(`${mesh.urls.gatewayApi}/rules/nope`)).status, 404);
  });

  it('no traversal or encoding trick reaches the protected upstream', async () => {
    const attacks = [
      '/documents/../documents/doc-1',
      '/self-service/../documents/doc-1',
      '/self-service/login/../../documents/doc-1',
      '/self-service/%2e%2e/documents/doc-1',
      '/self-service/%2E%2E/documents/doc-1',
      '/self-service/..%2fdocuments%2fdoc-1',
      '/self-service/..%2Fdocuments%2Fdoc-1',
      '/self-service/%252e%252e/documents/doc-1',
      '/self-service/..%5cdocuments%5cdoc-1',
      '/self-service/.%2e/documents/doc-1',
      '//documents/doc-1',
      '/./documents/doc-1',
      '/documents/doc-1%00',
      '/documents/doc-1/..',
      '/documents/%2e%2e/%2e%2e/etc/passwd',
      '/sessions/whoami/../../documents/doc-1',
      '/../documents/doc-1',
    ];
    const responses: TracedResponse[] = [];
    for (const path of attacks) {
      const response = await fetch(`${mesh.urls.gateway}${path}`, { headers: { 'x-user': ids.alice } });
      const traced = {
        status: response.status,
        body: await response.text(),
        traceId: traceIdOf(response.headers),
        headers: response.headers,
      };
      assert.ok([400, 401, 404].includes(traced.status), `${path} → ${traced.status}`);
      responses.push(traced);
    }
    assert.equal(await reachedDocuments(responses), 0, 'no attack reached documents');
  });

  it("a forged X-User changes nothing: documents takes the subject from the gateway's JWT", async () => {
    const forged = await getDocument(mesh.urls.gateway, 'doc-1', tokens.alice, { 'x-user': 'forged-admin' });
    assert.equal(forged.status, 200);
    assert.equal((forged.body as { viewed_by: string }).viewed_by, ids.alice);
    const anonymous = await getDocument(mesh.urls.gateway, 'doc-1', undefined, { 'x-user': ids.alice });
    assert.equal(anonymous.status, 401);
    assert.equal(await reachedDocuments([anonymous]), 0);
  });

  describe("zero trust: documents verifies the gateway's id_token against its /.well-known/jwks.json", () => {
    const direct = (headers: Record<string, string>) =>
      fetch(`${mesh.urls.documents}/documents/doc-1`, { headers });

    it("a JWT the gateway minted (decisions API) reads straight from documents' public port: viewed_by = its sub", async () => {
      const jwt = await gatewayJwt(tokens.alice);
      const response = await direct({ authorization: `Bearer ${jwt}` });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { viewed_by: string }).viewed_by, ids.alice);
    });

    const badTokens: { name: string; headers: () => Promise<Record<string, string>> }[] = [
      { name: 'no token', headers: async () => ({}) },
      { name: 'a bare X-User header', headers: async () => ({ 'x-user': ids.alice }) },
      {
        name: "alice's session token as Bearer",
        headers: async () => ({ authorization: `Bearer ${tokens.alice}` }),
      },
      {
        name: "signed by another key under the demo key's kid",
        headers: async () => bearer(await signWithDemoKey({ key: (await strangerKey).privateKey })),
      },
      {
        name: 'signed by another key with its own kid',
        headers: async () =>
          bearer(await signWithDemoKey({ key: (await strangerKey).privateKey, kid: 'stranger' })),
      },
      { name: 'expired', headers: async () => bearer(await signWithDemoKey({ expiresIn: -300 })) },
      {
        name: 'from a different issuer',
        headers: async () => bearer(await signWithDemoKey({ iss: 'http://issuer.example/' })),
      },
      { name: 'for another audience', headers: async () => bearer(await signWithDemoKey({ aud: 'web' })) },
    ];
    for (const bad of badTokens) {
      it(`straight to documents with ${bad.name}: 401 in the Ory shape`, async () => {
        const headers = await bad.headers();
        const response = await direct(headers);
        assert.equal(response.status, 401);
        const text = await response.text();
        const body = JSON.parse(text) as { error: { code: number; status: string } };
        assert.deepEqual([body.error.code, body.error.status], [401, 'Unauthorized']);
        const token = headers.authorization?.split(' ')[1];
        if (token) assert.ok(!text.includes(token));
      });
    }

    it('a well-formed token signed with the demo key itself reads (the table above differs in one thing each)', async () => {
      const response = await direct(bearer(await signWithDemoKey({})));
      assert.equal(response.status, 200);
    });

    it("the admin port's PUT, GET and DELETE need no token, and the gateway reaches none of them", async () => {
      const admin = `${mesh.urls.documentsAdmin}/documents/doc-admin`;
      const put = await fetch(admin, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Admin', body: 'written on the admin port', owner: 'operator' }),
      });
      assert.equal(put.status, 201);
      assert.equal(((await (await fetch(admin)).json()) as { title: string }).title, 'Admin');
      for (const method of ['PUT', 'DELETE']) {
        const through = await fetch(`${mesh.urls.gateway}/documents/doc-admin`, {
          method,
          headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/json' },
          body: method === 'PUT' ? '{"title":"hijack","body":"x"}' : undefined,
        });
        assert.equal(through.status, 404, `${method} through the gateway matches no rule`);
      }
      assert.equal((await fetch(`${mesh.urls.gateway}/documents`)).status, 404, 'the list matches no rule');
      const rules = (await (await fetch(`${mesh.urls.gatewayApi}/rules`)).json()) as {
        upstream?: { url?: string };
      }[];
      assert.ok(
        rules.every((rule) => !rule.upstream?.url?.includes(`:${mesh.ports.documentsAdmin}`)),
        "no rule's upstream is documents' admin port",
      );
      assert.equal(((await (await fetch(admin)).json()) as { title: string }).title, 'Admin');
      assert.equal((await fetch(admin, { method: 'DELETE' })).status, 204);
      assert.equal((await fetch(admin)).status, 404);
    });
  });

  for (const service of ['identity', 'permission'] as const) {
    it(`fails closed while ${service} is down, and recovers within 2 s of its restart without a gateway restart`, async (t) => {
      await mesh.processes.get(service)?.stop();
      const whileDown: TracedResponse[] = [];
      for (let index = 0; index < 10; index += 1) {
        const response = await getDocument(mesh.urls.gateway, 'doc-1', tokens.alice);
        assert.ok([502, 503].includes(response.status), `${service} down → ${response.status}`);
        whileDown.push(response);
      }
      await mesh.restart(service);
      const restarted = performance.now();
      await waitFor(
        async () =>
          (await getDocument(mesh.urls.gateway, 'doc-1', tokens.alice)).status === 200 ? true : undefined,
        'the first 200 after the restart',
        5_000,
        20,
      );
      const recoveryMs = performance.now() - restarted;
      t.diagnostic(
        `${service}: ${whileDown.length} requests refused while down; 200 again ${recoveryMs.toFixed(0)} ms after it was ready`,
      );
      assert.ok(recoveryMs <= 2_000, `recovered in ${recoveryMs.toFixed(0)} ms`);
      assert.equal(
        await reachedDocuments(whileDown),
        0,
        `no request reached documents while ${service} was down`,
      );
    });
  }
});

describe('the gateway and an expiring session', () => {
  it('a session past session.lifespan gets 401 through the gateway', async () => {
    const mesh = await startMesh({
      ports: await freeMeshPorts(),
      dsn: () => 'memory',
      bcryptCost: 4,
      serviceEnv: { identity: { SESSION_LIFESPAN: '2s' } },
    });
    try {
      await seedDemo(mesh.urls);
      const { sessionToken } = await login(mesh.urls.gateway, 'alice');
      assert.equal((await getDocument(mesh.urls.gateway, 'doc-1', sessionToken)).status, 200);
      await waitFor(
        async () =>
          (await getDocument(mesh.urls.gateway, 'doc-1', sessionToken)).status === 401 ? true : undefined,
        'the session to expire',
        6_000,
        200,
      );
    } finally {
      await mesh.stop();
    }
  });
});
