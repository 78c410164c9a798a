import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import type { GatewayConfig } from '../../src/config';
import type { GatewayServers } from '../../src/serve';

const dir = mkdtempSync(join(tmpdir(), 'gateway-remote-'));
const writeRules = (name: string, rules: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(rules));
  return path;
};

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP endpoint that records every request and answers with `answer`. */
export async function endpoint(
  answer: (seen: Seen, count: number) => { status: number; headers?: Record<string, string>; body?: string },
) {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(entry);
      const { status, headers = {}, body = '' } = answer(entry, seen.length);
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A raw request to the gateway (explicit path, explicit framing). */
export function send(
  port: number,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer | Buffer[];
  },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method,
        path: options.path,
        headers: { host: 'gateway.test', ...options.headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    if (Array.isArray(options.body)) {
      for (const chunk of options.body) request.write(chunk);
      request.end();
    } else request.end(options.body);
  });
}

/**
 * A gateway whose rules use the remote authorizer, the hydrator mutator and the id_token mutator with an
 * http JWKS, in front of real recording endpoints: the upstream, the authorizer (its answer chosen by the
 * rule's second path segment, sent as X-Case), the hydrator (Basic auth `gateway:hydrator-s3cret`; paths
 * /broken, /flaky, /other-subject) and the key set. Start the tracing SDK first, as `gateway serve` does.
 */
export async function startRemoteHandlersGateway() {
  /** How often the authorizer was asked, by the request's X-Case header. */
  const attempts = new Map<string, number>();
  /** Calls of the hydrator's /flaky path: every odd one answers 503. */
  const flaky = { hydrations: 0 };
  const upstream = await endpoint(() => ({ status: 200, body: '{"ok":true}' }));
  const authorizer = await endpoint((seen) => {
    const kase = String(seen.headers['x-case'] ?? 'allow');
    const count = (attempts.get(kase) ?? 0) + 1;
    attempts.set(kase, count);
    if (kase === 'deny') return { status: 403 };
    if (kase === 'broken') return { status: 500 };
    if (kase === 'busy') return { status: 429 };
    if (kase === 'flaky') return count === 1 ? { status: 503 } : { status: 200 };
    return { status: 200, headers: { 'x-foo': 'from-authorizer', 'x-other': 'not-listed' } };
  });
  const basic = `Basic ${Buffer.from('gateway:hydrator-s3cret').toString('base64')}`;
  const hydrator = await endpoint((seen) => {
    if (seen.headers.authorization !== basic) return { status: 401 };
    const session = JSON.parse(seen.body) as {
      subject: string;
      extra: Record<string, unknown>;
      header: Record<string, string[]>;
    };
    if (seen.url.startsWith('/other-subject')) session.subject = 'mallory';
    if (seen.url.startsWith('/broken')) return { status: 500 };
    if (seen.url.startsWith('/flaky')) {
      flaky.hydrations += 1;
      if (flaky.hydrations % 2 === 1) return { status: 503 };
    }
    return {
      status: 200,
      body: JSON.stringify({
        ...session,
        extra: { ...session.extra, group: 'admins' },
        header: { ...session.header, 'X-Hydrated': ['yes'] },
      }),
    };
  });
  const signer = await generateKeyPair('ES256', { extractable: true });
  const privateSet = { keys: [{ ...(await exportJWK(signer.privateKey)), kid: 'remote-1', alg: 'ES256' }] };
  const keys = await endpoint(() => ({ status: 200, body: JSON.stringify(privateSet) }));
  const servers: Server[] = [upstream.server, authorizer.server, hydrator.server, keys.server];

  const rule = (id: string, extra: Record<string, unknown>) => ({
    id,
    match: { url: `http://<[^/]+>/${id}/<[^/]+>`, methods: ['GET', 'POST', 'PUT'] },
    authenticators: [{ handler: 'anonymous' }],
    authorizer: { handler: 'allow' },
    mutators: [{ handler: 'noop' }],
    upstream: { url: upstream.url },
    ...extra,
  });
  const remote = (config: Record<string, unknown> = {}) => ({
    handler: 'remote',
    config: {
      remote: `${authorizer.url}/authorize`,
      headers: {
        'X-Subject': '{{ print .Subject }}',
        'X-Case': '{{ printIndex .MatchContext.RegexpCaptureGroups 1 }}',
        'X-Empty': '{{ .Extra.missing }}',
      },
      forward_response_headers_to_upstream: ['X-Foo'],
      ...config,
    },
  });
  const hydrate = (path: string, extra: Record<string, unknown> = {}) => ({
    handler: 'hydrator',
    config: {
      api: {
        url: `${hydrator.url}${path}`,
        auth: { basic: { username: 'gateway', password: 'hydrator-s3cret' } },
      },
      ...extra,
    },
  });
  const rules = [
    rule('remote', {
      authenticators: [{ handler: 'anonymous' }, { handler: 'noop' }],
      authorizer: remote(),
    }),
    rule('remote-noretry', { authorizer: remote({ retry: { give_up_after: '0s' } }) }),
    rule('hydrate', {
      mutators: [
        { handler: 'header', config: { headers: { 'X-User': '{{ print .Subject }}' } } },
        hydrate('/hydrate'),
        { handler: 'header', config: { headers: { 'X-Group': '{{ .Extra.group }}' } } },
      ],
    }),
    rule('hydrate-cached', {
      mutators: [hydrate('/cached', { cache: { enabled: true, ttl: '1m' } })],
    }),
    rule('hydrate-other-subject', { mutators: [hydrate('/other-subject')] }),
    rule('hydrate-broken', { mutators: [hydrate('/broken')] }),
    rule('hydrate-flaky', { mutators: [hydrate('/flaky')] }),
    rule('hydrate-flaky-retried', {
      mutators: [
        {
          handler: 'hydrator',
          config: {
            api: {
              url: `${hydrator.url}/flaky`,
              auth: { basic: { username: 'gateway', password: 'hydrator-s3cret' } },
              retry: { max_delay: '50ms', give_up_after: '1s' },
            },
          },
        },
      ],
    }),
    rule('hydrate-wrong-password', {
      mutators: [
        {
          handler: 'hydrator',
          config: {
            api: {
              url: `${hydrator.url}/hydrate`,
              auth: { basic: { username: 'gateway', password: 'wrong' } },
            },
          },
        },
      ],
    }),
    rule('id-token-http', {
      mutators: [
        {
          handler: 'id_token',
          config: { jwks_url: `${keys.url}/private.json`, issuer_url: 'http://gateway.test/' },
        },
      ],
    }),
    rule('id-token-down', {
      mutators: [
        {
          handler: 'id_token',
          config: { jwks_url: 'http://127.0.0.1:1/private.json', issuer_url: 'http://gateway.test/' },
        },
      ],
    }),
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
    return testGatewayConfig(writeRules(`rules-${count}.json`, list), ['timeouts.handlers=2s', ...flags]);
  };
  const gateway: GatewayServers = await serve(configFor(rules), { log: createLogger('gateway', 'silent') });
  return {
    gateway,
    port: portOf(gateway.proxyServer),
    apiPort: portOf(gateway.apiServer),
    configFor,
    loadRules: repository.loadRules,
    upstream,
    authorizer,
    hydrator,
    keys,
    attempts,
    flaky,
    async stop() {
      await gateway.stop();
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
    },
  };
}
