import { after } from 'node:test';
import { startInMemoryTracing } from '@mesh/tracing';

// Every test file imports this module first. The SDK starts before the service loads express and the database drivers, as `identity serve` does.
export const tracing = startInMemoryTracing({ name: 'identity', version: 'test' });

import type { FrontendApi, IdentityApi } from '@ory/client';
import type { IdentityServers } from '../src/serve';

export interface Running {
  servers: IdentityServers;
  publicUrl: string;
  adminUrl: string;
  frontend: FrontendApi;
  admin: IdentityApi;
}

export async function startIdentity(dsn: string, extraFlags: string[] = []): Promise<Running> {
  const [{ loadConfig }, { identitySchema }, { serve }, { portOf }, ory, { createLogger }] =
    await Promise.all([
      import('@mesh/config'),
      import('../src/config'),
      import('../src/serve'),
      import('@mesh/server'),
      import('@ory/client'),
      import('@mesh/tracing'),
    ]);
  const config = loadConfig<import('../src/config').IdentityConfig>({
    schema: identitySchema,
    env: {},
    flags: [
      `dsn=${dsn}`,
      'serve.public.port=0',
      'serve.admin.port=0',
      'hashers.bcrypt.cost=4',
      'serve.public.base_url=https://id.example.test/',
      'secrets.cookie=["a-test-secret-of-32-characters!!"]',
      // Tests set their own limits: the rate-limit tests low ones, every other test none in its way.
      'rate_limit.per_address.max_attempts=100000',
      'rate_limit.per_identifier.max_failures=100000',
      ...extraFlags,
    ],
  });
  const servers = await serve(config, { log: createLogger('identity', 'silent') });
  const publicUrl = `http://127.0.0.1:${portOf(servers.publicServer)}`;
  const adminUrl = `http://127.0.0.1:${portOf(servers.adminServer)}`;
  return {
    servers,
    publicUrl,
    adminUrl,
    frontend: new ory.FrontendApi(new ory.Configuration({ basePath: publicUrl })),
    admin: new ory.IdentityApi(new ory.Configuration({ basePath: adminUrl })),
  };
}

export async function login(identity: Running, identifier: string, password: string) {
  const { data: flow } = await identity.frontend.createNativeLoginFlow();
  return identity.frontend.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: 'password', identifier, password },
  });
}

after(() => tracing.handle.shutdown());

export const variants = [
  { name: 'SQLite', dsn: () => Promise.resolve({ dsn: 'memory', drop: async () => undefined }) },
  {
    name: 'PostgreSQL',
    dsn: async () => {
      const { createIsolatedSchema } = await import('@mesh/sql');
      return createIsolatedSchema(process.env.TEST_POSTGRES_DSN ?? '', 'identity');
    },
  },
];

/** A browser's cookies for one origin: what Set-Cookie stores (and removes), sent back as one Cookie header. */
export class CookieJar {
  readonly cookies = new Map<string, { value: string; attributes: string }>();

  take(setCookie: string[] | string | undefined | null): this {
    for (const line of [setCookie ?? []].flat()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = /max-age=0|expires=thu, 01 jan 1970/i.test(line);
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, attributes: attributes.join(';') });
    }
    return this;
  }

  /** Reads a fetch response's Set-Cookie headers. */
  from(response: Response): this {
    return this.take(response.headers.getSetCookie());
  }

  header(): string {
    return [...this.cookies].map(([name, { value }]) => `${name}=${value}`).join('; ');
  }

  get(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }

  nameStartingWith(prefix: string): string | undefined {
    return [...this.cookies.keys()].find((name) => name.startsWith(prefix));
  }
}

export interface UiNodeLike {
  attributes: { name?: string; value?: unknown };
  messages: { id: number; text: string }[];
}

export const csrfTokenOf = (flow: { ui: { nodes: unknown[] } }) =>
  String(
    (flow.ui.nodes as UiNodeLike[]).find((node) => node.attributes.name === 'csrf_token')?.attributes.value,
  );

export const nodeMessages = (flow: { ui: { nodes: unknown[] } }, name: string) =>
  (flow.ui.nodes as UiNodeLike[])
    .filter((node) => node.attributes.name === name)
    .flatMap((node) => node.messages.map((message) => message.id));

/** A browser login through the SDK with a cookie jar: the flow, then the submission with the CSRF token. */
export async function browserLogin(identity: Running, jar: CookieJar, identifier: string, password: string) {
  const flow = await identity.frontend.createBrowserLoginFlow({ cookie: jar.header() });
  jar.take(flow.headers['set-cookie']);
  const submitted = await identity.frontend.updateLoginFlow({
    flow: flow.data.id,
    cookie: jar.header(),
    updateLoginFlowBody: { method: 'password', identifier, password, csrf_token: csrfTokenOf(flow.data) },
  });
  jar.take(submitted.headers['set-cookie']);
  return submitted;
}

export const createPerson = (identity: Running, email: string, password: string, traits: object = {}) =>
  identity.admin.createIdentity({
    createIdentityBody: {
      schema_id: 'default',
      traits: { email, ...traits },
      credentials: { password: { config: { password } } },
    },
  });
