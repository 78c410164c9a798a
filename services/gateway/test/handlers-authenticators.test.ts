import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHandlersGateway, type HandlersGateway } from './support/handlers-gateway';

describe('handlers: jwt, oauth2_introspection and oauth2_client_credentials authenticators', () => {
  let fx: HandlersGateway;
  before(async () => {
    fx = await startHandlersGateway();
  });
  after(() => fx.stop());

  it('jwt (file:// JWKS): a valid token passes with sub as the subject; every broken one is 401', async () => {
    const good = { iss: 'http://issuer.test/', aud: 'documents', sub: 'alice', scp: ['documents.read'] };
    const ok = await fx.get('/jwt-file/x', { authorization: `Bearer ${await fx.jwt(good)}` });
    assert.equal(ok.status, 200);
    assert.equal(fx.upstreamSeen.at(-1)?.['x-user'], 'alice');
    const table: [string, string][] = [
      ['another issuer', await fx.jwt({ ...good, iss: 'http://evil.test/' })],
      ['another audience', await fx.jwt({ ...good, aud: 'else' })],
      ['a missing scope', await fx.jwt({ ...good, scp: ['documents.write'] })],
      ['expired', await fx.jwt(good, fx.signingKey, '-1m')],
      ['signed by another key', await fx.jwt(good, fx.otherKey)],
      ['not a JWT', 'abc.def.ghi'],
    ];
    for (const [what, token] of table) {
      const response = await fx.get('/jwt-file/x', { authorization: `Bearer ${token}` });
      assert.equal(response.status, 401, what);
    }
    assert.equal((await fx.get('/jwt-file/x')).status, 401, 'no token: not responsible, then 401');
  });

  it('jwt (http JWKS, token_from query_parameter): verified against the fetched key set', async () => {
    const token = await fx.jwt({ sub: 'bob' });
    assert.equal((await fx.get(`/jwt-http/x?token=${token}`)).status, 200);
    assert.equal(fx.upstreamSeen.at(-1)?.['x-user'], 'bob');
    assert.equal(
      (await fx.get('/jwt-http/x', { authorization: `Bearer ${token}` })).status,
      401,
      'the header is not where token_from says',
    );
  });

  it('oauth2_introspection: active token with scope, audience and issuer passes; every other is 401', async () => {
    assert.equal((await fx.get('/introspect/x', { authorization: 'Bearer at-good' })).status, 200);
    assert.equal(fx.upstreamSeen.at(-1)?.['x-user'], 'machine-1');
    for (const token of ['at-noscope', 'at-otheraud', 'at-otheriss', 'unknown'])
      assert.equal((await fx.get('/introspect/x', { authorization: `Bearer ${token}` })).status, 401, token);
  });

  it('oauth2_introspection cache: a second request within the ttl is not introspected again', async () => {
    const before = fx.counts.introspections;
    assert.equal((await fx.get('/introspect-cached/x', { authorization: 'Bearer at-good' })).status, 200);
    assert.equal((await fx.get('/introspect-cached/x', { authorization: 'Bearer at-good' })).status, 200);
    assert.equal(fx.counts.introspections - before, 1);
  });

  it('oauth2_introspection pre_authorization: the gateway gets its own token by client credentials, once', async () => {
    const before = fx.counts.tokenGrants;
    assert.equal((await fx.get('/introspect-preauth/x', { authorization: 'Bearer at-good' })).status, 200);
    assert.equal((await fx.get('/introspect-preauth/x', { authorization: 'Bearer at-good' })).status, 200);
    assert.equal(fx.counts.tokenGrants - before, 1);
  });

  it('oauth2_client_credentials: Basic client credentials checked by a grant (cached); wrong ones are 401', async () => {
    const basic = (secret: string) => `Basic ${Buffer.from(`machine:${secret}`).toString('base64')}`;
    const before = fx.counts.tokenGrants;
    assert.equal((await fx.get('/client-credentials/x', { authorization: basic('s3cret') })).status, 200);
    assert.equal(fx.upstreamSeen.at(-1)?.['x-user'], 'machine');
    assert.equal((await fx.get('/client-credentials/x', { authorization: basic('s3cret') })).status, 200);
    assert.equal(fx.counts.tokenGrants - before, 1, 'the second request was served from the cache');
    assert.equal((await fx.get('/client-credentials/x', { authorization: basic('wrong') })).status, 401);
    assert.equal(
      (await fx.get('/client-credentials/x')).status,
      401,
      'no Basic credentials: not responsible',
    );
  });
});
