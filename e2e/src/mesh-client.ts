import { demoDocuments, demoTuples, demoUsers, type DemoUser } from './demo-data';
import { traceIdOf } from './trace-query';

/** Where the mesh answers: the ports `npm start` and the compose stack publish, or a test's free ports. */
export interface MeshUrls {
  gateway: string;
  gatewayApi: string;
  identityPublic: string;
  identityAdmin: string;
  permissionRead: string;
  permissionWrite: string;
  /** documents' public port: reads with the gateway's id_token only. */
  documents: string;
  /** documents' admin port: PUT, GET and DELETE /documents without a token (seeding). */
  documentsAdmin: string;
  oauth2Public: string;
  oauth2Admin: string;
}

export const defaultMeshUrls: MeshUrls = {
  gateway: 'http://127.0.0.1:4455',
  gatewayApi: 'http://127.0.0.1:4456',
  identityPublic: 'http://127.0.0.1:4433',
  identityAdmin: 'http://127.0.0.1:4434',
  permissionRead: 'http://127.0.0.1:4466',
  permissionWrite: 'http://127.0.0.1:4467',
  documents: 'http://127.0.0.1:4480',
  documentsAdmin: 'http://127.0.0.1:4481',
  oauth2Public: 'http://127.0.0.1:4444',
  oauth2Admin: 'http://127.0.0.1:4445',
};

export interface TracedResponse<T = unknown> {
  status: number;
  body: T;
  /** From the `traceresponse` header; undefined when tracing is off. */
  traceId: string | undefined;
  headers: Headers;
}

/** One JSON request with its status, body and trace id. */
export async function call<T>(url: string, init: RequestInit = {}): Promise<TracedResponse<T>> {
  const response = await fetch(url, {
    ...init,
    headers: {
      accept: 'application/json',
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return {
    status: response.status,
    body: body as T,
    traceId: traceIdOf(response.headers),
    headers: response.headers,
  };
}

export function expectStatus(what: string, response: TracedResponse, ...statuses: number[]): void {
  if (!statuses.includes(response.status)) {
    throw new Error(
      `${what}: expected ${statuses.join(' or ')}, got ${response.status} ${JSON.stringify(response.body)}`,
    );
  }
}

interface Identity {
  id: string;
  traits: { email?: string };
}

/** Every identity, following Kratos' `Link: <…>; rel="next"` pagination. */
async function listIdentities(adminUrl: string): Promise<Identity[]> {
  const identities: Identity[] = [];
  let next: string | undefined = `${adminUrl}/admin/identities?page_size=250`;
  while (next) {
    const response: TracedResponse<Identity[]> = await call<Identity[]>(next);
    expectStatus('GET /admin/identities', response, 200);
    identities.push(...response.body);
    const link = response.headers.get('link')?.match(/<([^>]+)>;\s*rel="next"/)?.[1];
    next = link && response.body.length > 0 ? new URL(link, adminUrl).toString() : undefined;
  }
  return identities;
}

/**
 * The demo data, idempotently: identities (created with a password through the admin API unless the email
 * exists), documents (PUT on documents' admin port), and relation tuples (PUT is an upsert). Returns the
 * identity ids.
 */
export async function seedDemo(urls: MeshUrls): Promise<Record<DemoUser, string>> {
  const existing = await listIdentities(urls.identityAdmin);
  const ids = {} as Record<DemoUser, string>;
  for (const [user, { email, password }] of Object.entries(demoUsers) as [
    DemoUser,
    (typeof demoUsers)[DemoUser],
  ][]) {
    const found = existing.find((identity) => identity.traits.email?.toLowerCase() === email);
    if (found) {
      ids[user] = found.id;
      continue;
    }
    const created = await call<Identity>(`${urls.identityAdmin}/admin/identities`, {
      method: 'POST',
      body: JSON.stringify({
        schema_id: 'default',
        traits: { email },
        credentials: { password: { config: { password } } },
      }),
    });
    expectStatus(`create identity ${email}`, created, 201);
    ids[user] = created.body.id;
  }
  const tuples = demoTuples(ids);
  for (const document of demoDocuments) {
    // The owner a document shows is the one its Document#owners tuple names (doc-1: alice).
    const owner = tuples.find(
      (tuple) =>
        tuple.namespace === 'Document' && tuple.object === document.id && tuple.relation === 'owners',
    )?.subject_id;
    const response = await call(`${urls.documentsAdmin}/documents/${document.id}`, {
      method: 'PUT',
      body: JSON.stringify({ title: document.title, body: document.body, ...(owner ? { owner } : {}) }),
    });
    expectStatus(`PUT /documents/${document.id}`, response, 200, 201);
  }
  for (const tuple of tuples) {
    const response = await call(`${urls.permissionWrite}/admin/relation-tuples`, {
      method: 'PUT',
      body: JSON.stringify(tuple),
    });
    expectStatus(
      `PUT /admin/relation-tuples ${tuple.namespace}:${tuple.object}#${tuple.relation}`,
      response,
      200,
      201,
    );
  }
  return ids;
}

export interface LoginResult {
  sessionToken: string;
  /** The trace of the `POST /self-service/login` call. */
  traceId: string | undefined;
  status: number;
}

/** Kratos' API login flow, through the gateway: `GET /self-service/login/api`, then `POST /self-service/login?flow=`. */
export async function login(
  gatewayUrl: string,
  user: DemoUser,
  init: { headers?: Record<string, string> } = {},
): Promise<LoginResult> {
  const flow = await call<{ id: string }>(`${gatewayUrl}/self-service/login/api`, { headers: init.headers });
  expectStatus('GET /self-service/login/api', flow, 200);
  const { email, password } = demoUsers[user];
  const submitted = await call<{ session_token: string }>(
    `${gatewayUrl}/self-service/login?flow=${encodeURIComponent(flow.body.id)}`,
    {
      method: 'POST',
      headers: init.headers,
      body: JSON.stringify({ method: 'password', identifier: email, password }),
    },
  );
  expectStatus(`login as ${email}`, submitted, 200);
  return { sessionToken: submitted.body.session_token, traceId: submitted.traceId, status: submitted.status };
}

export interface BrowserLoginResult {
  /** The `Cookie` header that carries the signed session cookie identity set: `ory_kratos_session=…`. */
  cookie: string;
  /** The trace of the `POST /self-service/login` call. */
  traceId: string | undefined;
  status: number;
}

/** `name=value` of each `Set-Cookie` of a response, ready for a `Cookie` header. */
const cookiesOf = (headers: Headers) =>
  headers.getSetCookie().map((cookie) => cookie.split(';')[0] as string);

/**
 * Kratos' browser login flow, through the gateway, as a browser with a cookie jar does it:
 * `GET /self-service/login/browser` (the flow and the anti-CSRF cookie), then `POST /self-service/login?flow=`
 * with the CSRF cookie and the flow's `csrf_token`. The answer sets the signed `ory_kratos_session` cookie.
 */
export async function browserLogin(
  gatewayUrl: string,
  user: DemoUser,
  init: { headers?: Record<string, string> } = {},
): Promise<BrowserLoginResult> {
  const flow = await call<{ id: string; ui: { nodes: { attributes: { name: string; value?: unknown } }[] } }>(
    `${gatewayUrl}/self-service/login/browser`,
    { headers: init.headers },
  );
  expectStatus('GET /self-service/login/browser', flow, 200);
  const csrfToken = flow.body.ui.nodes.find((node) => node.attributes.name === 'csrf_token')?.attributes
    .value;
  const { email, password } = demoUsers[user];
  const submitted = await call(`${gatewayUrl}/self-service/login?flow=${encodeURIComponent(flow.body.id)}`, {
    method: 'POST',
    headers: { ...init.headers, cookie: cookiesOf(flow.headers).join('; ') },
    body: JSON.stringify({ method: 'password', identifier: email, password, csrf_token: csrfToken }),
  });
  expectStatus(`browser login as ${email}`, submitted, 200);
  const session = cookiesOf(submitted.headers).find((cookie) => cookie.startsWith('ory_kratos_session='));
  if (!session) throw new Error(`browser login as ${email}: no ory_kratos_session cookie was set`);
  return { cookie: session, traceId: submitted.traceId, status: submitted.status };
}

/**
 * `GET /documents/{id}` through the gateway with a session token as `Authorization: Bearer` (or none);
 * a browser's signed session cookie goes in `headers` as `{ cookie }`.
 */
export function getDocument(
  gatewayUrl: string,
  documentId: string,
  sessionToken: string | undefined,
  headers: Record<string, string> = {},
): Promise<TracedResponse> {
  return call(`${gatewayUrl}/documents/${encodeURIComponent(documentId)}`, {
    headers: { ...(sessionToken ? { authorization: `Bearer ${sessionToken}` } : {}), ...headers },
  });
}
