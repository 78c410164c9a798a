import type { Express } from 'express';
import { notFound } from '@mesh/server';
import type { IdentityService } from '../identity-service';
import { parseCreateIdentityBody, parseIdParam, parsePageQuery } from '../request-schemas';
import type { IdentityStore } from '../store/identity-store';
import { identityView, sessionView } from '../views';

const defaultPageSize = 250;

/** Kratos's admin API: identities and their sessions. */
export function addAdminRoutes(app: Express, identities: IdentityService, store: IdentityStore): void {
  app.post('/admin/identities', async (request, response) => {
    const body = parseCreateIdentityBody(request.body);
    const identity = await identities.createIdentity(
      body.traits.email,
      body.credentials?.password?.config?.password,
    );
    response.status(201).json(identityView(identity));
  });

  app.get('/admin/identities', async (request, response) => {
    const query = parsePageQuery(request.query);
    const pageSize = Math.min(Number(query.page_size ?? defaultPageSize), 1000);
    const page = await store.listIdentities(pageSize, query.page_token);
    const last = page.at(-1);
    if (last && page.length === pageSize) {
      response.setHeader(
        'Link',
        `</admin/identities?page_size=${pageSize}&page_token=${last.id}>; rel="next"`,
      );
    }
    response.json(page.map(identityView));
  });

  app.get('/admin/identities/:id', async (request, response) => {
    const { id } = parseIdParam(request.params);
    const identity = await store.findIdentity(id);
    if (!identity) throw notFound(`identity ${id} does not exist`);
    response.json(identityView(identity));
  });

  app.delete('/admin/identities/:id', async (request, response) => {
    const { id } = parseIdParam(request.params);
    if (!(await store.deleteIdentity(id))) throw notFound(`identity ${id} does not exist`);
    response.status(204).end();
  });

  app.get('/admin/identities/:id/sessions', async (request, response) => {
    const { id } = parseIdParam(request.params);
    const identity = await store.findIdentity(id);
    if (!identity) throw notFound(`identity ${id} does not exist`);
    const sessions = await store.listSessions(id);
    response.json(sessions.map((session) => sessionView(session, identity)));
  });

  app.delete('/admin/sessions/:id', async (request, response) => {
    const { id } = parseIdParam(request.params);
    if (!(await store.revokeSessionById(id)))
      throw notFound(`session ${id} does not exist or is already revoked`);
    response.status(204).end();
  });
}
