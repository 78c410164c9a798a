import type { Express, Request, Response } from 'express';
import type { AccessTokens } from '../access-tokens';
import type { ClientService } from '../client-service';
import {
  parseClientBody,
  parseIdParam,
  parseIntrospectionForm,
  parseJsonPatch,
  parsePageQuery,
} from '../request-schemas';
import type { ClientStore } from '../store/client-store';
import { clientView } from '../views';
import { formBody } from './forms';

/** Hydra lists 100 clients a page unless asked otherwise, and at most 500. */
const defaultPageSize = 100;
const maxPageSize = 500;

const pageTokenOf = (clientId: string) => Buffer.from(clientId).toString('base64url');
const clientIdOf = (pageToken: string) => Buffer.from(pageToken, 'base64url').toString('utf8');

/** Hydra's admin API: OAuth2 clients (under /admin and, as Hydra still serves them, without it) and introspection. */
export function addAdminRoutes(
  app: Express,
  clients: ClientService,
  store: ClientStore,
  tokens: AccessTokens,
): void {
  for (const prefix of ['/admin', ''] as const) {
    const collection = `${prefix}/clients`;

    app.post(collection, async (request, response) => {
      response.status(201).json(await clients.create(parseClientBody(request.body)));
    });

    app.get(collection, async (request: Request, response: Response) => {
      const query = parsePageQuery(request.query);
      const pageSize = Math.min(Number(query.page_size ?? defaultPageSize), maxPageSize);
      const rows = await store.list(pageSize + 1, query.page_token && clientIdOf(query.page_token));
      const page = rows.slice(0, pageSize);
      const links = [`<${collection}?page_size=${pageSize}>; rel="first"`];
      const last = page.at(-1);
      if (rows.length > pageSize && last)
        links.push(`<${collection}?page_size=${pageSize}&page_token=${pageTokenOf(last.id)}>; rel="next"`);
      response.setHeader('Link', links.join(','));
      response.json(page.map((client) => clientView(client)));
    });

    app.get(`${collection}/:id`, async (request, response) => {
      const { id } = parseIdParam(request.params);
      response.json(clientView(await clients.get(id)));
    });

    app.put(`${collection}/:id`, async (request, response) => {
      const { id } = parseIdParam(request.params);
      response.json(await clients.replace(id, parseClientBody(request.body)));
    });

    app.patch(`${collection}/:id`, async (request, response) => {
      const { id } = parseIdParam(request.params);
      response.json(await clients.patch(id, parseJsonPatch(request.body)));
    });

    app.delete(`${collection}/:id`, async (request, response) => {
      const { id } = parseIdParam(request.params);
      await clients.delete(id);
      response.status(204).end();
    });

    app.post(`${prefix}/oauth2/introspect`, formBody, async (request, response) => {
      const form = parseIntrospectionForm(request.body ?? {});
      const scope = (form.scope ?? '').split(' ').filter(Boolean);
      response.setHeader('Cache-Control', 'no-store');
      response.json(await tokens.introspect(form.token, scope));
    });
  }
}
