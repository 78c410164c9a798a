import { demoMachine } from './demo-data';
import { call, expectStatus, type MeshUrls, type TracedResponse } from './mesh-client';
import { traceIdOf } from './trace-query';

const machineClientBody = {
  client_id: demoMachine.clientId,
  client_secret: demoMachine.secret,
  client_name: 'the demo machine',
  grant_types: ['client_credentials'],
  scope: demoMachine.scope,
  token_endpoint_auth_method: 'client_secret_basic',
};

/**
 * The demo's machine, idempotently: its OAuth2 client (created, or replaced with the same secret when it
 * exists) and the tuple `Document:doc-1#viewers@demo-machine` (the subject is the client_id).
 */
export async function seedMachine(urls: MeshUrls): Promise<void> {
  const existing = await call(`${urls.oauth2Admin}/admin/clients/${demoMachine.clientId}`);
  expectStatus(`GET /admin/clients/${demoMachine.clientId}`, existing, 200, 404);
  const saved =
    existing.status === 404
      ? await call(`${urls.oauth2Admin}/admin/clients`, {
          method: 'POST',
          body: JSON.stringify(machineClientBody),
        })
      : await call(`${urls.oauth2Admin}/admin/clients/${demoMachine.clientId}`, {
          method: 'PUT',
          body: JSON.stringify(machineClientBody),
        });
  expectStatus(`save the OAuth2 client ${demoMachine.clientId}`, saved, 200, 201);
  const tuple = await call(`${urls.permissionWrite}/admin/relation-tuples`, {
    method: 'PUT',
    body: JSON.stringify({
      namespace: 'Document',
      object: demoMachine.allowed,
      relation: 'viewers',
      subject_id: demoMachine.clientId,
    }),
  });
  expectStatus(`PUT /admin/relation-tuples Document:${demoMachine.allowed}#viewers`, tuple, 200, 201);
}

export interface MachineToken {
  accessToken: string;
  status: number;
  traceId: string | undefined;
}

/** `POST /oauth2/token` with the client credentials grant and HTTP Basic client authentication. */
export async function machineToken(urls: MeshUrls, scope: string = demoMachine.scope): Promise<MachineToken> {
  const response = await fetch(`${urls.oauth2Public}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${demoMachine.clientId}:${demoMachine.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (response.status !== 200 || !body.access_token)
    throw new Error(`POST /oauth2/token: expected 200, got ${response.status} ${JSON.stringify(body)}`);
  return { accessToken: body.access_token, status: response.status, traceId: traceIdOf(response.headers) };
}

/** The seed's example: the machine's client created a second time, which Hydra answers with 409. */
export function duplicateClient(urls: MeshUrls): Promise<TracedResponse> {
  return call(`${urls.oauth2Admin}/admin/clients`, {
    method: 'POST',
    body: JSON.stringify(machineClientBody),
  });
}

/** A machine's request through the gateway: `GET /api/documents/{id}` with its access token. */
export function getDocumentAsMachine(
  urls: MeshUrls,
  documentId: string,
  accessToken: string,
): Promise<TracedResponse> {
  return call(`${urls.gateway}/api/documents/${encodeURIComponent(documentId)}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
}
