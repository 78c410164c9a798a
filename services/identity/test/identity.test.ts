import { startIdentity, login, variants, type Running } from './support';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sdkStatusOf as statusOf } from '@mesh/testkit';

for (const variant of variants) {
  describe(
    `identity on ${variant.name}`,
    {
      skip:
        variant.name === 'PostgreSQL' && !process.env.TEST_POSTGRES_DSN
          ? 'TEST_POSTGRES_DSN is not set'
          : false,
    },
    () => {
      let identity: Running;
      let drop: () => Promise<void>;
      before(async () => {
        const database = await variant.dsn();
        drop = database.drop;
        identity = await startIdentity(database.dsn);
      });
      after(async () => {
        await identity.servers.stop();
        await drop();
      });

      it('createIdentity with a password, then getIdentity and listIdentities with pagination', async () => {
        const created = await identity.admin.createIdentity({
          createIdentityBody: {
            schema_id: 'default',
            traits: { email: 'Carol@Example.com' },
            credentials: { password: { config: { password: 'carol-password' } } },
          },
        });
        assert.equal(created.status, 201);
        assert.equal(created.data.state, 'active');
        assert.deepEqual(created.data.traits, { email: 'Carol@Example.com' });
        const fetched = await identity.admin.getIdentity({ id: created.data.id });
        assert.equal(fetched.data.id, created.data.id);
        await identity.admin.createIdentity({
          createIdentityBody: { schema_id: 'default', traits: { email: 'dave@example.com' } },
        });
        const first = await identity.admin.listIdentities({ pageSize: 1 });
        assert.equal(first.data.length, 1);
        const next = /page_token=([0-9a-f-]+)/.exec(String(first.headers.link))?.[1];
        assert.ok(next, 'a Link header points at the next page');
        const second = await identity.admin.listIdentities({ pageSize: 1, pageToken: next });
        assert.equal(second.data.length, 1);
        assert.notEqual(second.data[0]?.id, first.data[0]?.id);
        const all = await identity.admin.listIdentities({});
        assert.ok(all.data.length >= 2);
      });

      it('refuses a second identity with the same email in another case (409)', async () => {
        const body = { schema_id: 'default', traits: { email: 'erin@example.com' } };
        await identity.admin.createIdentity({ createIdentityBody: body });
        const status = await statusOf(
          identity.admin.createIdentity({
            createIdentityBody: { ...body, traits: { email: 'ERIN@example.com' } },
          }),
        );
        assert.equal(status, 409);
      });

      it('registration flow returns identity, session and token; whoami takes the token as header or bearer, never as raw cookie', async () => {
        const { data: flow } = await identity.frontend.createNativeRegistrationFlow();
        const fetched = await fetch(`${identity.publicUrl}/self-service/registration/flows?id=${flow.id}`);
        assert.equal(fetched.status, 200);
        const { data } = await identity.frontend.updateRegistrationFlow({
          flow: flow.id,
          updateRegistrationFlowBody: {
            method: 'password',
            password: 'frank-password',
            traits: { email: 'frank@example.com' },
          },
        });
        assert.ok(data.session_token);
        assert.equal(data.identity.traits.email, 'frank@example.com');
        const token = data.session_token;
        const viaHeader = await identity.frontend.toSession({ xSessionToken: token });
        assert.equal(viaHeader.data.identity?.id, data.identity.id);
        assert.equal(viaHeader.headers['x-kratos-authenticated-identity-id'], data.identity.id);
        const rawCookie = await fetch(`${identity.publicUrl}/sessions/whoami`, {
          headers: { cookie: `ory_kratos_session=${token}` },
        });
        assert.equal(rawCookie.status, 401, 'a raw session token in the cookie is refused');
        assert.equal(((await rawCookie.json()) as { error: { id: string } }).error.id, 'session_inactive');
        for (const headers of [{ authorization: `Bearer ${token}` }]) {
          const response = await fetch(`${identity.publicUrl}/sessions/whoami`, { headers });
          assert.equal(response.status, 200);
          const session = (await response.json()) as {
            active: boolean;
            authenticator_assurance_level: string;
          };
          assert.equal(session.active, true);
          assert.equal(session.authenticator_assurance_level, 'aal1');
        }
      });

      it('login flow: right password gives a session; wrong password and unknown identifier give the same 400', async () => {
        await identity.admin.createIdentity({
          createIdentityBody: {
            schema_id: 'default',
            traits: { email: 'grace@example.com' },
            credentials: { password: { config: { password: 'grace-password' } } },
          },
        });
        const { data } = await login(identity, 'GRACE@example.com', 'grace-password');
        assert.ok(data.session_token);
        assert.equal(data.session.identity?.traits.email, 'grace@example.com');
        const { data: flow } = await identity.frontend.createNativeLoginFlow();
        const { data: sameFlow } = await identity.frontend.getLoginFlow({ id: flow.id });
        assert.equal(sameFlow.id, flow.id);
        const answers = await Promise.all(
          [
            ['grace@example.com', 'wrong-password'],
            ['nobody@example.com', 'grace-password'],
          ].map(async ([identifier, password]) => {
            const response = await fetch(`${identity.publicUrl}/self-service/login?flow=${flow.id}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ method: 'password', identifier, password }),
            });
            const body = (await response.json()) as { ui: { messages: unknown[] } };
            return { status: response.status, messages: body.ui.messages };
          }),
        );
        assert.equal(answers[0]?.status, 400);
        assert.deepEqual(answers[0], answers[1]);
        assert.deepEqual(
          (answers[0]?.messages as { id: number }[]).map((message) => message.id),
          [4000006],
        );
      });

      it('logout, disableSession and deleteIdentity each end the session (whoami 401)', async () => {
        const email = 'heidi@example.com';
        const created = await identity.admin.createIdentity({
          createIdentityBody: {
            schema_id: 'default',
            traits: { email },
            credentials: { password: { config: { password: 'heidi-password' } } },
          },
        });
        const first = (await login(identity, email, 'heidi-password')).data.session_token as string;
        await identity.frontend.performNativeLogout({ performNativeLogoutBody: { session_token: first } });
        assert.equal(await statusOf(identity.frontend.toSession({ xSessionToken: first })), 401);

        const second = (await login(identity, email, 'heidi-password')).data.session_token as string;
        const sessions = await identity.admin.listIdentitySessions({ id: created.data.id });
        const active = sessions.data.find((session) => session.active);
        assert.ok(active);
        await identity.admin.disableSession({ id: active.id });
        assert.equal(await statusOf(identity.frontend.toSession({ xSessionToken: second })), 401);

        const third = (await login(identity, email, 'heidi-password')).data.session_token as string;
        await identity.admin.deleteIdentity({ id: created.data.id });
        assert.equal(await statusOf(identity.frontend.toSession({ xSessionToken: third })), 401);
        assert.equal(await statusOf(identity.admin.getIdentity({ id: created.data.id })), 404);
      });

      it('answers bad input with a clear 4xx in the Ory shape', async () => {
        const { data: flow } = await identity.frontend.createNativeLoginFlow();
        const { data: registration } = await identity.frontend.createNativeRegistrationFlow();
        const json = { 'content-type': 'application/json' };
        await identity.admin.createIdentity({
          createIdentityBody: { schema_id: 'default', traits: { email: 'taken@example.com' } },
        });
        const cases: {
          name: string;
          url: string;
          method: string;
          body?: string;
          headers?: Record<string, string>;
          status: number;
          /** Kratos answers a refused submission with the flow and its messages, not an error body. */
          flow?: boolean;
        }[] = [
          {
            name: 'invalid JSON',
            url: `/self-service/login?flow=${flow.id}`,
            method: 'POST',
            body: '{"method":',
            headers: json,
            status: 400,
          },
          {
            name: 'missing password',
            flow: true,
            url: `/self-service/login?flow=${flow.id}`,
            method: 'POST',
            body: '{"method":"password","identifier":"a@b.c"}',
            headers: json,
            status: 400,
          },
          {
            name: 'wrong type',
            flow: true,
            url: `/self-service/login?flow=${flow.id}`,
            method: 'POST',
            body: '{"method":"password","identifier":5,"password":"x"}',
            headers: json,
            status: 400,
          },
          {
            name: 'wrong method',
            flow: true,
            url: `/self-service/login?flow=${flow.id}`,
            method: 'POST',
            body: '{"method":"totp","identifier":"a","password":"x"}',
            headers: json,
            status: 400,
          },
          {
            name: 'no flow',
            url: '/self-service/login',
            method: 'POST',
            body: '{"method":"password","identifier":"a","password":"b"}',
            headers: json,
            status: 400,
          },
          {
            name: 'malformed flow id',
            url: '/self-service/login?flow=not-a-uuid',
            method: 'POST',
            body: '{"method":"password","identifier":"a","password":"b"}',
            headers: json,
            status: 400,
          },
          {
            name: 'unknown flow',
            url: '/self-service/login?flow=00000000-0000-4000-8000-000000000000',
            method: 'POST',
            body: '{"method":"password","identifier":"a","password":"b"}',
            headers: json,
            status: 400,
          },
          {
            name: 'login flow id used for registration',
            url: `/self-service/registration?flow=${flow.id}`,
            method: 'POST',
            body: '{"method":"password","password":"long-enough","traits":{"email":"x@example.com"}}',
            headers: json,
            status: 400,
          },
          {
            name: 'short password',
            flow: true,
            url: `/self-service/registration?flow=${registration.id}`,
            method: 'POST',
            body: '{"method":"password","password":"short","traits":{"email":"y@example.com"}}',
            headers: json,
            status: 400,
          },
          {
            name: 'duplicate email in another case',
            flow: true,
            url: `/self-service/registration?flow=${registration.id}`,
            method: 'POST',
            body: '{"method":"password","password":"long-enough","traits":{"email":"Taken@Example.com"}}',
            headers: json,
            status: 400,
          },
          {
            name: 'missing traits',
            flow: true,
            url: `/self-service/registration?flow=${registration.id}`,
            method: 'POST',
            body: '{"method":"password","password":"long-enough"}',
            headers: json,
            status: 400,
          },
          {
            name: 'invalid email',
            flow: true,
            url: `/self-service/registration?flow=${registration.id}`,
            method: 'POST',
            body: '{"method":"password","password":"long-enough","traits":{"email":"not-an-email"}}',
            headers: json,
            status: 400,
          },
          {
            name: 'unknown flow lookup',
            url: '/self-service/login/flows?id=00000000-0000-4000-8000-000000000000',
            method: 'GET',
            status: 404,
          },
          {
            name: 'oversized body',
            url: `/self-service/login?flow=${flow.id}`,
            method: 'POST',
            body: JSON.stringify({ method: 'password', identifier: 'a', password: 'x'.repeat(1_100_000) }),
            headers: json,
            status: 413,
          },
          { name: 'no token', url: '/sessions/whoami', method: 'GET', status: 401 },
          {
            name: 'unknown token',
            url: '/sessions/whoami',
            method: 'GET',
            headers: { 'x-session-token': 'ory_st_unknown' },
            status: 401,
          },
          {
            name: 'malformed bearer',
            url: '/sessions/whoami',
            method: 'GET',
            headers: { authorization: 'Bearer' },
            status: 401,
          },
          {
            name: 'garbage cookie',
            url: '/sessions/whoami',
            method: 'GET',
            headers: { cookie: 'ory_kratos_session=%E0%A4%A' },
            status: 401,
          },
          {
            name: 'SQL metacharacters in a token',
            url: '/sessions/whoami',
            method: 'GET',
            headers: { 'x-session-token': "' OR '1'='1" },
            status: 401,
          },
          {
            name: 'logout without token',
            url: '/self-service/logout/api',
            method: 'DELETE',
            body: '{}',
            headers: json,
            status: 400,
          },
          {
            name: 'logout unknown token',
            url: '/self-service/logout/api',
            method: 'DELETE',
            body: '{"session_token":"ory_st_nope"}',
            headers: json,
            status: 403,
          },
        ];
        for (const row of cases) {
          const response = await fetch(`${identity.publicUrl}${row.url}`, {
            method: row.method,
            body: row.body,
            headers: row.headers,
          });
          assert.equal(response.status, row.status, row.name);
          const body = (await response.json()) as {
            error?: { code: number; message: string };
            ui?: { messages?: unknown[]; nodes: { messages: unknown[] }[] };
          };
          if (row.flow) {
            const messages = [
              ...(body.ui?.messages ?? []),
              ...(body.ui?.nodes ?? []).flatMap((node) => node.messages),
            ];
            assert.ok(messages.length > 0, `${row.name}: the flow names the problem`);
          } else assert.equal(body.error?.code, row.status, `${row.name}: Ory error shape`);
        }
        const adminCases = [
          {
            name: 'identity without traits',
            url: '/admin/identities',
            method: 'POST',
            body: '{}',
            status: 400,
          },
          {
            name: 'short admin password',
            url: '/admin/identities',
            method: 'POST',
            body: '{"traits":{"email":"z@example.com"},"credentials":{"password":{"config":{"password":"short"}}}}',
            status: 400,
          },
          { name: 'malformed id', url: '/admin/identities/not-a-uuid', method: 'GET', status: 400 },
          {
            name: 'unknown identity',
            url: '/admin/identities/00000000-0000-4000-8000-000000000000',
            method: 'GET',
            status: 404,
          },
          {
            name: 'unknown session',
            url: '/admin/sessions/00000000-0000-4000-8000-000000000000',
            method: 'DELETE',
            status: 404,
          },
          { name: 'bad page size', url: '/admin/identities?page_size=abc', method: 'GET', status: 400 },
          { name: 'bad page token', url: '/admin/identities?page_token=xyz', method: 'GET', status: 400 },
        ];
        for (const row of adminCases) {
          const response = await fetch(`${identity.adminUrl}${row.url}`, {
            method: row.method,
            body: row.body,
            headers: json,
          });
          assert.equal(response.status, row.status, row.name);
        }
      });

      it('stores SQL metacharacters in an email unchanged', async () => {
        const email = "o'brien+--drop@example.com";
        const created = await identity.admin.createIdentity({
          createIdentityBody: { schema_id: 'default', traits: { email } },
        });
        assert.equal((await identity.admin.getIdentity({ id: created.data.id })).data.traits.email, email);
      });
    },
  );
}

describe('identity lifespans', () => {
  it('an expired session gives 401 and an expired flow gives 410 on lookup and on submit', async () => {
    const identity = await startIdentity('memory', [
      'session.lifespan=1ms',
      'selfservice.flows.login.lifespan=1ms',
    ]);
    try {
      await identity.admin.createIdentity({
        createIdentityBody: {
          schema_id: 'default',
          traits: { email: 'ivan@example.com' },
          credentials: { password: { config: { password: 'ivan-password' } } },
        },
      });
      const { data: flow } = await identity.frontend.createNativeLoginFlow();
      assert.equal(await statusOf(identity.frontend.getLoginFlow({ id: flow.id })), 410);
      const response = await fetch(`${identity.publicUrl}/self-service/login?flow=${flow.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          method: 'password',
          identifier: 'ivan@example.com',
          password: 'ivan-password',
        }),
      });
      assert.equal(response.status, 410);
      assert.equal(
        ((await response.json()) as { error: { id: string } }).error.id,
        'self_service_flow_expired',
      );
    } finally {
      await identity.servers.stop();
    }
    const shortSessions = await startIdentity('memory', ['session.lifespan=1ms']);
    try {
      await shortSessions.admin.createIdentity({
        createIdentityBody: {
          schema_id: 'default',
          traits: { email: 'judy@example.com' },
          credentials: { password: { config: { password: 'judy-password' } } },
        },
      });
      const token = (await login(shortSessions, 'judy@example.com', 'judy-password')).data
        .session_token as string;
      assert.equal(await statusOf(shortSessions.frontend.toSession({ xSessionToken: token })), 401);
    } finally {
      await shortSessions.servers.stop();
    }
  });
});
