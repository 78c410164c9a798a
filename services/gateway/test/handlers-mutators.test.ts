import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWK } from 'jose';
import { startHandlersGateway, type HandlersGateway } from './support/handlers-gateway';

describe('handlers: id_token and cookie mutators', () => {
  let fx: HandlersGateway;
  before(async () => {
    fx = await startHandlersGateway();
  });
  after(() => fx.stop());

  it('id_token: the upstream gets a JWT that verifies against /.well-known/jwks.json, with templated claims', async () => {
    assert.equal((await fx.get('/id-token/doc-7')).status, 200);
    const authorization = String(fx.upstreamSeen.at(-1)?.authorization ?? '');
    assert.match(authorization, /^Bearer /);
    const jwks = (await (await fetch(`${fx.apiUrl}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    assert.ok(
      jwks.keys.every((key) => key.d === undefined),
      'no private part is published',
    );
    const { payload, protectedHeader } = await jwtVerify(authorization.slice(7), createLocalJWKSet(jwks), {
      issuer: 'http://gateway.test/',
      audience: 'documents',
    });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.sub, 'anonymous');
    assert.equal(payload.doc, 'doc-7');
  });

  it('id_token: a token is reused for the same subject and claims until a tenth of its ttl is left, as in Oathkeeper', async () => {
    const tokenFor = async (path: string) => {
      assert.equal((await fx.get(path)).status, 200);
      return String(fx.upstreamSeen.at(-1)?.authorization ?? '');
    };
    const first = await tokenFor('/id-token/doc-7');
    assert.equal(await tokenFor('/id-token/doc-7'), first, 'the same subject and claims: the cached token');
    assert.notEqual(await tokenFor('/id-token/doc-8'), first, 'other claims: another token');
    // ttl 1s: the token is reused while more than 100 ms of it is left, then a new one is signed. Its exp
    // is in whole seconds (iat + ttl, iat rounded down), so a token minted late in a second has less than
    // 100 ms left at once and is rightly not reused: mint it in the first half of a second.
    while (Date.now() % 1000 >= 500) await new Promise((resolve) => setTimeout(resolve, 20));
    const short = await tokenFor('/id-token-short/x');
    assert.equal(await tokenFor('/id-token-short/x'), short);
    const deadline = Date.now() + 5_000;
    let renewed = short;
    while (renewed === short && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      renewed = await tokenFor('/id-token-short/x');
    }
    assert.notEqual(renewed, short, 'a token near its expiry is signed anew');
    const { exp } = decodeJwt(renewed.slice(7));
    assert.ok((exp ?? 0) * 1000 > Date.now(), 'the new token has not expired');
  });

  it("cookie: templated cookies replace the same names; the client's other cookies stay", async () => {
    assert.equal((await fx.get('/cookie/doc-3', { cookie: 'user=forged; theme=dark' })).status, 200);
    assert.equal(fx.upstreamSeen.at(-1)?.cookie, 'user=anonymous; doc=doc-3; theme=dark');
  });
});
