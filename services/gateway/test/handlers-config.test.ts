import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHandlersGateway, type HandlersGateway } from './support/handlers-gateway';
import { minimalRule } from './support/minimal-rule';

describe('handlers: config checked when the rules load', () => {
  let fx: HandlersGateway;
  before(async () => {
    fx = await startHandlersGateway();
  });
  after(() => fx.stop());

  const refused: [string, Record<string, unknown>, RegExp][] = [
    [
      'an unknown key in a handler config',
      { authenticators: [{ handler: 'jwt', config: { jwks_urls: ['file:///x'], jwks_url: 'typo' } }] },
      /rules-\d+\.json: rule r: authenticator "jwt": .*unknown property "jwks_url"/,
    ],
    [
      'a missing required key',
      { authenticators: [{ handler: 'oauth2_introspection', config: {} }] },
      /rule r: authenticator "oauth2_introspection": .*introspection_url is required/,
    ],
    [
      'an unknown error handler',
      { errors: [{ handler: 'teapot' }] },
      /rule r: unknown error handler "teapot"/,
    ],
    [
      'a redirect without to',
      { errors: [{ handler: 'redirect', config: {} }] },
      /rule r: error handler "redirect": .*to is required/,
    ],
    [
      'an id_token key set that does not exist',
      { mutators: [{ handler: 'id_token', config: { jwks_url: 'file:///nope.json', issuer_url: 'x' } }] },
      /rule r: mutator "id_token": .*nope\.json/,
    ],
    [
      'a bad check_session_url',
      { authenticators: [{ handler: 'cookie_session', config: { check_session_url: 'not a url' } }] },
      /rule r: authenticator "cookie_session": check_session_url/,
    ],
  ];
  for (const [what, overrides, message] of refused) {
    it(`refuses ${what} when the rules load, naming the file, the rule and the key`, () => {
      assert.throws(() => fx.loadRules(fx.configFor([minimalRule(overrides)])), message);
    });
  }

  it('a disabled handler is refused; the global config is merged under the rule config', () => {
    const rule = minimalRule({ authenticators: [{ handler: 'jwt' }] });
    assert.throws(() => fx.loadRules(fx.configFor([rule], ['authenticators.jwt.enabled=false'])), /disabled/);
    assert.throws(() => fx.loadRules(fx.configFor([rule])), /jwks_urls is required/);
    assert.equal(
      fx.loadRules(fx.configFor([rule], ['authenticators.jwt.config.jwks_urls=["file:///k.json"]'])).length,
      1,
    );
  });
});
