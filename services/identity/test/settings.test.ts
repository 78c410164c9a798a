import {
  browserLogin,
  CookieJar,
  createPerson,
  csrfTokenOf,
  login,
  nodeMessages,
  startIdentity,
  variants,
  type Running,
} from './support';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sdkStatusOf as statusOf } from '@mesh/testkit';

for (const variant of variants) {
  describe(
    `settings flow on ${variant.name}`,
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

      it('browser: a password change needs the CSRF token, and afterwards only the new password logs in', async () => {
        await createPerson(identity, 'sam@example.com', 'sam-old-password');
        const jar = new CookieJar();
        await browserLogin(identity, jar, 'sam@example.com', 'sam-old-password');
        const flow = await identity.frontend.createBrowserSettingsFlow({ cookie: jar.header() });
        jar.take(flow.headers['set-cookie']);
        assert.equal(flow.data.identity.traits.email, 'sam@example.com');
        const emailNode = flow.data.ui.nodes.find(
          (n) => 'name' in n.attributes && n.attributes.name === 'traits.email',
        );
        assert.equal(
          emailNode && 'value' in emailNode.attributes && emailNode.attributes.value,
          'sam@example.com',
        );
        assert.equal(
          await statusOf(
            identity.frontend.updateSettingsFlow({
              flow: flow.data.id,
              cookie: jar.header(),
              updateSettingsFlowBody: { method: 'password', password: 'sam-new-password' },
            }),
          ),
          403,
          'no csrf_token',
        );
        const changed = await identity.frontend.updateSettingsFlow({
          flow: flow.data.id,
          cookie: jar.header(),
          updateSettingsFlowBody: {
            method: 'password',
            password: 'sam-new-password',
            csrf_token: csrfTokenOf(flow.data),
          },
        });
        assert.equal(changed.data.state, 'success');
        assert.deepEqual(
          changed.data.ui.messages?.map((m) => m.id),
          [1050001],
        );
        assert.equal(await statusOf(login(identity, 'sam@example.com', 'sam-old-password')), 400);
        assert.equal((await login(identity, 'sam@example.com', 'sam-new-password')).status, 200);
      });

      it('native: traits are validated against the schema; a valid change is stored; a long password is refused with 4000033', async () => {
        await createPerson(identity, 'tia@example.com', 'tia-password-1');
        const token = String((await login(identity, 'tia@example.com', 'tia-password-1')).data.session_token);
        const flow = await identity.frontend.createNativeSettingsFlow({ xSessionToken: token });
        const update = (body: object) =>
          fetch(`${identity.publicUrl}/self-service/settings?flow=${flow.data.id}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-session-token': token },
            body: JSON.stringify(body),
          });
        const invalid = await update({ method: 'profile', traits: { email: 'not-an-email' } });
        assert.equal(invalid.status, 400);
        assert.deepEqual(
          nodeMessages((await invalid.json()) as { ui: { nodes: unknown[] } }, 'traits.email'),
          [4000040],
        );
        const tooLong = await update({ method: 'password', password: 'é'.repeat(37) });
        assert.equal(tooLong.status, 400);
        assert.deepEqual(
          nodeMessages((await tooLong.json()) as { ui: { nodes: unknown[] } }, 'password'),
          [4000033],
        );
        const valid = await update({
          method: 'profile',
          traits: { email: 'tia@example.com', name: { first: 'Tia', last: 'Ng' } },
        });
        assert.equal(valid.status, 200);
        const stored = await identity.admin.getIdentity({ id: flow.data.identity.id });
        assert.deepEqual(stored.data.traits, {
          email: 'tia@example.com',
          name: { first: 'Tia', last: 'Ng' },
        });
        assert.equal(
          await statusOf(identity.frontend.createNativeSettingsFlow({ xSessionToken: 'ory_st_nope' })),
          401,
        );
        const other = await createPerson(identity, 'uma@example.com', 'uma-password-1');
        const otherToken = String(
          (await login(identity, 'uma@example.com', 'uma-password-1')).data.session_token,
        );
        const stolen = await fetch(`${identity.publicUrl}/self-service/settings?flow=${flow.data.id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-session-token': otherToken },
          body: JSON.stringify({ method: 'password', password: 'hijacked-password' }),
        });
        assert.equal(stolen.status, 403, 'another identity cannot use the flow');
        assert.ok(other.data.id);
      });
    },
  );
}

describe('settings: privileged_session_max_age', () => {
  it('a session older than the limit gets 403 session_refresh_required for a password change', async () => {
    const identity = await startIdentity('memory', [
      'selfservice.flows.settings.privileged_session_max_age=1ms',
    ]);
    try {
      await createPerson(identity, 'vic@example.com', 'vic-password-1');
      const token = String((await login(identity, 'vic@example.com', 'vic-password-1')).data.session_token);
      const flow = await identity.frontend.createNativeSettingsFlow({ xSessionToken: token });
      const response = await fetch(`${identity.publicUrl}/self-service/settings?flow=${flow.data.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-session-token': token },
        body: JSON.stringify({ method: 'password', password: 'vic-password-2' }),
      });
      assert.equal(response.status, 403);
      const body = (await response.json()) as { error: { id: string }; redirect_browser_to: string };
      assert.equal(body.error.id, 'session_refresh_required');
      assert.match(body.redirect_browser_to, /\/self-service\/login\/browser\?refresh=true$/);
      assert.equal(
        (await login(identity, 'vic@example.com', 'vic-password-1')).status,
        200,
        'the password is unchanged',
      );
    } finally {
      await identity.servers.stop();
    }
  });
});
