import assert from 'node:assert/strict';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { after, before, describe, it } from 'node:test';

import { minimalRule } from './support/minimal-rule';
import { send, startRemoteHandlersGateway } from './support/remote-handlers-gateway';

describe('id_token mutator with an http(s) JWKS', () => {
  let fixture: Awaited<ReturnType<typeof startRemoteHandlersGateway>>;
  before(async () => {
    fixture = await startRemoteHandlersGateway();
  });
  after(() => fixture.stop());

  it('id_token (http JWKS): fetched once, signs tokens that verify against /.well-known/jwks.json', async () => {
    const before = fixture.keys.seen.length;
    for (const path of ['/id-token-http/a', '/id-token-http/b'])
      assert.equal((await send(fixture.port, { method: 'GET', path })).status, 200);
    assert.equal(fixture.keys.seen.length - before, 1, 'the key set is cached');
    const authorization = String(fixture.upstream.seen.at(-1)?.headers.authorization ?? '');
    const published = JSON.parse(
      (await send(fixture.apiPort, { method: 'GET', path: '/.well-known/jwks.json' })).body,
    ) as {
      keys: JWK[];
    };
    assert.ok(
      published.keys.every((key) => key.d === undefined),
      'no private part is published',
    );
    const { protectedHeader, payload } = await jwtVerify(
      authorization.slice(7),
      createLocalJWKSet(published),
      {
        issuer: 'http://gateway.test/',
      },
    );
    assert.equal(protectedHeader.kid, 'remote-1');
    assert.equal(payload.sub, 'anonymous');
    assert.equal((await send(fixture.port, { method: 'GET', path: '/id-token-down/x' })).status, 503);
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    [
      'id_token with an s3:// key set',
      { mutators: [{ handler: 'id_token', config: { jwks_url: 's3://bucket/keys.json', issuer_url: 'x' } }] },
      /mutator "id_token": jwks_url "s3:\/\/bucket\/keys.json" is not a file:\/\/ or http\(s\):\/\/ URL/,
    ],
  ];
  for (const [what, overrides, message] of refused) {
    it(`refuses ${what} when the rules load`, () => {
      assert.throws(() => fixture.loadRules(fixture.configFor([minimalRule(overrides)])), message);
    });
  }
});
