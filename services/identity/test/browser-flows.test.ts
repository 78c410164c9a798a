import {
  browserLogin,
  CookieJar,
  createPerson,
  csrfTokenOf,
  nodeMessages,
  startIdentity,
  variants,
  type Running,
} from './support';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { sdkStatusOf as statusOf } from '@mesh/testkit';

const base = 'https://id.example.test';

/** A form post as a browser sends it, without following the redirect. */
function postForm(url: string, jar: CookieJar, fields: Record<string, string>) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The flow id a 303 points at, after checking where it points. */
function flowIdOfRedirect(response: Response, uiUrl: string): string {
  assert.equal(response.status, 303);
  const location = new URL(String(response.headers.get('location')));
  assert.equal(`${location.origin}${location.pathname}`, uiUrl);
  return String(location.searchParams.get('flow'));
}

const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { id?: string; code: number; details?: { reject_reason?: string } } })
    .error;

for (const variant of variants) {
  describe(
    `browser flows on ${variant.name}`,
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
        identity = await startIdentity(database.dsn, [
          'selfservice.allowed_return_urls=https://app.example.test/welcome',
          'selfservice.default_browser_return_url=https://app.example.test/',
        ]);
        await createPerson(identity, 'alice@example.com', 'alice-password');
      });
      after(async () => {
        await identity.servers.stop();
        await drop();
      });

      it('the login flow sets an anti-CSRF cookie, has a hidden csrf_token node, and takes its URLs from serve.public.base_url', async () => {
        const jar = new CookieJar();
        const flow = await identity.frontend.createBrowserLoginFlow();
        jar.take(flow.headers['set-cookie']);
        const csrfCookie = (flow.headers['set-cookie'] as string[]).find((c) => c.startsWith('csrf_token_'));
        assert.ok(csrfCookie, 'an anti-CSRF cookie');
        assert.match(csrfCookie, /HttpOnly/i);
        assert.match(csrfCookie, /SameSite=Lax/i);
        assert.match(csrfCookie, /Secure/i, 'Secure outside dev mode');
        assert.equal(flow.data.type, 'browser');
        const csrfNode = flow.data.ui.nodes.find(
          (node) => 'name' in node.attributes && node.attributes.name === 'csrf_token',
        );
        assert.ok(csrfNode && 'type' in csrfNode.attributes && csrfNode.attributes.type === 'hidden');
        assert.equal(flow.data.ui.action, `${base}/self-service/login?flow=${flow.data.id}`);
        // A forged Host changes nothing: every URL comes from configuration.
        const forged = await new Promise<string>((resolve, reject) => {
          const port = new URL(identity.publicUrl).port;
          const req = httpRequest(
            { host: '127.0.0.1', port, path: '/self-service/login/api', headers: { host: 'evil.example' } },
            (res) => {
              let body = '';
              res.on('data', (chunk: Buffer) => (body += chunk.toString()));
              res.on('end', () => resolve(body));
            },
          );
          req.on('error', reject);
          req.end();
        });
        assert.doesNotMatch(forged, /evil\.example/);
        assert.match(forged, /https:\/\/id\.example\.test\/self-service\/login\?flow=/);
      });

      it('without Accept: application/json, flow creation is a 303 to the ui_url with ?flow=', async () => {
        for (const [type, path] of [
          ['login', '/login'],
          ['registration', '/registration'],
        ] as const) {
          const response = await fetch(`${identity.publicUrl}/self-service/${type}/browser`, {
            redirect: 'manual',
          });
          const id = flowIdOfRedirect(response, `http://127.0.0.1:4455${path}`);
          assert.ok(response.headers.getSetCookie().some((c) => c.startsWith('csrf_token_')));
          const fetched = await fetch(`${identity.publicUrl}/self-service/${type}/flows?id=${id}`);
          assert.equal(fetched.status, 200);
        }
      });

      it('a browser login sets the signed, HttpOnly, SameSite=Lax ory_kratos_session cookie that whoami accepts; the raw token in the cookie is refused', async () => {
        const jar = new CookieJar();
        const { data, headers } = await browserLogin(identity, jar, 'alice@example.com', 'alice-password');
        assert.equal(data.session.identity?.traits.email, 'alice@example.com');
        assert.equal(data.session_token, undefined, 'a browser flow hands out no token');
        const cookie = (headers['set-cookie'] as string[]).find((c) => c.startsWith('ory_kratos_session='));
        assert.ok(cookie);
        assert.match(cookie, /HttpOnly/i);
        assert.match(cookie, /SameSite=Lax/i);
        assert.match(cookie, /Secure/i);
        const whoami = await identity.frontend.toSession({ cookie: jar.header() });
        assert.equal(whoami.data.id, data.session.id);
        // The cookie value is signed: altering it, or putting a bare token there, is no session.
        const value = String(jar.get('ory_kratos_session'));
        const tampered = `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
        assert.equal(
          await statusOf(identity.frontend.toSession({ cookie: `ory_kratos_session=${tampered}` })),
          401,
        );
        const native = await identity.frontend.createNativeLoginFlow();
        const token = String(
          (
            await identity.frontend.updateLoginFlow({
              flow: native.data.id,
              updateLoginFlowBody: {
                method: 'password',
                identifier: 'alice@example.com',
                password: 'alice-password',
              },
            })
          ).data.session_token,
        );
        const raw = await fetch(`${identity.publicUrl}/sessions/whoami`, {
          headers: { cookie: `ory_kratos_session=${token}` },
        });
        assert.equal(raw.status, 401);
        assert.equal((await errorOf(raw)).id, 'session_inactive');
        assert.equal(
          (
            await fetch(`${identity.publicUrl}/sessions/whoami`, {
              headers: { authorization: `Bearer ${token}` },
            })
          ).status,
          200,
        );
      });

      it('refuses submissions without the anti-CSRF cookie or token, or with a mismatch, with 403 security_csrf_violation', async () => {
        const jar = new CookieJar();
        const flow = await identity.frontend.createBrowserLoginFlow();
        jar.take(flow.headers['set-cookie']);
        const other = new CookieJar();
        const otherFlow = await identity.frontend.createBrowserLoginFlow();
        other.take(otherFlow.headers['set-cookie']);
        const csrfName = String(jar.nameStartingWith('csrf_token_'));
        const body = { method: 'password', identifier: 'alice@example.com', password: 'alice-password' };
        const cases: { name: string; cookie: string; token?: string; reason: RegExp }[] = [
          {
            name: 'no cookie at all',
            cookie: '',
            token: csrfTokenOf(flow.data),
            reason: /Cookie Header is empty/,
          },
          {
            name: 'cookies but not the CSRF one',
            cookie: 'something=else',
            token: csrfTokenOf(flow.data),
            reason: /did not include the anti-CSRF cookie/,
          },
          { name: 'no token sent', cookie: jar.header(), reason: /token was not included/ },
          {
            name: 'another browser’s token',
            cookie: jar.header(),
            token: csrfTokenOf(otherFlow.data),
            reason: /do not match/,
          },
          {
            name: 'the token with another browser’s cookie',
            cookie: `${csrfName}=${String(other.get(csrfName))}`,
            token: csrfTokenOf(flow.data),
            reason: /do not match/,
          },
          { name: 'garbage token', cookie: jar.header(), token: 'not-a-token', reason: /do not match/ },
        ];
        for (const row of cases) {
          const response = await fetch(`${identity.publicUrl}/self-service/login?flow=${flow.data.id}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(row.cookie ? { cookie: row.cookie } : {}) },
            body: JSON.stringify({ ...body, ...(row.token ? { csrf_token: row.token } : {}) }),
          });
          assert.equal(response.status, 403, row.name);
          const error = await errorOf(response);
          assert.equal(error.id, 'security_csrf_violation', row.name);
          assert.match(String(error.details?.reject_reason ?? ''), row.reason, row.name);
          assert.equal(response.headers.getSetCookie().length, 0, `${row.name}: no session cookie`);
        }
      });

      it('form posts: a wrong password goes back to the form with 4000006 on the flow; success goes to an allowed return_to', async () => {
        const jar = new CookieJar();
        const init = await fetch(
          `${identity.publicUrl}/self-service/login/browser?return_to=${encodeURIComponent('https://app.example.test/welcome/home')}`,
          { redirect: 'manual' },
        );
        jar.from(init);
        const flowId = flowIdOfRedirect(init, 'http://127.0.0.1:4455/login');
        const flow = (await (
          await fetch(`${identity.publicUrl}/self-service/login/flows?id=${flowId}`)
        ).json()) as {
          ui: { nodes: unknown[] };
        };
        const action = `${identity.publicUrl}/self-service/login?flow=${flowId}`;
        const fields = { csrf_token: csrfTokenOf(flow), method: 'password', identifier: 'alice@example.com' };
        const wrong = await postForm(action, jar, { ...fields, password: 'not-her-password' });
        assert.equal(flowIdOfRedirect(wrong, 'http://127.0.0.1:4455/login'), flowId);
        const shown = (await identity.frontend.getLoginFlow({ id: flowId })).data;
        assert.deepEqual(
          shown.ui.messages?.map((message) => message.id),
          [4000006],
        );
        const identifierNode = shown.ui.nodes.find(
          (n) => 'name' in n.attributes && n.attributes.name === 'identifier',
        );
        assert.equal(
          identifierNode && 'value' in identifierNode.attributes && identifierNode.attributes.value,
          'alice@example.com',
        );
        const right = await postForm(action, jar, { ...fields, password: 'alice-password' });
        assert.equal(right.status, 303);
        assert.equal(right.headers.get('location'), 'https://app.example.test/welcome/home');
        jar.from(right);
        assert.equal((await identity.frontend.toSession({ cookie: jar.header() })).status, 200);
        const forbidden = await fetch(
          `${identity.publicUrl}/self-service/login/browser?return_to=${encodeURIComponent('https://evil.example/welcome')}`,
          { redirect: 'manual' },
        );
        assert.equal(forbidden.status, 400);
        assert.equal((await errorOf(forbidden)).id, 'self_service_flow_return_to_forbidden');
        const fresh = new CookieJar();
        const noReturn = await fetch(`${identity.publicUrl}/self-service/login/browser`, {
          redirect: 'manual',
        });
        fresh.from(noReturn);
        const id2 = flowIdOfRedirect(noReturn, 'http://127.0.0.1:4455/login');
        const flow2 = (await identity.frontend.getLoginFlow({ id: id2 })).data;
        const done = await postForm(`${identity.publicUrl}/self-service/login?flow=${id2}`, fresh, {
          ...fields,
          csrf_token: csrfTokenOf(flow2),
          password: 'alice-password',
        });
        assert.equal(done.headers.get('location'), 'https://app.example.test/');
      });

      it('browser registration stores every trait; schema errors, a taken identifier and a long password are flow messages', async () => {
        const jar = new CookieJar();
        const flow = await identity.frontend.createBrowserRegistrationFlow();
        jar.take(flow.headers['set-cookie']);
        const submit = (traits: object, password: string) =>
          fetch(`${identity.publicUrl}/self-service/registration?flow=${flow.data.id}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', cookie: jar.header() },
            body: JSON.stringify({
              method: 'password',
              csrf_token: csrfTokenOf(flow.data),
              traits,
              password,
            }),
          });
        const refusals: { name: string; traits: object; password: string; node?: string; ids: number[] }[] = [
          {
            name: 'no email',
            traits: { name: { first: 'Bo' } },
            password: 'long-enough-1',
            node: 'traits.email',
            ids: [4000002],
          },
          {
            name: 'not an email',
            traits: { email: 'nope' },
            password: 'long-enough-1',
            node: 'traits.email',
            ids: [4000040],
          },
          {
            name: 'wrong type',
            traits: { email: 'bo@example.com', name: { first: 7 } },
            password: 'long-enough-1',
            node: 'traits.name.first',
            ids: [4000026],
          },
          {
            name: 'short password',
            traits: { email: 'bo@example.com' },
            password: 'short',
            node: 'password',
            ids: [4000032],
          },
          {
            name: '73-byte password',
            traits: { email: 'bo@example.com' },
            password: 'A'.repeat(73),
            node: 'password',
            ids: [4000033],
          },
          {
            name: 'unknown trait (on the flow: it has no node)',
            traits: { email: 'bo@example.com', age: 3 },
            password: 'long-enough-1',
            ids: [4000001],
          },
          {
            name: 'taken identifier',
            traits: { email: 'ALICE@example.com' },
            password: 'long-enough-1',
            ids: [4000007],
          },
        ];
        for (const row of refusals) {
          const response = await submit(row.traits, row.password);
          assert.equal(response.status, 400, row.name);
          const body = (await response.json()) as { ui: { nodes: unknown[]; messages?: { id: number }[] } };
          const ids = row.node ? nodeMessages(body, row.node) : (body.ui.messages ?? []).map((m) => m.id);
          assert.deepEqual(ids, row.ids, row.name);
        }
        const response = await submit(
          { email: 'Bo@Example.com', name: { first: 'Bø', last: 'Ünïcødé 🐝' } },
          'bo-password-1',
        );
        assert.equal(response.status, 200);
        const body = (await response.json()) as {
          identity: { id: string; traits: unknown };
          session_token?: string;
        };
        assert.equal(body.session_token, undefined);
        assert.deepEqual(body.identity.traits, {
          email: 'Bo@Example.com',
          name: { first: 'Bø', last: 'Ünïcødé 🐝' },
        });
        jar.from(response);
        const whoami = await identity.frontend.toSession({ cookie: jar.header() });
        assert.equal(whoami.data.identity?.id, body.identity.id);
        const stored = await identity.admin.getIdentity({ id: body.identity.id });
        assert.deepEqual(stored.data.traits, {
          email: 'Bo@Example.com',
          name: { first: 'Bø', last: 'Ünïcødé 🐝' },
        });
      });

      it('logout: createBrowserLogoutFlow gives a logout_url on the base URL; following it revokes, clears the cookie and redirects; a reused or unknown token is 403', async () => {
        const jar = new CookieJar();
        await browserLogin(identity, jar, 'alice@example.com', 'alice-password');
        const before = jar.header();
        const { data } = await identity.frontend.createBrowserLogoutFlow({ cookie: jar.header() });
        assert.ok(data.logout_url.startsWith(`${base}/self-service/logout?token=`));
        const path = new URL(data.logout_url);
        const out = await fetch(`${identity.publicUrl}${path.pathname}${path.search}`, {
          redirect: 'manual',
          headers: { cookie: jar.header() },
        });
        assert.equal(out.status, 303);
        assert.equal(out.headers.get('location'), 'http://127.0.0.1:4455/login');
        jar.from(out);
        assert.equal(jar.get('ory_kratos_session'), undefined, 'the cookie is cleared');
        assert.equal(await statusOf(identity.frontend.toSession({ cookie: before })), 401);
        const again = await fetch(`${identity.publicUrl}${path.pathname}${path.search}`, {
          redirect: 'manual',
        });
        assert.equal(again.status, 403);
        assert.equal(await statusOf(identity.frontend.updateLogoutFlow({ token: 'ory_lo_unknown' })), 403);
        assert.equal(await statusOf(identity.frontend.createBrowserLogoutFlow({ cookie: before })), 401);
      });

      it('a submission to an expired flow is 410 with use_flow_id (JSON) or a redirect to a new flow with 4010001 (browser)', async () => {
        const short = await startIdentity('memory', ['selfservice.flows.login.lifespan=1ms']);
        try {
          const jar = new CookieJar();
          const flow = await short.frontend.createBrowserLoginFlow();
          jar.take(flow.headers['set-cookie']);
          const url = `${short.publicUrl}/self-service/login?flow=${flow.data.id}`;
          const fields = {
            method: 'password',
            identifier: 'x@example.com',
            password: 'whatever-1',
            csrf_token: csrfTokenOf(flow.data),
          };
          const json = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', cookie: jar.header() },
            body: JSON.stringify(fields),
          });
          assert.equal(json.status, 410);
          const body = (await json.json()) as { error: { id: string }; use_flow_id: string };
          assert.equal(body.error.id, 'self_service_flow_expired');
          assert.notEqual(body.use_flow_id, flow.data.id);
          const form = await postForm(url, jar, fields);
          const next = flowIdOfRedirect(form, 'http://127.0.0.1:4455/login');
          const shown = await fetch(`${short.publicUrl}/self-service/login/flows?id=${next}`);
          // The new flow has the same 1 ms lifespan, so its lookup is 410 too; its message was stored with it.
          assert.equal(shown.status, 410);
        } finally {
          await short.servers.stop();
        }
      });
    },
  );
}

describe('dev mode', () => {
  it('cookies lose the Secure attribute, so plain http works', async () => {
    const identity = await startIdentity('memory', ['dev=true']);
    try {
      const flow = await identity.frontend.createBrowserLoginFlow();
      for (const cookie of flow.headers['set-cookie'] as string[]) assert.doesNotMatch(cookie, /Secure/i);
    } finally {
      await identity.servers.stop();
    }
  });
});
