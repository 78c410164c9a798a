import type { PasswordHasher } from '@mesh/tracing';
import { maxSecretBytes } from './client-secret';
import { invalidClient } from './oauth2-error';
import type { ClientRecord, ClientStore } from './store/client-store';

export type AuthenticationMethod = 'client_secret_basic' | 'client_secret_post';

export interface PresentedCredentials {
  clientId: string;
  secret: string;
  method: AuthenticationMethod;
}

/** RFC 6749 §2.3.1: both halves of the Basic credentials are form-urlencoded before base64. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    throw invalidClient('The client credentials in the Authorization header are not valid form encoding.');
  }
}

/** The credentials of a token or revocation request: `Authorization: Basic` first (as fosite), then the form. */
export function presentedCredentials(
  authorization: string | undefined,
  form: { client_id?: string; client_secret?: string },
): PresentedCredentials {
  const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw invalidClient('The client credentials in the Authorization header are malformed.');
    return {
      clientId: formDecode(decoded.slice(0, colon)),
      secret: formDecode(decoded.slice(colon + 1)),
      method: 'client_secret_basic',
    };
  }
  if (form.client_id && form.client_secret !== undefined)
    return { clientId: form.client_id, secret: form.client_secret, method: 'client_secret_post' };
  throw invalidClient(
    'No client credentials were sent: use HTTP Basic or client_id and client_secret in the form.',
  );
}

/** Client authentication at the token and revocation endpoints: one lookup and one bcrypt comparison. */
export class ClientAuthenticator {
  constructor(
    private readonly store: ClientStore,
    private readonly hasher: PasswordHasher,
    /** A hash of a random secret at the configured cost: compared against when the client is unknown. */
    private readonly decoyHash: string,
  ) {}

  async authenticate(credentials: PresentedCredentials): Promise<ClientRecord> {
    const client = await this.store.find(credentials.clientId);
    if (client && client.token_endpoint_auth_method !== credentials.method) {
      throw invalidClient(
        `The OAuth 2.0 Client supports client authentication method '${client.token_endpoint_auth_method}', but method '${credentials.method}' was requested. You must configure the OAuth 2.0 client's 'token_endpoint_auth_method' value to accept '${credentials.method}'.`,
      );
    }
    // Unknown client or not, the same comparison runs: the answer time does not reveal which clients exist.
    const matches = await this.hasher.compare(credentials.secret, client?.client_secret ?? this.decoyHash);
    // bcrypt reads 72 bytes; a longer secret cannot be a stored one even when its first 72 bytes match.
    if (!client || !matches || Buffer.byteLength(credentials.secret) > maxSecretBytes) throw invalidClient();
    return client;
  }
}
