import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freeMeshPorts, startMesh, type Mesh } from '../src/mesh';
import { login, seedDemo } from '../src/mesh-client';
import { demoUsers } from '../src/demo-data';
import { findLeaks } from '../src/secret-scan';

interface Endpoint {
  name: string;
  method: string;
  url: (mesh: Mesh) => string;
  /** Endpoints that read a JSON body get the body tables too. */
  json: boolean;
  /** OAuth2's token and revocation endpoints answer RFC 6749 errors, `{error, error_description}`. */
  rfc6749?: boolean;
}

const flowId = '00000000-0000-4000-8000-000000000000';
const endpoints: Endpoint[] = [
  {
    name: 'identity whoami',
    method: 'GET',
    url: (m) => `${m.urls.identityPublic}/sessions/whoami`,
    json: false,
  },
  {
    name: 'identity login flow',
    method: 'GET',
    url: (m) => `${m.urls.identityPublic}/self-service/login/api`,
    json: false,
  },
  {
    name: 'identity login submit',
    method: 'POST',
    url: (m) => `${m.urls.identityPublic}/self-service/login?flow=${flowId}`,
    json: true,
  },
  {
    name: 'identity registration submit',
    method: 'POST',
    url: (m) => `${m.urls.identityPublic}/self-service/registration?flow=${flowId}`,
    json: true,
  },
  {
    name: 'identity login flow lookup',
    method: 'GET',
    url: (m) => `${m.urls.identityPublic}/self-service/login/flows?id=${flowId}`,
    json: false,
  },
  {
    name: 'identity logout',
    method: 'DELETE',
    url: (m) => `${m.urls.identityPublic}/self-service/logout/api`,
    json: true,
  },
  {
    name: 'identity create identity',
    method: 'POST',
    url: (m) => `${m.urls.identityAdmin}/admin/identities`,
    json: true,
  },
  {
    name: 'identity list identities',
    method: 'GET',
    url: (m) => `${m.urls.identityAdmin}/admin/identities?page_size=x`,
    json: false,
  },
  {
    name: 'identity get identity',
    method: 'GET',
    url: (m) => `${m.urls.identityAdmin}/admin/identities/${flowId}`,
    json: false,
  },
  {
    name: 'identity sessions',
    method: 'GET',
    url: (m) => `${m.urls.identityAdmin}/admin/identities/not-a-uuid/sessions`,
    json: false,
  },
  {
    name: 'identity revoke session',
    method: 'DELETE',
    url: (m) => `${m.urls.identityAdmin}/admin/sessions/${flowId}`,
    json: false,
  },
  {
    name: 'permission check GET',
    method: 'GET',
    url: (m) =>
      `${m.urls.permissionRead}/relation-tuples/check?namespace=Document&object=%27%3B--&relation=view&subject_id=x`,
    json: false,
  },
  {
    name: 'permission check POST',
    method: 'POST',
    url: (m) => `${m.urls.permissionRead}/relation-tuples/check`,
    json: true,
  },
  {
    name: 'permission batch check',
    method: 'POST',
    url: (m) => `${m.urls.permissionRead}/relation-tuples/batch/check`,
    json: true,
  },
  {
    name: 'permission list',
    method: 'GET',
    url: (m) => `${m.urls.permissionRead}/relation-tuples?page_token=%00`,
    json: false,
  },
  {
    name: 'permission expand',
    method: 'GET',
    url: (m) =>
      `${m.urls.permissionRead}/relation-tuples/expand?namespace=Document&object=doc-1&relation=view&max-depth=-2`,
    json: false,
  },
  {
    name: 'permission namespaces',
    method: 'GET',
    url: (m) => `${m.urls.permissionRead}/namespaces`,
    json: false,
  },
  {
    name: 'permission create tuple',
    method: 'PUT',
    url: (m) => `${m.urls.permissionWrite}/admin/relation-tuples`,
    json: true,
  },
  {
    name: 'permission patch tuples',
    method: 'PATCH',
    url: (m) => `${m.urls.permissionWrite}/admin/relation-tuples`,
    json: true,
  },
  {
    name: 'permission delete tuples',
    method: 'DELETE',
    url: (m) => `${m.urls.permissionWrite}/admin/relation-tuples?object=x`,
    json: false,
  },
  {
    name: 'documents get',
    method: 'GET',
    url: (m) => `${m.urls.documents}/documents/%27%20OR%201%3D1`,
    json: false,
  },
  { name: 'documents list', method: 'GET', url: (m) => `${m.urls.documents}/documents`, json: false },
  {
    name: 'documents admin put',
    method: 'PUT',
    url: (m) => `${m.urls.documentsAdmin}/documents/bad-input`,
    json: true,
  },
  {
    name: 'documents admin get',
    method: 'GET',
    url: (m) => `${m.urls.documentsAdmin}/documents/%27%20OR%201%3D1`,
    json: false,
  },
  {
    name: 'documents admin delete',
    method: 'DELETE',
    url: (m) => `${m.urls.documentsAdmin}/documents/%27%20OR%201%3D1`,
    json: false,
  },
  {
    name: 'documents admin list',
    method: 'GET',
    url: (m) => `${m.urls.documentsAdmin}/documents`,
    json: false,
  },
  {
    name: 'gateway proxy document',
    method: 'GET',
    url: (m) => `${m.urls.gateway}/documents/doc-1`,
    json: false,
  },
  {
    name: 'gateway proxy login',
    method: 'POST',
    url: (m) => `${m.urls.gateway}/self-service/login?flow=${flowId}`,
    json: true,
  },
  {
    name: 'gateway decisions',
    method: 'GET',
    url: (m) => `${m.urls.gatewayApi}/decisions/documents/doc-1`,
    json: false,
  },
  { name: 'gateway rules', method: 'GET', url: (m) => `${m.urls.gatewayApi}/rules/%2e%2e`, json: false },
  {
    name: 'oauth2 token',
    method: 'POST',
    url: (m) => `${m.urls.oauth2Public}/oauth2/token`,
    json: true,
    rfc6749: true,
  },
  {
    name: 'oauth2 revoke',
    method: 'POST',
    url: (m) => `${m.urls.oauth2Public}/oauth2/revoke`,
    json: true,
    rfc6749: true,
  },
  {
    name: 'oauth2 discovery',
    method: 'GET',
    url: (m) => `${m.urls.oauth2Public}/.well-known/openid-configuration`,
    json: false,
  },
  {
    name: 'oauth2 jwks',
    method: 'GET',
    url: (m) => `${m.urls.oauth2Public}/.well-known/jwks.json`,
    json: false,
  },
  {
    name: 'oauth2 create client',
    method: 'POST',
    url: (m) => `${m.urls.oauth2Admin}/admin/clients`,
    json: true,
  },
  {
    name: 'oauth2 list clients',
    method: 'GET',
    url: (m) => `${m.urls.oauth2Admin}/admin/clients?page_size=x&page_token=%00`,
    json: false,
  },
  {
    name: 'oauth2 get client',
    method: 'GET',
    url: (m) => `${m.urls.oauth2Admin}/admin/clients/%27%20OR%201%3D1`,
    json: false,
  },
  {
    name: 'oauth2 set client',
    method: 'PUT',
    url: (m) => `${m.urls.oauth2Admin}/admin/clients/bad-input`,
    json: true,
  },
  {
    name: 'oauth2 patch client',
    method: 'PATCH',
    url: (m) => `${m.urls.oauth2Admin}/admin/clients/bad-input`,
    json: true,
  },
  {
    name: 'oauth2 delete client',
    method: 'DELETE',
    url: (m) => `${m.urls.oauth2Admin}/admin/clients/%00`,
    json: false,
  },
  {
    name: 'oauth2 introspect',
    method: 'POST',
    url: (m) => `${m.urls.oauth2Admin}/admin/oauth2/introspect`,
    json: true,
  },
];

interface BadInput {
  name: string;
  headers?: Record<string, string>;
  body?: string;
  /** The exact status expected, or any 4xx/2xx that is not a 5xx when undefined. */
  status?: number;
  jsonOnly?: boolean;
}

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const badInputs: BadInput[] = [
  { name: 'malformed traceparent', headers: { traceparent: '00-xyz-1-01' } },
  { name: 'all-zero traceparent', headers: { traceparent: `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01` } },
  { name: 'malformed uber-trace-id', headers: { 'uber-trace-id': `${traceId}:::` } },
  { name: 'malformed b3', headers: { b3: 'not-a-b3-header' } },
  {
    name: 'malformed X-B3-*',
    headers: { 'x-b3-traceid': 'zz', 'x-b3-spanid': '-', 'x-b3-sampled': 'maybe' },
  },
  { name: 'malformed baggage', headers: { baggage: '=;=;,,%%%' } },
  { name: 'forged X-User', headers: { 'x-user': 'admin' } },
  { name: 'headers over 16 KB', headers: { 'x-padding': 'p'.repeat(17 * 1024) }, status: 431 },
  {
    name: 'a body over 1 MB',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ padding: 'b'.repeat(1_100_000) }),
    status: 413,
    jsonOnly: true,
  },
  {
    name: 'invalid JSON',
    headers: { 'content-type': 'application/json' },
    body: '{"truncated":',
    status: 400,
    jsonOnly: true,
  },
  {
    name: 'a JSON string',
    headers: { 'content-type': 'application/json' },
    body: '"just a string"',
    jsonOnly: true,
  },
  {
    name: 'a JSON array of numbers',
    headers: { 'content-type': 'application/json' },
    body: '[1,2,3]',
    jsonOnly: true,
  },
  {
    name: 'wrong field types',
    headers: { 'content-type': 'application/json' },
    body: '{"namespace":1,"object":[],"method":false,"traits":"x","title":{},"identifier":null,"tuples":7}',
    jsonOnly: true,
  },
  {
    name: 'SQL metacharacters in every field',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      namespace: "documents'; DROP TABLE x;--",
      object: "o' OR '1'='1",
      relation: '%_\\',
      subject_id: '"; --',
      title: "t'--",
      body: "b\\'",
      method: 'password',
      identifier: "' OR 1=1 --",
      password: "'; DELETE FROM identities; --",
    }),
    jsonOnly: true,
  },
];

describe('bad input against every endpoint of every service: a clear 4xx, never a 5xx or a crash', () => {
  let mesh: Mesh;
  let token: string;
  before(async () => {
    mesh = await startMesh({ ports: await freeMeshPorts(), dsn: () => 'memory', bcryptCost: 4 });
    await seedDemo(mesh.urls);
    token = (await login(mesh.urls.gateway, 'alice')).sessionToken;
  });
  after(async () => {
    await mesh?.stop();
  });

  for (const endpoint of endpoints) {
    it(`${endpoint.name} (${endpoint.method})`, async (t) => {
      let tried = 0;
      for (const input of badInputs) {
        if (input.jsonOnly && !endpoint.json) continue;
        tried += 1;
        const response = await fetch(endpoint.url(mesh), {
          method: endpoint.method,
          headers: { authorization: `Bearer ${token}`, ...input.headers },
          body: input.body,
        });
        const text = await response.text();
        if (input.status !== undefined)
          assert.equal(response.status, input.status, `${input.name}: ${text.slice(0, 120)}`);
        assert.ok(response.status < 500, `${input.name} → ${response.status} ${text.slice(0, 160)}`);
        if (response.status >= 400 && text) {
          const body = JSON.parse(text) as {
            error?: { code?: number; message?: string } | string;
            error_description?: string;
            allowed?: boolean;
          };
          // A 431 comes from the HTTP parser, before any route is known: the server's Ory shape on every port.
          if (endpoint.rfc6749 && response.status !== 431) {
            assert.equal(typeof body.error, 'string', `${input.name}: RFC 6749 error`);
            assert.equal(
              typeof body.error_description,
              'string',
              `${input.name}: RFC 6749 error_description`,
            );
          } else if (body.allowed === undefined) {
            assert.equal(
              typeof body.error === 'object' ? body.error.code : undefined,
              response.status,
              `${input.name}: Ory error shape`,
            );
            assert.doesNotMatch(
              text,
              /at [^ ]+\.js:\d+|SQLITE_|syntax error/i,
              `${input.name}: no stack or SQL message`,
            );
          }
        }
      }
      t.diagnostic(`${tried} bad inputs`);
    });
  }

  it('every service is still alive, and no span or log line carries a secret', async () => {
    for (const url of [
      mesh.urls.identityPublic,
      mesh.urls.identityAdmin,
      mesh.urls.permissionRead,
      mesh.urls.permissionWrite,
      mesh.urls.documents,
      mesh.urls.documentsAdmin,
      mesh.urls.gatewayApi,
      mesh.urls.oauth2Public,
      mesh.urls.oauth2Admin,
    ]) {
      assert.equal((await fetch(`${url}/health/alive`)).status, 200, url);
    }
    const { leaks } = findLeaks(mesh, [demoUsers.alice.password, token, "'; DELETE FROM identities; --"]);
    assert.deepEqual(leaks, []);
  });
});
