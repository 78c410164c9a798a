import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oauth2IntrospectionAuthenticator } from '../src/handlers/authenticators/oauth2-introspection';
import type { HandlerServices, PipelineRequest } from '../src/handlers/definition';

describe('oauth2_introspection cache', () => {
  it('keeps at most 10,000 tokens per rule: past that the oldest is introspected again, a newer one is not', async () => {
    const introspected: string[] = [];
    const services: HandlerServices = {
      call: ({ body }) => {
        const token = new URLSearchParams(String(body)).get('token') ?? '';
        introspected.push(token);
        return Promise.resolve({
          status: 200,
          headers: {},
          body: JSON.stringify({ active: true, sub: token }),
        });
      },
      timeoutMs: 1_000,
      matchingStrategy: 'regexp',
    };
    const authenticator = oauth2IntrospectionAuthenticator.compile(
      {
        introspection_url: 'http://introspection.test/',
        scope_strategy: 'none',
        required_scope: [],
        target_audience: [],
        trusted_issuers: [],
        pre_authorization: { enabled: false },
        introspection_request_headers: {},
        cache: { enabled: true, ttl: '1h' },
      },
      { id: 'r', groups: 0 },
      services,
    );
    const authenticate = (token: string) => {
      const request: PipelineRequest = {
        method: 'GET',
        url: new URL('http://gateway.test/x'),
        headers: { authorization: `Bearer ${token}` },
        remoteAddress: '127.0.0.1',
      };
      return authenticator.authenticate(request);
    };
    for (let n = 0; n <= 10_000; n += 1) await authenticate(`t${n}`);
    assert.equal(introspected.length, 10_001, 'every new token is introspected once');
    await authenticate('t10000');
    assert.equal(introspected.length, 10_001, 'the newest token comes from the cache');
    await authenticate('t0');
    assert.deepEqual(introspected.slice(10_001), ['t0'], 'the oldest token went when the cache was full');
  });
});
