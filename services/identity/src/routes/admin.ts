import { badRequest, HttpError, notFound } from '@mesh/server';
import type { Express, Response } from 'express';
import { applyPatch, deepClone, type Operation } from 'fast-json-patch';
import { randomUUID } from 'node:crypto';
import type { IdentityInput, IdentityService } from '../identity-service';
import {
  parseBatchPatchBody,
  parseCreateIdentityBody,
  parseIdentityListQuery,
  parseIdParam,
  parseJsonPatch,
  parseUpdateIdentityBody,
  unimplementedIdentityFilters,
  type IdentityBody,
} from '../request-schemas';
import type { IdentityRecord, IdentityStore } from '../store/identity-store';
import { identityView, type ViewContext } from '../views';

export const defaultPageSize = 250;
const knownListParameters = new Set([
  'page_size',
  'page_token',
  'credentials_identifier',
  'ids',
  'consistency',
]);
export const maxPageSize = 1000;

const inputOf = (body: IdentityBody): IdentityInput => ({
  schema_id: body.schema_id,
  traits: body.traits,
  state: body.state,
  metadata_public: body.metadata_public,
  metadata_admin: body.metadata_admin,
  password: body.credentials?.password?.config
    ? {
        clear: body.credentials.password.config.password,
        hashed: body.credentials.password.config.hashed_password,
      }
    : undefined,
});

/** Kratos's keyset pagination header: `first` always, `next` only when another page exists. */
export function setPageLinks(
  response: Response,
  path: string,
  query: Record<string, string | string[]>,
  pageSize: number,
  nextToken: string | undefined,
): void {
  const link = (token?: string) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query))
      for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
    params.set('page_size', String(pageSize));
    if (token) params.set('page_token', token);
    return `<${path}?${params.toString()}>`;
  };
  const links = [`${link()}; rel="first"`];
  if (nextToken) links.push(`${link(nextToken)}; rel="next"`);
  response.setHeader('Link', links.join(','));
}

/** The patchable part of an identity: JSON Patch paths outside these are refused. */
const patchable =
  /^\/(schema_id|state|traits|metadata_public|metadata_admin)(\/|$)|^\/credentials\/password\/config\/(password|hashed_password)$/;

/** Kratos's admin API for identities. */
export function addAdminIdentityRoutes(
  app: Express,
  identities: IdentityService,
  store: IdentityStore,
  views: ViewContext,
): void {
  const existing = async (id: string): Promise<IdentityRecord> => {
    const identity = await store.findIdentity(id);
    if (!identity) throw notFound(`identity ${id} does not exist`);
    return identity;
  };

  const withCredentials = async (identity: IdentityRecord) => {
    const password = await store.passwordOf(identity.id);
    return identityView(
      views,
      identity,
      password ? { password, identifiers: await store.identifiersOf(identity.id) } : undefined,
    );
  };

  app.post('/admin/identities', async (request, response) => {
    const identity = await identities.create(inputOf(parseCreateIdentityBody(request.body)));
    response.status(201).json(await withCredentials(identity));
  });

  app.get('/admin/identities', async (request, response) => {
    const query = request.query as Record<string, string | string[]>;
    const refused = Object.keys(query).filter((key) =>
      (unimplementedIdentityFilters as readonly string[]).includes(key),
    );
    if (refused.length > 0)
      throw badRequest(
        `the listIdentities parameter ${refused.join(', ')} is not implemented by this service`,
      );
    const unknown = Object.keys(query).filter((key) => !knownListParameters.has(key));
    if (unknown.length > 0) throw badRequest(`listIdentities has no parameter ${unknown.join(', ')}`);
    const parsed = parseIdentityListQuery(query);
    const pageSize = Math.min(Number(parsed.page_size ?? defaultPageSize), maxPageSize);
    const ids = parsed.ids === undefined ? undefined : [parsed.ids].flat();
    const rows = await store.listIdentities(
      {
        identifier: parsed.credentials_identifier?.trim().toLowerCase(),
        ids,
      },
      pageSize + 1,
      parsed.page_token,
    );
    const page = rows.slice(0, pageSize);
    const filters = Object.fromEntries(
      Object.entries(query).filter(([key]) => key !== 'page_size' && key !== 'page_token'),
    );
    setPageLinks(
      response,
      '/admin/identities',
      filters,
      pageSize,
      rows.length > pageSize ? page.at(-1)?.id : undefined,
    );
    response.json(page.map((identity) => identityView(views, identity)));
  });

  /** batchPatchIdentities: creates many identities; each one succeeds or fails on its own. */
  app.patch('/admin/identities', async (request, response) => {
    const body = parseBatchPatchBody(request.body);
    const results = [];
    for (const patch of body.identities) {
      const patchId = patch.patch_id ?? randomUUID();
      try {
        const identity = await identities.create(inputOf(patch.create));
        results.push({ action: 'create', identity: identity.id, patch_id: patchId });
      } catch (error) {
        if (!(error instanceof HttpError) || error.status >= 500) throw error;
        results.push({ action: 'error', patch_id: patchId, error: error.toBody().error });
      }
    }
    response.json({ identities: results });
  });

  app.get('/admin/identities/:id', async (request, response) => {
    const { id } = parseIdParam(request.params);
    response.json(await withCredentials(await existing(id)));
  });

  app.put('/admin/identities/:id', async (request, response) => {
    const { id } = parseIdParam(request.params);
    const body = parseUpdateIdentityBody(request.body);
    const identity = await identities.update(await existing(id), inputOf(body));
    response.json(await withCredentials(identity));
  });

  app.patch('/admin/identities/:id', async (request, response) => {
    const { id } = parseIdParam(request.params);
    const operations = parseJsonPatch(request.body);
    for (const operation of operations) {
      for (const path of [operation.path, operation.from].filter((p) => p !== undefined)) {
        if (!patchable.test(path)) throw badRequest(`the JSON Patch path ${path} cannot be changed`);
      }
    }
    const current = await existing(id);
    const document: IdentityBody = {
      schema_id: current.schema_id,
      state: current.state,
      traits: JSON.parse(current.traits) as Record<string, unknown>,
      metadata_public: JSON.parse(current.metadata_public ?? 'null'),
      metadata_admin: JSON.parse(current.metadata_admin ?? 'null'),
      credentials: { password: { config: {} } },
    };
    let patched: IdentityBody;
    try {
      patched = applyPatch(document, deepClone(operations) as Operation[], true, false).newDocument;
    } catch (error) {
      throw badRequest(
        `the JSON Patch cannot be applied: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      );
    }
    const config = patched.credentials?.password?.config;
    if (!config?.password && !config?.hashed_password) delete patched.credentials;
    const identity = await identities.update(current, inputOf(parseUpdateIdentityBody(patched)));
    response.json(await withCredentials(identity));
  });

  app.delete('/admin/identities/:id', async (request, response) => {
    const { id } = parseIdParam(request.params);
    if (!(await store.deleteIdentity(id))) throw notFound(`identity ${id} does not exist`);
    response.status(204).end();
  });

  app.delete('/admin/identities/:id/credentials/:type', async (request, response) => {
    const { id } = parseIdParam({ id: request.params.id });
    await existing(id);
    if (request.params.type !== 'password')
      throw badRequest(
        `credentials of type ${request.params.type} do not exist in this service (only password)`,
      );
    if (!(await store.deletePassword(id))) throw notFound(`identity ${id} has no password credential`);
    response.status(204).end();
  });
}
