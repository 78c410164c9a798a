import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';
import type { GatewayConfig } from '../src/config';
import type { GatewayServers } from '../src/serve';
import { minimalRule } from './support/minimal-rule';

const dir = mkdtempSync(join(tmpdir(), 'gateway-handlers-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

async function listenOn(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const readBody = (request: import('node:http').IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

describe('handlers: jwt, oauth2_introspection, id_token, errors with when, config checked at load', () => {
  let gateway: GatewayServers;
  let gatewayUrl: string;
  let apiUrl: string;
  let loadRules: typeof import('../src/rules/repository').loadRules;
  let configFor: (rules: unknown[], flags?: string[]) => GatewayConfig;
  const servers: Server[] = [];
  const upstreamSeen: IncomingHttpHeaders[] = [];
  let introspections = 0;
  let tokenGrants = 0;
  let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let otherKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let jwksUrl: string;

  const jwt = (claims: Record<string, unknown>, key = signingKey, expires = '5m') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'test-1' })
      .setIssuedAt()
      .setExpirationTime(expires)
      .sign(key);

  before(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    signingKey = pair.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'test-1', alg: 'ES256' };
    const jwksFile = file('jwks.json', { keys: [publicJwk] });
    const jwksServer = await listenOn((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [publicJwk] }));
    });
    jwksUrl = `${jwksServer.url}/.well-known/jwks.json`;
    const signer = await generateKeyPair('ES256', { extractable: true });
    const idTokenKeys = file('id-token.json', {
      keys: [{ ...(await exportJWK(signer.privateKey)), kid: 'gateway-1', alg: 'ES256' }],
    });
    const introspection = await listenOn(async (request, response) => {
      const form = new URLSearchParams(await readBody(request));
      if (request.url === '/oauth2/token') {
        tokenGrants += 1;
        const basic = Buffer.from('machine:s3cret').toString('base64');
        const ok =
          request.headers.authorization === `Basic ${basic}` &&
          form.get('grant_type') === 'client_credentials';
        response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify(
            ok ? { access_token: 'gateway-access', expires_in: 3600, token_type: 'bearer' } : {},
          ),
        );
        return;
      }
      introspections += 1;
      if (
        request.url === '/protected-introspect' &&
        request.headers.authorization !== 'Bearer gateway-access'
      ) {
        response.writeHead(401).end();
        return;
      }
      const token = form.get('token') ?? '';
      const known: Record<string, object> = {
        'at-good': {
          active: true,
          sub: 'machine-1',
          scope: 'documents offline',
          aud: ['documents'],
          iss: 'http://oauth2.test/',
          exp: Math.floor(Date.now() / 1000) + 600,
        },
        'at-noscope': {
          active: true,
          sub: 'machine-1',
          scope: 'offline',
          aud: ['documents'],
          iss: 'http://oauth2.test/',
        },
        'at-otheraud': {
          active: true,
          sub: 'machine-1',
          scope: 'documents.read',
          aud: ['else'],
          iss: 'http://oauth2.test/',
        },
        'at-otheriss': {
          active: true,
          sub: 'machine-1',
          scope: 'documents.read',
          aud: ['documents'],
          iss: 'http://evil.test/',
        },
      };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(known[token] ?? { active: false }));
    });
    const upstream = await listenOn((request, response) => {
      upstreamSeen.push(request.headers);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: true }));
    });
    servers.push(jwksServer.server, introspection.server, upstream.server);

    const base = (id: string, path: string) => ({
      id,
      match: { url: `http://<[^/]+>/${path}/<.*>`, methods: ['GET'] },
      authorizer: { handler: 'allow' },
      mutators: [{ handler: 'header', config: { headers: { 'X-User': '{{ print .Subject }}' } } }],
      upstream: { url: upstream.url },
    });
    const introspectionConfig = {
      introspection_url: `${introspection.url}/introspect`,
      scope_strategy: 'hierarchic',
      required_scope: ['documents.read'],
      target_audience: ['documents'],
      trusted_issuers: ['http://oauth2.test/'],
    };
    const rules = [
      {
        ...base('jwt-file', 'jwt-file'),
        authenticators: [
          {
            handler: 'jwt',
            config: {
              jwks_urls: [`file://${jwksFile}`],
              allowed_algorithms: ['ES256'],
              trusted_issuers: ['http://issuer.test/'],
              target_audience: ['documents'],
              required_scope: ['documents.read'],
              scope_strategy: 'exact',
            },
          },
        ],
      },
      {
        ...base('jwt-http', 'jwt-http'),
        authenticators: [
          {
            handler: 'jwt',
            config: {
              jwks_urls: [jwksUrl],
              allowed_algorithms: ['ES256'],
              token_from: { query_parameter: 'token' },
            },
          },
        ],
      },
      {
        ...base('introspect', 'introspect'),
        authenticators: [{ handler: 'oauth2_introspection', config: introspectionConfig }],
      },
      {
        ...base('introspect-cached', 'introspect-cached'),
        authenticators: [
          {
            handler: 'oauth2_introspection',
            config: { ...introspectionConfig, cache: { enabled: true, ttl: '1m' } },
          },
        ],
      },
      {
        ...base('introspect-preauth', 'introspect-preauth'),
        authenticators: [
          {
            handler: 'oauth2_introspection',
            config: {
              introspection_url: `${introspection.url}/protected-introspect`,
              pre_authorization: {
                enabled: true,
                client_id: 'machine',
                client_secret: 's3cret',
                token_url: `${introspection.url}/oauth2/token`,
              },
            },
          },
        ],
      },
      {
        ...base('id-token', 'id-token'),
        authenticators: [{ handler: 'anonymous' }],
        mutators: [
          {
            handler: 'id_token',
            config: {
              jwks_url: `file://${idTokenKeys}`,
              issuer_url: 'http://gateway.test/',
              ttl: '1m',
              claims: '{"aud":["documents"],"doc":"{{ printIndex .MatchContext.RegexpCaptureGroups 1 }}"}',
            },
          },
        ],
      },
      {
        ...base('id-token-short', 'id-token-short'),
        authenticators: [{ handler: 'anonymous' }],
        mutators: [
          {
            handler: 'id_token',
            config: { jwks_url: `file://${idTokenKeys}`, issuer_url: 'http://gateway.test/', ttl: '1s' },
          },
        ],
      },
      {
        ...base('client-credentials', 'client-credentials'),
        authenticators: [
          {
            handler: 'oauth2_client_credentials',
            config: { token_url: `${introspection.url}/oauth2/token`, cache: { enabled: true, ttl: '1m' } },
          },
        ],
      },
      {
        ...base('cookie', 'cookie'),
        authenticators: [{ handler: 'anonymous' }],
        mutators: [
          {
            handler: 'cookie',
            config: {
              cookies: {
                user: '{{ print .Subject }}',
                doc: '{{ printIndex .MatchContext.RegexpCaptureGroups 1 }}',
              },
            },
          },
        ],
      },
      {
        ...base('browser', 'browser'),
        authenticators: [{ handler: 'unauthorized' }],
        errors: [
          {
            handler: 'redirect',
            config: {
              to: 'http://app.test/login',
              return_to_query_param: 'return_to',
              when: [{ error: ['unauthorized'], request: { header: { accept: ['text/html'] } } }],
            },
          },
          {
            handler: 'json',
            config: {
              when: [{ error: ['unauthorized'], request: { header: { accept: ['application/json'] } } }],
            },
          },
        ],
      },
      {
        ...base('basic', 'basic'),
        authenticators: [{ handler: 'unauthorized' }],
        errors: [{ handler: 'www_authenticate', config: { realm: 'documents' } }],
      },
    ];
    const [{ testGatewayConfig }, { serve }, { portOf }, { createLogger }, repository] = await Promise.all([
      import('./support/gateway-config'),
      import('../src/serve'),
      import('@mesh/server'),
      import('@mesh/tracing'),
      import('../src/rules/repository'),
    ]);
    loadRules = repository.loadRules;
    let count = 0;
    configFor = (list, flags = []) => {
      count += 1;
      return testGatewayConfig(file(`rules-${count}.json`, list), flags);
    };
    gateway = await serve(configFor(rules), { log: createLogger('gateway', 'silent') });
    gatewayUrl = `http://127.0.0.1:${portOf(gateway.proxyServer)}`;
    apiUrl = `http://127.0.0.1:${portOf(gateway.apiServer)}`;
  });

  after(async () => {
    await gateway.stop();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${gatewayUrl}${path}`, { headers, redirect: 'manual', signal: AbortSignal.timeout(5_000) });

  it('jwt (file:// JWKS): a valid token passes with sub as the subject; every broken one is 401', async () => {
    const good = { iss: 'http://issuer.test/', aud: 'documents', sub: 'alice', scp: ['documents.read'] };
    const ok = await get('/jwt-file/x', { authorization: `Bearer ${await jwt(good)}` });
    assert.equal(ok.status, 200);
    assert.equal(upstreamSeen.at(-1)?.['x-user'], 'alice');
    const table: [string, string][] = [
      ['another issuer', await jwt({ ...good, iss: 'http://evil.test/' })],
      ['another audience', await jwt({ ...good, aud: 'else' })],
      ['a missing scope', await jwt({ ...good, scp: ['documents.write'] })],
      ['expired', await jwt(good, signingKey, '-1m')],
      ['signed by another key', await jwt(good, otherKey)],
      ['not a JWT', 'abc.def.ghi'],
    ];
    for (const [what, token] of table) {
      const response = await get('/jwt-file/x', { authorization: `Bearer ${token}` });
      assert.equal(response.status, 401, what);
    }
    assert.equal((await get('/jwt-file/x')).status, 401, 'no token: not responsible, then 401');
  });

  it('jwt (http JWKS, token_from query_parameter): verified against the fetched key set', async () => {
    const token = await jwt({ sub: 'bob' });
    assert.equal((await get(`/jwt-http/x?token=${token}`)).status, 200);
    assert.equal(upstreamSeen.at(-1)?.['x-user'], 'bob');
    assert.equal(
      (await get('/jwt-http/x', { authorization: `Bearer ${token}` })).status,
      401,
      'the header is not where token_from says',
    );
  });

  it('oauth2_introspection: active token with scope, audience and issuer passes; every other is 401', async () => {
    assert.equal((await get('/introspect/x', { authorization: 'Bearer at-good' })).status, 200);
    assert.equal(upstreamSeen.at(-1)?.['x-user'], 'machine-1');
    for (const token of ['at-noscope', 'at-otheraud', 'at-otheriss', 'unknown'])
      assert.equal((await get('/introspect/x', { authorization: `Bearer ${token}` })).status, 401, token);
  });

  it('oauth2_introspection cache: a second request within the ttl is not introspected again', async () => {
    const before = introspections;
    assert.equal((await get('/introspect-cached/x', { authorization: 'Bearer at-good' })).status, 200);
    assert.equal((await get('/introspect-cached/x', { authorization: 'Bearer at-good' })).status, 200);
    assert.equal(introspections - before, 1);
  });

  it('oauth2_introspection pre_authorization: the gateway gets its own token by client credentials, once', async () => {
    const before = tokenGrants;
    assert.equal((await get('/introspect-preauth/x', { authorization: 'Bearer at-good' })).status, 200);
    assert.equal((await get('/introspect-preauth/x', { authorization: 'Bearer at-good' })).status, 200);
    assert.equal(tokenGrants - before, 1);
  });

  it('id_token: the upstream gets a JWT that verifies against /.well-known/jwks.json, with templated claims', async () => {
    assert.equal((await get('/id-token/doc-7')).status, 200);
    const authorization = String(upstreamSeen.at(-1)?.authorization ?? '');
    assert.match(authorization, /^Bearer /);
    const jwks = (await (await fetch(`${apiUrl}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
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
      assert.equal((await get(path)).status, 200);
      return String(upstreamSeen.at(-1)?.authorization ?? '');
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

  it('oauth2_client_credentials: Basic client credentials checked by a grant (cached); wrong ones are 401', async () => {
    const basic = (secret: string) => `Basic ${Buffer.from(`machine:${secret}`).toString('base64')}`;
    const before = tokenGrants;
    assert.equal((await get('/client-credentials/x', { authorization: basic('s3cret') })).status, 200);
    assert.equal(upstreamSeen.at(-1)?.['x-user'], 'machine');
    assert.equal((await get('/client-credentials/x', { authorization: basic('s3cret') })).status, 200);
    assert.equal(tokenGrants - before, 1, 'the second request was served from the cache');
    assert.equal((await get('/client-credentials/x', { authorization: basic('wrong') })).status, 401);
    assert.equal((await get('/client-credentials/x')).status, 401, 'no Basic credentials: not responsible');
  });

  it("cookie: templated cookies replace the same names; the client's other cookies stay", async () => {
    assert.equal((await get('/cookie/doc-3', { cookie: 'user=forged; theme=dark' })).status, 200);
    assert.equal(upstreamSeen.at(-1)?.cookie, 'user=anonymous; doc=doc-3; theme=dark');
  });

  it('errors: redirect for a browser (Accept text/html) with return_to, JSON for an API client', async () => {
    const browser = await get('/browser/page?x=1', { accept: 'text/html,application/xhtml+xml' });
    assert.equal(browser.status, 302);
    const location = new URL(String(browser.headers.get('location')));
    assert.equal(`${location.origin}${location.pathname}`, 'http://app.test/login');
    assert.equal(location.searchParams.get('return_to'), `${gatewayUrl}/browser/page?x=1`);
    const api = await get('/browser/page', { accept: 'application/json' });
    assert.equal(api.status, 401);
    assert.equal(((await api.json()) as { error: { code: number } }).error.code, 401);
    const neither = await get('/browser/page', { accept: 'image/png' });
    assert.equal(neither.status, 401, 'errors.fallback (json) when no when matches');
  });

  it('errors: www_authenticate answers 401 with a Basic challenge', async () => {
    const response = await get('/basic/x');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Basic realm="documents"');
  });

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
      assert.throws(() => loadRules(configFor([minimalRule(overrides)])), message);
    });
  }

  it('a disabled handler is refused; the global config is merged under the rule config', () => {
    const rule = {
      id: 'r',
      match: { url: 'http://<[^/]+>/r', methods: ['GET'] },
      authenticators: [{ handler: 'jwt' }],
      authorizer: { handler: 'allow' },
      mutators: [{ handler: 'noop' }],
      upstream: { url: 'http://127.0.0.1:1' },
    };
    assert.throws(() => loadRules(configFor([rule], ['authenticators.jwt.enabled=false'])), /disabled/);
    assert.throws(() => loadRules(configFor([rule])), /jwks_urls is required/);
    assert.equal(
      loadRules(configFor([rule], ['authenticators.jwt.config.jwks_urls=["file:///k.json"]'])).length,
      1,
    );
  });
});
