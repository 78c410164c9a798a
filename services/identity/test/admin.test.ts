import { createPerson, login, startIdentity, variants, type Running } from './support';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sdkStatusOf as statusOf } from '@mesh/testkit';
import { builtInIdentitySchema } from '../src/schemas/default-schema';
import { readFileSync } from 'node:fs';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const demoSchemaFile = join(repoRoot, 'infra', 'identity', 'schemas', 'identity.schema.json');

/** Any traits besides the identifier: for the round trip of every JSON type. */
const openSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    traits: {
      type: 'object',
      properties: {
        email: {
          type: 'string',
          format: 'email',
          'ory.sh/kratos': { credentials: { password: { identifier: true } } },
        },
        username: { type: 'string', 'ory.sh/kratos': { credentials: { password: { identifier: true } } } },
      },
      required: ['email'],
    },
  },
};

const linksOf = (header: unknown) =>
  Object.fromEntries(
    [...String(header ?? '').matchAll(/<([^>]+)>;\s*rel="(\w+)"/g)].map((m) => [
      m[2] as string,
      m[1] as string,
    ]),
  );

for (const variant of variants) {
  describe(
    `admin API on ${variant.name}`,
    {
      skip:
        variant.name === 'PostgreSQL' && !process.env.TEST_POSTGRES_DSN
          ? 'TEST_POSTGRES_DSN is not set'
          : false,
    },
    () => {
      let identity: Running;
      let drop: () => Promise<void>;
      let schemaServer: Server;
      before(async () => {
        schemaServer = createServer((_request, response) => {
          response.setHeader('content-type', 'application/json');
          response.end(JSON.stringify(openSchema));
        });
        await new Promise<void>((resolve) => schemaServer.listen(0, '127.0.0.1', resolve));
        const address = schemaServer.address() as { port: number };
        const database = await variant.dsn();
        drop = database.drop;
        identity = await startIdentity(database.dsn, [
          `identity.schemas=${JSON.stringify([
            { id: 'default', url: `file://${demoSchemaFile}` },
            { id: 'open', url: `base64://${Buffer.from(JSON.stringify(openSchema)).toString('base64')}` },
            { id: 'remote', url: `http://127.0.0.1:${address.port}/schema.json` },
          ])}`,
        ]);
      });
      after(async () => {
        await identity.servers.stop();
        await drop();
        schemaServer.close();
      });

      it('the demo schema file and the built-in default schema are one document', () => {
        assert.deepEqual(JSON.parse(readFileSync(demoSchemaFile, 'utf8')), builtInIdentitySchema);
      });

      it('GET /schemas lists file://, base64:// and http:// schemas; /schemas/{id} takes the id or its base64url form as in schema_url', async () => {
        const list = (await (await fetch(`${identity.publicUrl}/schemas`)).json()) as {
          id: string;
          schema: object;
        }[];
        assert.deepEqual(
          list.map((s) => s.id),
          ['default', 'open', 'remote'],
        );
        assert.deepEqual(list[2]?.schema, openSchema);
        const created = await createPerson(identity, 'sue@example.com', 'sue-password-1');
        assert.equal(
          created.data.schema_url,
          `https://id.example.test/schemas/${Buffer.from('default').toString('base64url')}`,
        );
        const bySchemaUrl = await fetch(`${identity.publicUrl}${new URL(created.data.schema_url).pathname}`);
        assert.deepEqual(await bySchemaUrl.json(), builtInIdentitySchema);
        assert.equal((await fetch(`${identity.publicUrl}/schemas/open`)).status, 200);
        assert.equal((await fetch(`${identity.publicUrl}/schemas/nope`)).status, 404);
        assert.equal((await fetch(`${identity.adminUrl}/admin/schemas/open`)).status, 200);
      });

      it('traits round-trip exactly: every JSON type, nesting, unicode; identifiers come from the schema', async () => {
        const traits = {
          email: 'Round@Trip.example',
          username: 'Zoë-🐝',
          string: 'a "quoted" \\ back\\slash\n\ttab',
          integer: 42,
          negative: -7,
          float: 3.141592653589793,
          big: 9007199254740991,
          tiny: 1e-7,
          yes: true,
          no: false,
          nothing: null,
          list: [1, 'two', { three: [3] }, [], {}],
          nested: { deeper: { deepest: { emoji: '👩🏽‍💻', cjk: '漢字', rtl: 'שלום', nul: 'a\u0000b' } } },
          emptyString: '',
          'key with spaces': 'ok',
        };
        const created = await identity.admin.createIdentity({
          createIdentityBody: {
            schema_id: 'open',
            traits,
            metadata_public: { plan: 'pro', seats: 3 },
            metadata_admin: { note: ['x', null] },
            credentials: { password: { config: { password: 'round-trip-1' } } },
          },
        });
        assert.deepEqual(created.data.traits, traits);
        const fetched = await identity.admin.getIdentity({ id: created.data.id });
        assert.deepEqual(fetched.data.traits, traits);
        assert.deepEqual(fetched.data.metadata_public, { plan: 'pro', seats: 3 });
        assert.deepEqual(fetched.data.metadata_admin, { note: ['x', null] });
        assert.deepEqual(fetched.data.credentials?.password?.identifiers, ['round@trip.example', 'zoë-🐝']);
        assert.equal(
          (await login(identity, 'zoë-🐝', 'round-trip-1')).status,
          200,
          'each identifier logs in',
        );
        const whoami = await identity.frontend.toSession({
          xSessionToken: String(
            (await login(identity, 'round@trip.example', 'round-trip-1')).data.session_token,
          ),
        });
        assert.deepEqual(whoami.data.identity?.traits, traits);
        assert.equal(
          whoami.data.identity?.metadata_admin,
          undefined,
          'metadata_admin stays on the admin API',
        );
      });

      it('refuses traits the schema refuses (extra traits, missing email, unknown schema) and passwords over 72 bytes', async () => {
        const cases: { name: string; body: object; status: number; reason?: RegExp }[] = [
          {
            name: 'extra trait (demo schema)',
            body: { traits: { email: 'x@example.com', age: 3 } },
            status: 400,
            reason: /additionalProperties/,
          },
          {
            name: 'no email',
            body: { traits: { name: { first: 'x' } } },
            status: 400,
            reason: /traits\.email: Property email is missing/,
          },
          {
            name: 'unknown schema',
            body: { schema_id: 'nope', traits: { email: 'x@example.com' } },
            status: 400,
          },
          {
            name: 'unknown field',
            body: { traits: { email: 'x@example.com' }, verifiable_addresses: [] },
            status: 400,
          },
          {
            name: '73-byte password',
            body: {
              traits: { email: 'long@example.com' },
              credentials: { password: { config: { password: 'A'.repeat(72) + 'b' } } },
            },
            status: 400,
            reason: /at most 72/,
          },
        ];
        for (const row of cases) {
          const response = await fetch(`${identity.adminUrl}/admin/identities`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(row.body),
          });
          assert.equal(response.status, row.status, row.name);
          const body = (await response.json()) as { error: { reason?: string } };
          if (row.reason) assert.match(String(body.error.reason), row.reason, row.name);
        }
        const exact = await createPerson(identity, 'seventy-two@example.com', 'A'.repeat(72));
        assert.ok(exact.data.id, '72 bytes are accepted');
        assert.equal(
          await statusOf(login(identity, 'seventy-two@example.com', `${'A'.repeat(72)}different`)),
          400,
        );
      });

      it('updateIdentity, patchIdentity (JSON Patch) and batchPatchIdentities; state inactive blocks login', async () => {
        const created = await createPerson(identity, 'pat@example.com', 'pat-password-1');
        const id = created.data.id;
        const updated = await identity.admin.updateIdentity({
          id,
          updateIdentityBody: {
            schema_id: 'default',
            state: 'active',
            traits: { email: 'pat@example.com', name: { first: 'Pat', last: 'Doe' } },
            metadata_public: { tier: 1 },
          },
        });
        assert.deepEqual(updated.data.traits, {
          email: 'pat@example.com',
          name: { first: 'Pat', last: 'Doe' },
        });
        const patched = await identity.admin.patchIdentity({
          id,
          jsonPatch: [
            { op: 'replace', path: '/traits/name/first', value: 'Patricia' },
            { op: 'add', path: '/metadata_public/tier', value: 2 },
            { op: 'replace', path: '/traits/email', value: 'patricia@example.com' },
          ],
        });
        assert.equal(patched.data.traits.name.first, 'Patricia');
        assert.deepEqual(patched.data.metadata_public, { tier: 2 });
        assert.equal(
          (await login(identity, 'patricia@example.com', 'pat-password-1')).status,
          200,
          'the identifier follows the traits',
        );
        assert.equal(await statusOf(login(identity, 'pat@example.com', 'pat-password-1')), 400);
        for (const [name, jsonPatch] of [
          ['the id', [{ op: 'replace', path: '/id', value: 'x' }]],
          ['a schema violation', [{ op: 'remove', path: '/traits/email' }]],
          ['a failing test op', [{ op: 'test', path: '/state', value: 'inactive' }]],
        ] as const) {
          assert.equal(
            await statusOf(identity.admin.patchIdentity({ id, jsonPatch: [...jsonPatch] })),
            400,
            name,
          );
        }
        await identity.admin.patchIdentity({
          id,
          jsonPatch: [{ op: 'replace', path: '/state', value: 'inactive' }],
        });
        const refused = await fetch(
          `${identity.publicUrl}/self-service/login?flow=${(await identity.frontend.createNativeLoginFlow()).data.id}`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              method: 'password',
              identifier: 'patricia@example.com',
              password: 'pat-password-1',
            }),
          },
        );
        assert.equal(refused.status, 400);
        assert.deepEqual(
          ((await refused.json()) as { ui: { messages: { id: number }[] } }).ui.messages.map((m) => m.id),
          [4010011],
        );
        const batch = await identity.admin.batchPatchIdentities({
          patchIdentitiesBody: {
            identities: [
              { create: { schema_id: 'default', traits: { email: 'batch-1@example.com' } } },
              { create: { schema_id: 'default', traits: { email: 'patricia@example.com' } } },
              { create: { schema_id: 'default', traits: { email: 'batch-2@example.com' } } },
            ],
          },
        });
        assert.deepEqual(
          batch.data.identities?.map((result) => result.action),
          ['create', 'error', 'create'],
        );
      });

      it('deleteIdentityCredentials removes the password; listIdentities filters exactly and refuses filters it does not implement', async () => {
        const carl = await createPerson(identity, 'carl@example.com', 'carl-password-1');
        await createPerson(identity, 'carla@example.com', 'carla-password-1');
        const exact = await identity.admin.listIdentities({ credentialsIdentifier: 'CARL@example.com' });
        assert.deepEqual(
          exact.data.map((i) => i.id),
          [carl.data.id],
        );
        const none = await identity.admin.listIdentities({ credentialsIdentifier: 'carl' });
        assert.deepEqual(none.data, []);
        const byIds = await identity.admin.listIdentities({ ids: [carl.data.id] });
        assert.deepEqual(
          byIds.data.map((i) => i.id),
          [carl.data.id],
        );
        for (const filter of [
          'credentials_identifier_similar=carl',
          'include_credential=password',
          'organization_id=x',
          'page=1',
          'credential_identifier=carl@example.com',
        ]) {
          const response = await fetch(`${identity.adminUrl}/admin/identities?${filter}`);
          assert.equal(response.status, 400, filter);
          const reason = ((await response.json()) as { error: { reason: string } }).error.reason;
          assert.match(reason, new RegExp(filter.split('=')[0] as string), filter);
        }
        await identity.admin.deleteIdentityCredentials({ id: carl.data.id, type: 'password' });
        assert.equal(await statusOf(login(identity, 'carl@example.com', 'carl-password-1')), 400);
        assert.equal(
          await statusOf(identity.admin.deleteIdentityCredentials({ id: carl.data.id, type: 'password' })),
          404,
        );
      });

      it('keyset pagination: Link has first always and next only when another page exists', async () => {
        const total = (await identity.admin.listIdentities({ pageSize: 1000 })).data.length;
        const first = await identity.admin.listIdentities({ pageSize: 2 });
        const links = linksOf(first.headers.link);
        assert.ok(links.first && links.next);
        const seen = [...first.data.map((i) => i.id)];
        let next: string | undefined = links.next;
        while (next) {
          const page: Response = await fetch(`${identity.adminUrl}${next}`);
          const items = (await page.json()) as { id: string }[];
          seen.push(...items.map((i) => i.id));
          next = linksOf(page.headers.get('link')).next;
          if (next) assert.equal(items.length, 2);
        }
        assert.equal(seen.length, total);
        assert.equal(new Set(seen).size, total);
        const exactPage = await identity.admin.listIdentities({ pageSize: total });
        assert.equal(linksOf(exactPage.headers.link).next, undefined, 'a last page that is full has no next');
      });

      it('session admin API: listSessions, getSession with expand, extendSession, disableSession, deleteIdentitySessions', async () => {
        const dee = await createPerson(identity, 'dee@example.com', 'dee-password-1');
        const tokens = [
          String((await login(identity, 'dee@example.com', 'dee-password-1')).data.session_token),
          String((await login(identity, 'dee@example.com', 'dee-password-1')).data.session_token),
        ];
        const own = await identity.admin.listIdentitySessions({ id: dee.data.id });
        assert.equal(own.data.length, 2);
        const sessionId = String(own.data[0]?.id);
        const plain = await identity.admin.getSession({ id: sessionId });
        assert.equal(plain.data.identity, undefined);
        const expanded = await identity.admin.getSession({ id: sessionId, expand: ['identity'] });
        assert.equal(expanded.data.identity?.id, dee.data.id);
        const before = new Date(String(plain.data.expires_at)).getTime();
        await new Promise((resolve) => setTimeout(resolve, 5));
        const extended = await identity.admin.extendSession({ id: sessionId });
        assert.ok(new Date(String(extended.data.expires_at)).getTime() > before);
        const listed = await identity.admin.listSessions({ active: true, pageSize: 1000 });
        assert.ok(listed.data.some((s) => s.id === sessionId));
        assert.ok(linksOf(listed.headers.link).first);
        await identity.admin.disableSession({ id: sessionId });
        const inactive = await identity.admin.listSessions({ active: false, pageSize: 1000 });
        assert.ok(inactive.data.some((s) => s.id === sessionId));
        await identity.admin.deleteIdentitySessions({ id: dee.data.id });
        for (const token of tokens)
          assert.equal(await statusOf(identity.frontend.toSession({ xSessionToken: token })), 401);
        assert.equal(await statusOf(identity.admin.getSession({ id: sessionId })), 404);
      });

      it("the caller's own sessions: listMySessions, disableMySession, disableMyOtherSessions", async () => {
        await createPerson(identity, 'max@example.com', 'max-password-1');
        const tokens: string[] = [];
        for (let i = 0; i < 3; i++)
          tokens.push(
            String((await login(identity, 'max@example.com', 'max-password-1')).data.session_token),
          );
        const [current, second, third] = tokens as [string, string, string];
        const others = await identity.frontend.listMySessions({ xSessionToken: current });
        assert.equal(others.data.length, 2, 'the other two, not the current one');
        const secondId = String((await identity.frontend.toSession({ xSessionToken: second })).data.id);
        await identity.frontend.disableMySession({ id: secondId, xSessionToken: current });
        assert.equal(await statusOf(identity.frontend.toSession({ xSessionToken: second })), 401);
        const currentId = String((await identity.frontend.toSession({ xSessionToken: current })).data.id);
        assert.equal(
          await statusOf(identity.frontend.disableMySession({ id: currentId, xSessionToken: current })),
          400,
        );
        const { data } = await identity.frontend.disableMyOtherSessions({ xSessionToken: current });
        assert.equal(data.count, 1);
        assert.equal(await statusOf(identity.frontend.toSession({ xSessionToken: third })), 401);
        assert.equal((await identity.frontend.toSession({ xSessionToken: current })).status, 200);
      });

      it('health and version are on the admin port under /admin too', async () => {
        for (const path of [
          '/admin/health/alive',
          '/admin/health/ready',
          '/admin/version',
          '/health/alive',
        ]) {
          assert.equal((await fetch(`${identity.adminUrl}${path}`)).status, 200, path);
        }
      });
    },
  );
}

describe('identity schema configuration', () => {
  it('stops at start-up on an unreadable schema, a schema without identifier, or an unknown default id', async () => {
    const cases = [
      [`identity.schemas=${JSON.stringify([{ id: 'default', url: 'file:///does/not/exist.json' }])}`],
      [
        `identity.schemas=${JSON.stringify([{ id: 'default', url: `base64://${Buffer.from('{"properties":{"traits":{"type":"object","properties":{"x":{"type":"string"}}}}}').toString('base64')}` }])}`,
      ],
      ['identity.default_schema_id=missing'],
    ];
    for (const flags of cases) {
      await assert.rejects(startIdentity('memory', flags), /identity/);
    }
  });
});
