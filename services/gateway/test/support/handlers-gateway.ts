import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import type { GatewayConfig } from '../../src/config';
import type { GatewayServers } from '../../src/serve';

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

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** The gateway of the handler tests, with its JWKS, introspection and token endpoints and its upstream. */
export interface HandlersGateway {
  gatewayUrl: string;
  apiUrl: string;
  loadRules: typeof import('../../src/rules/repository').loadRules;
  /** A gateway config over these rules (written to a file) and `--set` flags. */
  configFor: (rules: unknown[], flags?: string[]) => GatewayConfig;
  /** The headers of every request the upstream got, in order. */
  upstreamSeen: IncomingHttpHeaders[];
  /** Calls to the introspection endpoint and to the token endpoint so far. */
  counts: { introspections: number; tokenGrants: number };
  signingKey: PrivateKey;
  otherKey: PrivateKey;
  /** A JWT signed with the JWKS's key (or `key`), expiring in `expires`. */
  jwt: (claims: Record<string, unknown>, key?: PrivateKey, expires?: string) => Promise<string>;
  /** GET through the gateway, redirects not followed. */
  get: (path: string, headers?: Record<string, string>) => Promise<Response>;
  stop: () => Promise<void>;
}

/**
 * Starts the gateway with one rule per handler case (jwt, oauth2_introspection, oauth2_client_credentials,
 * id_token, cookie, the error handlers) and the local servers those rules call.
 */
export async function startHandlersGateway(): Promise<HandlersGateway> {
  const servers: Server[] = [];
  const upstreamSeen: IncomingHttpHeaders[] = [];
  const counts = { introspections: 0, tokenGrants: 0 };
  const pair = await generateKeyPair('ES256', { extractable: true });
  const signingKey = pair.privateKey;
  const otherKey = (await generateKeyPair('ES256')).privateKey;
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'test-1', alg: 'ES256' };
  const jwksFile = file('jwks.json', { keys: [publicJwk] });
  const jwksServer = await listenOn((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [publicJwk] }));
  });
  const jwksUrl = `${jwksServer.url}/.well-known/jwks.json`;
  const signer = await generateKeyPair('ES256', { extractable: true });
  const idTokenKeys = file('id-token.json', {
    keys: [{ ...(await exportJWK(signer.privateKey)), kid: 'gateway-1', alg: 'ES256' }],
  });
  const introspection = await listenOn(async (request, response) => {
    const form = new URLSearchParams(await readBody(request));
    if (request.url === '/oauth2/token') {
      counts.tokenGrants += 1;
      const basic = Buffer.from('machine:s3cret').toString('base64');
      const ok =
        request.headers.authorization === `Basic ${basic}` && form.get('grant_type') === 'client_credentials';
      response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify(ok ? { access_token: 'gateway-access', expires_in: 3600, token_type: 'bearer' } : {}),
      );
      return;
    }
    counts.introspections += 1;
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
    import('./gateway-config'),
    import('../../src/serve'),
    import('@mesh/server'),
    import('@mesh/tracing'),
    import('../../src/rules/repository'),
  ]);
  let count = 0;
  const configFor = (list: unknown[], flags: string[] = []): GatewayConfig => {
    count += 1;
    return testGatewayConfig(file(`rules-${count}.json`, list), flags);
  };
  const gateway: GatewayServers = await serve(configFor(rules), { log: createLogger('gateway', 'silent') });
  const gatewayUrl = `http://127.0.0.1:${portOf(gateway.proxyServer)}`;
  const apiUrl = `http://127.0.0.1:${portOf(gateway.apiServer)}`;
  const jwt = (claims: Record<string, unknown>, key = signingKey, expires = '5m') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'test-1' })
      .setIssuedAt()
      .setExpirationTime(expires)
      .sign(key);
  return {
    gatewayUrl,
    apiUrl,
    loadRules: repository.loadRules,
    configFor,
    upstreamSeen,
    counts,
    signingKey,
    otherKey,
    jwt,
    get: (path, headers = {}) =>
      fetch(`${gatewayUrl}${path}`, { headers, redirect: 'manual', signal: AbortSignal.timeout(5_000) }),
    stop: async () => {
      await gateway.stop();
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
    },
  };
}
