import { requestToken, skipWithoutPostgres, startOAuth2, variants, type Running } from './support';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sdkStatusOf as statusOf } from '@mesh/testkit';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

for (const variant of variants) {
  describe(`oauth2 on ${variant.name}`, { skip: skipWithoutPostgres(variant) }, () => {
    let oauth2: Running;
    let drop: () => Promise<void>;
    before(async () => {
      const database = await variant.dsn();
      drop = database.drop;
      oauth2 = await startOAuth2(database.dsn);
    });
    after(async () => {
      await oauth2.servers.stop();
      await drop();
    });

    const machine = async (overrides: Record<string, unknown> = {}) => {
      const { data } = await oauth2.admin.createOAuth2Client({
        oAuth2Client: {
          grant_types: ['client_credentials'],
          scope: 'documents.read documents.write',
          audience: ['https://api.example.com'],
          ...overrides,
        },
      });
      return { id: data.client_id as string, secret: data.client_secret as string };
    };

    it('createOAuth2Client generates an id and a secret, returns the secret once, stores only its hash', async () => {
      const created = await oauth2.admin.createOAuth2Client({
        oAuth2Client: { client_name: 'ci', grant_types: ['client_credentials'], scope: 'a b' },
      });
      assert.equal(created.status, 201);
      assert.match(String(created.data.client_id), /^[0-9a-f-]{36}$/);
      assert.ok((created.data.client_secret ?? '').length >= 32, 'a generated secret of 32 random bytes');
      assert.equal(created.data.token_endpoint_auth_method, 'client_secret_basic');
      assert.deepEqual(created.data.grant_types, ['client_credentials']);
      const fetched = await oauth2.admin.getOAuth2Client({ id: created.data.client_id as string });
      assert.equal(fetched.data.client_name, 'ci');
      assert.equal(fetched.data.client_secret, undefined, 'the secret is never shown again');
    });

    it("createOAuth2Client takes a chosen client_id and secret; a duplicate client_id is 409 with Hydra's message", async () => {
      const body = {
        client_id: 'billing-job',
        client_secret: 'billing-secret-1',
        grant_types: ['client_credentials'],
      };
      const created = await oauth2.admin.createOAuth2Client({ oAuth2Client: body });
      assert.equal(created.data.client_id, 'billing-job');
      assert.equal(created.data.client_secret, 'billing-secret-1');
      const duplicate = await fetch(`${oauth2.adminUrl}/admin/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(duplicate.status, 409);
      const error = ((await duplicate.json()) as { error: Record<string, unknown> }).error;
      assert.equal(error.code, 409);
      assert.equal(error.status, 'Conflict');
      assert.equal(
        error.message,
        'Unable to insert or update resource because a resource with that value exists already',
      );
      assert.ok(!JSON.stringify(error).includes('billing-secret-1'), 'no secret in the error');
      const legacy = await fetch(`${oauth2.adminUrl}/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(legacy.status, 409, "POST /clients (the seed's path) answers the same");
    });

    it('refuses bad client metadata with 400 in the Ory shape', async () => {
      for (const oAuth2Client of [
        { client_secret: 'short' },
        { client_secret: 'x'.repeat(73) },
        { token_endpoint_auth_method: 'private_key_jwt' },
        { grant_types: ['password'] },
        { scope: 'two  spaces' },
        { audience: 'not-a-list' },
      ]) {
        const response = await fetch(`${oauth2.adminUrl}/admin/clients`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(oAuth2Client),
        });
        assert.equal(response.status, 400, JSON.stringify(oAuth2Client));
        const body = (await response.json()) as { error: { code: number; reason: string } };
        assert.equal(body.error.code, 400);
        assert.ok(body.error.reason, 'the reason names the problem');
      }
    });

    it('listOAuth2Clients pages with page_size and page_token through the Link header', async () => {
      for (const id of ['page-a', 'page-b', 'page-c']) await machine({ client_id: id });
      const first = await oauth2.admin.listOAuth2Clients({ pageSize: 2 });
      assert.equal(first.data.length, 2);
      const link = String(first.headers.link);
      assert.match(link, /rel="first"/);
      const next = /page_token=([A-Za-z0-9_-]+)>; rel="next"/.exec(link)?.[1];
      assert.ok(next, 'a Link header points at the next page');
      const seen = new Set(first.data.map((client) => client.client_id));
      let token: string | undefined = next;
      while (token) {
        const page = await oauth2.admin.listOAuth2Clients({ pageSize: 2, pageToken: token });
        for (const client of page.data) {
          assert.ok(!seen.has(client.client_id), 'no client appears twice');
          seen.add(client.client_id);
        }
        token = /page_token=([A-Za-z0-9_-]+)>; rel="next"/.exec(String(page.headers.link))?.[1];
      }
      for (const id of ['page-a', 'page-b', 'page-c']) assert.ok(seen.has(id), `${id} is listed`);
      const all = await oauth2.admin.listOAuth2Clients({});
      assert.ok(
        all.data.every((client) => client.client_secret === undefined),
        'no secret in a list',
      );
    });

    it('setOAuth2Client replaces; patchOAuth2Client applies a JSON Patch; deleteOAuth2Client removes', async () => {
      const client = await machine({ client_id: 'edit-me', client_name: 'before' });
      const replaced = await oauth2.admin.setOAuth2Client({
        id: client.id,
        oAuth2Client: { client_name: 'after', grant_types: ['client_credentials'], scope: 'documents.read' },
      });
      assert.equal(replaced.data.client_name, 'after');
      assert.equal(replaced.data.client_secret, undefined, 'a PUT without a secret keeps the old one');
      assert.equal(
        (await requestToken(oauth2.publicUrl, { grant_type: 'client_credentials' }, client)).status,
        200,
        'the old secret still works',
      );
      const patched = await oauth2.admin.patchOAuth2Client({
        id: client.id,
        jsonPatch: [
          { op: 'replace', path: '/scope', value: 'documents.write' },
          { op: 'add', path: '/audience/-', value: 'https://other.example.com' },
        ],
      });
      assert.equal(patched.data.scope, 'documents.write');
      assert.deepEqual(patched.data.audience, ['https://other.example.com']);
      assert.equal(
        await statusOf(
          oauth2.admin.patchOAuth2Client({
            id: client.id,
            jsonPatch: [{ op: 'replace', path: '/client_id', value: 'stolen' }],
          }),
        ),
        400,
      );
      const rotated = await oauth2.admin.patchOAuth2Client({
        id: client.id,
        jsonPatch: [{ op: 'add', path: '/client_secret', value: 'a-new-secret' }],
      });
      assert.equal(rotated.data.client_secret, 'a-new-secret');
      assert.equal(
        (await requestToken(oauth2.publicUrl, { grant_type: 'client_credentials' }, client)).status,
        401,
      );
      await oauth2.admin.deleteOAuth2Client({ id: client.id });
      assert.equal(await statusOf(oauth2.admin.getOAuth2Client({ id: client.id })), 404);
      assert.equal(await statusOf(oauth2.admin.deleteOAuth2Client({ id: client.id })), 404);
      assert.equal(await statusOf(oauth2.admin.setOAuth2Client({ id: 'nobody', oAuth2Client: {} })), 404);
    });

    it('client_credentials with client_secret_basic: a bearer token, introspected active with its scope and audience', async () => {
      const client = await machine();
      const answer = await requestToken(
        oauth2.publicUrl,
        { grant_type: 'client_credentials', scope: 'documents.read', audience: 'https://api.example.com' },
        client,
      );
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal(answer.body.token_type, 'bearer');
      assert.equal(answer.body.scope, 'documents.read');
      assert.equal(answer.body.expires_in, 3600);
      const token = String(answer.body.access_token);
      assert.match(token, /^ory_at_[A-Za-z0-9_-]{43}$/);
      const { data } = await oauth2.admin.introspectOAuth2Token({ token });
      assert.equal(data.active, true);
      assert.equal(data.client_id, client.id);
      assert.equal(data.sub, client.id);
      assert.equal(data.scope, 'documents.read');
      assert.deepEqual(data.aud, ['https://api.example.com']);
      assert.equal(data.iss, 'https://auth.example.com');
      assert.equal(data.token_use, 'access_token');
      assert.ok((data.exp ?? 0) > Date.now() / 1000);
      assert.equal(
        (await oauth2.admin.introspectOAuth2Token({ token, scope: 'documents.read' })).data.active,
        true,
      );
      assert.equal(
        (await oauth2.admin.introspectOAuth2Token({ token, scope: 'documents.write' })).data.active,
        false,
        'a scope the token lacks makes it inactive for this caller (Hydra)',
      );
      assert.equal((await oauth2.admin.introspectOAuth2Token({ token: `${token}x` })).data.active, false);
    });

    it('client_credentials with client_secret_post; the wrong method for the client is invalid_client', async () => {
      const client = await machine({ token_endpoint_auth_method: 'client_secret_post' });
      const posted = await requestToken(oauth2.publicUrl, {
        grant_type: 'client_credentials',
        client_id: client.id,
        client_secret: client.secret,
      });
      assert.equal(posted.status, 200);
      assert.equal(posted.body.scope, '');
      const basic = await requestToken(oauth2.publicUrl, { grant_type: 'client_credentials' }, client);
      assert.equal(basic.status, 401);
      assert.equal(basic.body.error, 'invalid_client');
      assert.match(
        String(basic.body.error_description),
        /supports client authentication method 'client_secret_post'/,
      );
    });

    it('the token endpoint answers RFC 6749 errors as Hydra does', async () => {
      const client = await machine();
      const narrow = await machine({ grant_types: [] });
      const cases: {
        name: string;
        form: Record<string, string>;
        basic?: { id: string; secret: string };
        status: number;
        error: string;
      }[] = [
        {
          name: 'bad secret',
          form: { grant_type: 'client_credentials' },
          basic: { ...client, secret: 'wrong-secret' },
          status: 401,
          error: 'invalid_client',
        },
        {
          name: 'unknown client',
          form: { grant_type: 'client_credentials' },
          basic: { id: 'ghost', secret: 'whatever' },
          status: 401,
          error: 'invalid_client',
        },
        {
          name: 'no credentials',
          form: { grant_type: 'client_credentials' },
          status: 401,
          error: 'invalid_client',
        },
        {
          name: 'secret over 72 bytes sharing the prefix',
          form: { grant_type: 'client_credentials' },
          basic: { ...client, secret: `${client.secret}${'z'.repeat(40)}` },
          status: 401,
          error: 'invalid_client',
        },
        {
          name: 'bad scope',
          form: { grant_type: 'client_credentials', scope: 'documents.read admin' },
          basic: client,
          status: 400,
          error: 'invalid_scope',
        },
        {
          name: 'bad audience',
          form: { grant_type: 'client_credentials', audience: 'https://evil.example.com' },
          basic: client,
          status: 400,
          error: 'invalid_request',
        },
        {
          name: 'bad grant',
          form: { grant_type: 'password' },
          basic: client,
          status: 400,
          error: 'unsupported_grant_type',
        },
        {
          name: 'grant not allowed for the client',
          form: { grant_type: 'client_credentials' },
          basic: narrow,
          status: 400,
          error: 'unauthorized_client',
        },
        { name: 'no grant_type', form: {}, basic: client, status: 400, error: 'invalid_request' },
      ];
      for (const testCase of cases) {
        const answer = await requestToken(oauth2.publicUrl, testCase.form, testCase.basic);
        assert.equal(answer.status, testCase.status, testCase.name);
        assert.equal(answer.body.error, testCase.error, testCase.name);
        assert.equal(typeof answer.body.error_description, 'string', testCase.name);
        assert.deepEqual(Object.keys(answer.body).sort(), ['error', 'error_description'], testCase.name);
      }
      const json = await fetch(`${oauth2.publicUrl}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      assert.equal(json.status, 400);
      assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');
      for (const [body, status] of [
        ['{"grant_type":', 400],
        [JSON.stringify({ padding: 'p'.repeat(1_100_000) }), 413],
      ] as const) {
        const refused = await fetch(`${oauth2.publicUrl}/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        assert.equal(refused.status, status);
        assert.equal(((await refused.json()) as { error: string }).error, 'invalid_request');
      }
      const basicFailure = await requestToken(
        oauth2.publicUrl,
        { grant_type: 'client_credentials' },
        { ...client, secret: 'nope-nope' },
      );
      assert.match(String(basicFailure.headers.get('www-authenticate')), /^Basic /);
    });

    it('revocation makes a token inactive; another client cannot revoke it; an unknown token is fine', async () => {
      const owner = await machine();
      const stranger = await machine();
      const token = String(
        (await requestToken(oauth2.publicUrl, { grant_type: 'client_credentials' }, owner)).body.access_token,
      );
      const revoke = (who: { id: string; secret: string }, value: string) =>
        fetch(`${oauth2.publicUrl}/oauth2/revoke`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${who.id}:${who.secret}`).toString('base64')}`,
          },
          body: new URLSearchParams({ token: value }).toString(),
        });
      assert.equal((await revoke(stranger, token)).status, 400);
      assert.equal((await oauth2.admin.introspectOAuth2Token({ token })).data.active, true);
      assert.equal((await revoke(owner, 'ory_at_unknown')).status, 200);
      assert.equal((await revoke(owner, token)).status, 200);
      assert.equal((await oauth2.admin.introspectOAuth2Token({ token })).data.active, false);
      assert.equal((await revoke({ ...owner, secret: 'wrong-one' }, token)).status, 401);
    });

    it('deleting a client deactivates its tokens', async () => {
      const client = await machine();
      const token = String(
        (await requestToken(oauth2.publicUrl, { grant_type: 'client_credentials' }, client)).body
          .access_token,
      );
      await oauth2.admin.deleteOAuth2Client({ id: client.id });
      assert.equal((await oauth2.admin.introspectOAuth2Token({ token })).data.active, false);
    });

    it('serves Prometheus metrics on the admin port at /admin/metrics/prometheus, as Hydra', async () => {
      const client = await machine();
      await requestToken(oauth2.publicUrl, { grant_type: 'client_credentials' }, client);
      const response = await fetch(`${oauth2.adminUrl}/admin/metrics/prometheus`);
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.match(
        text,
        /^http_server_request_duration_seconds_count\{.*http_route="\/oauth2\/token".*\} \d+/m,
      );
      assert.match(text, /^bcrypt_duration_seconds_count\{.*\} \d+/m);
      assert.ok(!text.includes(client.secret), 'no secret in the metrics');
      assert.equal(
        (await fetch(`${oauth2.publicUrl}/admin/metrics/prometheus`)).status,
        404,
        'not on the public port',
      );
    });

    it('serves discovery and the JWKS', async () => {
      const discovery = (await (
        await fetch(`${oauth2.publicUrl}/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      assert.equal(discovery.issuer, 'https://auth.example.com');
      assert.equal(discovery.token_endpoint, 'https://auth.example.com/oauth2/token');
      assert.equal(discovery.jwks_uri, 'https://auth.example.com/.well-known/jwks.json');
      assert.deepEqual(discovery.grant_types_supported, ['client_credentials']);
      const jwks = (await (await fetch(`${oauth2.publicUrl}/.well-known/jwks.json`)).json()) as {
        keys: Record<string, unknown>[];
      };
      assert.equal(jwks.keys.length, 1);
      assert.equal(jwks.keys[0]?.kty, 'RSA');
      assert.equal(jwks.keys[0]?.alg, 'RS256');
      assert.equal(jwks.keys[0]?.d, undefined, 'no private member is published');
    });
  });

  describe(
    `oauth2 with strategies.access_token=jwt on ${variant.name}`,
    { skip: skipWithoutPostgres(variant) },
    () => {
      let oauth2: Running;
      let drop: () => Promise<void>;
      before(async () => {
        const database = await variant.dsn();
        drop = database.drop;
        oauth2 = await startOAuth2(database.dsn, ['strategies.access_token=jwt']);
      });
      after(async () => {
        await oauth2.servers.stop();
        await drop();
      });

      it('issues RS256 JWTs that verify against /.well-known/jwks.json, and introspects and revokes them', async () => {
        const { data } = await oauth2.admin.createOAuth2Client({
          oAuth2Client: {
            grant_types: ['client_credentials'],
            scope: 'documents.read',
            audience: ['https://api.example.com'],
          },
        });
        const client = { id: data.client_id as string, secret: data.client_secret as string };
        const answer = await requestToken(
          oauth2.publicUrl,
          { grant_type: 'client_credentials', scope: 'documents.read', audience: 'https://api.example.com' },
          client,
        );
        assert.equal(answer.status, 200);
        const token = String(answer.body.access_token);
        const jwks = createRemoteJWKSet(new URL(`${oauth2.publicUrl}/.well-known/jwks.json`));
        const { payload } = await jwtVerify(token, jwks, {
          issuer: 'https://auth.example.com',
          audience: 'https://api.example.com',
        });
        assert.equal(decodeProtectedHeader(token).alg, 'RS256');
        assert.equal(payload.sub, client.id);
        assert.equal(payload.client_id, client.id);
        assert.deepEqual(payload.scp, ['documents.read']);
        assert.equal((await oauth2.admin.introspectOAuth2Token({ token })).data.active, true);
        const revoked = await fetch(`${oauth2.publicUrl}/oauth2/revoke`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token, client_id: client.id, client_secret: client.secret }).toString(),
        });
        assert.equal(revoked.status, 401, 'a client_secret_basic client cannot authenticate by form');
        const byBasic = await fetch(`${oauth2.publicUrl}/oauth2/revoke`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
          },
          body: new URLSearchParams({ token }).toString(),
        });
        assert.equal(byBasic.status, 200);
        assert.equal((await oauth2.admin.introspectOAuth2Token({ token })).data.active, false);
      });
    },
  );
}
