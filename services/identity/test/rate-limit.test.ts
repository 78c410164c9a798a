import { tracing, createPerson, startIdentity, type Running } from './support';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';

async function submitLogin(
  identity: Running,
  identifier: string,
  password: string,
  headers: Record<string, string> = {},
) {
  const flow = await identity.frontend.createNativeLoginFlow();
  return fetch(`${identity.publicUrl}/self-service/login?flow=${flow.data.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ method: 'password', identifier, password }),
  });
}

describe('rate limits of the credential endpoints', () => {
  describe('per identifier', () => {
    let identity: Running;
    before(async () => {
      identity = await startIdentity('memory', [
        'rate_limit.per_identifier.max_failures=3',
        'rate_limit.per_identifier.window=1m',
      ]);
      await createPerson(identity, 'rita@example.com', 'rita-password-1');
    });
    after(() => identity.servers.stop());

    it('after 3 failures the identifier gets 429 (even with the right password), other identifiers do not; unknown identifiers count too', async () => {
      for (let i = 0; i < 3; i++)
        assert.equal((await submitLogin(identity, 'rita@example.com', `wrong-${i}-password`)).status, 400);
      const limited = await submitLogin(identity, 'RITA@example.com', 'rita-password-1');
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After');
      const body = (await limited.json()) as { error: { code: number; id: string; reason: string } };
      assert.equal(body.error.code, 429);
      assert.equal(body.error.id, 'rate_limit_exceeded');
      for (let i = 0; i < 3; i++) await submitLogin(identity, 'ghost@example.com', 'whatever-password');
      assert.equal((await submitLogin(identity, 'ghost@example.com', 'whatever-password')).status, 429);
      await createPerson(identity, 'other@example.com', 'other-password-1');
      assert.equal((await submitLogin(identity, 'other@example.com', 'other-password-1')).status, 200);
    });

    it('the trace of a rate-limited login shows the 429 on the server span, and no password comparison', async () => {
      await tracing.reset();
      assert.equal((await submitLogin(identity, 'rita@example.com', 'rita-password-1')).status, 429);
      const spans = await tracing.spans();
      const server = spans.find(
        (span) => span.kind === SpanKind.SERVER && span.name === 'POST /self-service/login',
      );
      assert.ok(server);
      assert.equal(server.attributes['http.response.status_code'], 429);
      assert.ok(!spans.some((span) => span.name === 'hash.Compare'));
    });
  });

  describe('per client address, X-Forwarded-For only from a trusted proxy', () => {
    it('counts the socket address when the proxy is not trusted, and the forwarded client when it is', async () => {
      const untrusting = await startIdentity('memory', [
        'rate_limit.per_address.max_attempts=3',
        'rate_limit.trusted_proxies=10.9.9.9',
      ]);
      try {
        for (let i = 0; i < 3; i++) {
          const response = await submitLogin(untrusting, `u${i}@example.com`, 'some-password', {
            'x-forwarded-for': `203.0.113.${i}`,
          });
          assert.equal(response.status, 400);
        }
        const spoofed = await submitLogin(untrusting, 'u9@example.com', 'some-password', {
          'x-forwarded-for': '203.0.113.99',
        });
        assert.equal(spoofed.status, 429, 'a forged X-Forwarded-For does not escape the limit');
      } finally {
        await untrusting.servers.stop();
      }
      const trusting = await startIdentity('memory', [
        'rate_limit.per_address.max_attempts=3',
        'rate_limit.trusted_proxies=127.0.0.1,::1',
      ]);
      try {
        for (let i = 0; i < 3; i++) {
          await submitLogin(trusting, `t${i}@example.com`, 'some-password', {
            'x-forwarded-for': '198.51.100.1',
          });
        }
        assert.equal(
          (
            await submitLogin(trusting, 't9@example.com', 'some-password', {
              'x-forwarded-for': '198.51.100.1',
            })
          ).status,
          429,
        );
        assert.equal(
          (
            await submitLogin(trusting, 't9@example.com', 'some-password', {
              'x-forwarded-for': '198.51.100.2',
            })
          ).status,
          400,
          'another client behind the proxy has its own count',
        );
        // The client's own X-Forwarded-For entries left of the proxy's are not believed past the first untrusted one.
        assert.equal(
          (
            await submitLogin(trusting, 't9@example.com', 'some-password', {
              'x-forwarded-for': '192.0.2.77, 198.51.100.1',
            })
          ).status,
          429,
        );
      } finally {
        await trusting.servers.stop();
      }
    });

    it('registration submissions count against the address too', async () => {
      const identity = await startIdentity('memory', ['rate_limit.per_address.max_attempts=2']);
      try {
        const statuses = [];
        for (let i = 0; i < 3; i++) {
          const flow = await identity.frontend.createNativeRegistrationFlow();
          const response = await fetch(
            `${identity.publicUrl}/self-service/registration?flow=${flow.data.id}`,
            {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                method: 'password',
                password: 'reg-password-1',
                traits: { email: `r${i}@example.com` },
              }),
            },
          );
          statuses.push(response.status);
        }
        assert.deepEqual(statuses, [200, 200, 429]);
      } finally {
        await identity.servers.stop();
      }
    });
  });
});
