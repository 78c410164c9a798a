import { badRequest, notFound } from '@mesh/server';
import type { PasswordHasher } from '@mesh/tracing';
import { applyPatch, JsonPatchError, type Operation } from 'fast-json-patch';
import { randomUUID } from 'node:crypto';
import { checkClientSecret, newClientSecret } from './client-secret';
import { parseClientBody, type ClientBody } from './request-schemas';
import type { ClientRecord, ClientStore } from './store/client-store';
import { clientView, type ClientView } from './views';

/** Hydra's text for an unknown client (ory/x sqlcon's "no rows"). */
const unknownClient = (id: string) =>
  notFound(`the OAuth2 client "${id}" does not exist`, 'Unable to locate the resource');

/** Fields a JSON Patch may not touch: the identity of the client and its timestamps. */
const immutablePaths = ['/client_id', '/created_at', '/updated_at'];

/** Hydra's effective grant types: a client that names none may use the authorization code grant only. */
export const grantTypesOf = (client: ClientRecord): string[] =>
  client.grant_types.length > 0 ? client.grant_types : ['authorization_code'];

/** OAuth2 clients: Hydra's create, replace, patch, read and delete, independent of HTTP routing. */
export class ClientService {
  constructor(
    private readonly store: ClientStore,
    private readonly hasher: PasswordHasher,
  ) {}

  /** Creates a client; its secret (chosen or generated) is in the answer once and stored only as a bcrypt hash. */
  async create(body: ClientBody): Promise<ClientView> {
    const secret = body.client_secret ?? newClientSecret();
    checkClientSecret(secret);
    const now = new Date().toISOString();
    const record = this.recordOf(
      body.client_id ?? randomUUID(),
      body,
      await this.hasher.generate(secret),
      now,
      now,
    );
    await this.store.create(record);
    return clientView(record, secret);
  }

  async get(id: string): Promise<ClientRecord> {
    const client = await this.store.find(id);
    if (!client) throw unknownClient(id);
    return client;
  }

  /** PUT: every field from the body; the secret stays unless the body sets a new one (Hydra's rule). */
  async replace(id: string, body: ClientBody): Promise<ClientView> {
    const existing = await this.get(id);
    if (body.client_secret !== undefined) checkClientSecret(body.client_secret);
    const hash =
      body.client_secret === undefined
        ? existing.client_secret
        : await this.hasher.generate(body.client_secret);
    const record = this.recordOf(id, body, hash, existing.created_at, new Date().toISOString());
    if (!(await this.store.update(record))) throw unknownClient(id);
    return clientView(record, body.client_secret);
  }

  /** PATCH: an RFC 6902 JSON Patch over the client's JSON, then validated as a PUT body. */
  async patch(id: string, operations: Operation[]): Promise<ClientView> {
    const existing = await this.get(id);
    for (const operation of operations) {
      if (immutablePaths.some((path) => operation.path === path || operation.path.startsWith(`${path}/`)))
        throw badRequest(`the JSON Patch may not change ${operation.path.slice(1)}`);
    }
    let patched: unknown;
    try {
      patched = applyPatch(structuredClone(clientView(existing)), operations, true, false).newDocument;
    } catch (error) {
      if (error instanceof JsonPatchError)
        throw badRequest(`the JSON Patch cannot be applied: ${error.name}`);
      throw error;
    }
    return this.replace(id, parseClientBody(patched));
  }

  async delete(id: string): Promise<void> {
    if (!(await this.store.delete(id))) throw unknownClient(id);
  }

  private recordOf(id: string, body: ClientBody, secretHash: string, createdAt: string, updatedAt: string) {
    const record: ClientRecord = {
      id,
      client_name: body.client_name ?? '',
      client_secret: secretHash,
      redirect_uris: body.redirect_uris ?? [],
      grant_types: body.grant_types ?? [],
      response_types: body.response_types ?? [],
      scope: body.scope ?? '',
      audience: body.audience ?? [],
      owner: body.owner ?? '',
      token_endpoint_auth_method: body.token_endpoint_auth_method ?? 'client_secret_basic',
      metadata: body.metadata ?? {},
      created_at: createdAt,
      updated_at: updatedAt,
    };
    return record;
  }
}
