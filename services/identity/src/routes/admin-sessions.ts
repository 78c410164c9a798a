import { notFound } from '@mesh/server';
import type { Express } from 'express';
import { parseExpandQuery, parseIdParam, parseSessionListQuery } from '../request-schemas';
import type { SessionService } from '../session-service';
import type { IdentityStore } from '../store/identity-store';
import type { SessionRecord, SessionStore } from '../store/session-store';
import { sessionView, type ViewContext } from '../views';
import { defaultPageSize, maxPageSize, setPageLinks } from './admin';

const expands = (value: string | string[] | undefined, what: string) => [value ?? []].flat().includes(what);

/** Kratos's session admin API. Sessions carry no device records here: expand=devices gives `devices: []`. */
export function addAdminSessionRoutes(
  app: Express,
  sessions: SessionService,
  sessionStore: SessionStore,
  identityStore: IdentityStore,
  views: ViewContext,
): void {
  const render = async (session: SessionRecord, expand: string | string[] | undefined) => ({
    ...sessionView(
      views,
      session,
      expands(expand, 'identity') ? await identityStore.findIdentity(session.identity_id) : undefined,
    ),
    ...(expands(expand, 'devices') ? { devices: [] } : {}),
  });

  app.get('/admin/sessions', async (request, response) => {
    const query = parseSessionListQuery(request.query);
    const pageSize = Math.min(Number(query.page_size ?? defaultPageSize), maxPageSize);
    const active = query.active === undefined ? undefined : query.active === 'true';
    const rows = await sessionStore.list(pageSize + 1, query.page_token, active, new Date().toISOString());
    const page = rows.slice(0, pageSize);
    const filters: Record<string, string | string[]> = {};
    if (query.active) filters.active = query.active;
    if (query.expand) filters.expand = query.expand;
    setPageLinks(
      response,
      '/admin/sessions',
      filters,
      pageSize,
      rows.length > pageSize ? page.at(-1)?.id : undefined,
    );
    response.json(await Promise.all(page.map((session) => render(session, query.expand))));
  });

  app.get('/admin/sessions/:id', async (request, response) => {
    const { id } = parseIdParam(request.params);
    const { expand } = parseExpandQuery(request.query);
    const session = await sessionStore.findById(id);
    if (!session) throw notFound(`session ${id} does not exist`);
    response.json(await render(session, expand));
  });

  app.patch('/admin/sessions/:id/extend', async (request, response) => {
    const { id } = parseIdParam(request.params);
    const expiresAt = new Date(Date.now() + sessions.lifespanMs).toISOString();
    if (!(await sessionStore.extend(id, expiresAt)))
      throw notFound(`session ${id} does not exist or is revoked`);
    response.json(await render((await sessionStore.findById(id)) as SessionRecord, 'identity'));
  });

  app.delete('/admin/sessions/:id', async (request, response) => {
    const { id } = parseIdParam(request.params);
    if (!(await sessionStore.revokeById(id)))
      throw notFound(`session ${id} does not exist or is already revoked`);
    response.status(204).end();
  });

  app.get('/admin/identities/:id/sessions', async (request, response) => {
    const { id } = parseIdParam(request.params);
    const identity = await identityStore.findIdentity(id);
    if (!identity) throw notFound(`identity ${id} does not exist`);
    const list = await sessionStore.listOfIdentity(id);
    response.json(list.map((session) => sessionView(views, session, identity)));
  });

  app.delete('/admin/identities/:id/sessions', async (request, response) => {
    const { id } = parseIdParam(request.params);
    if (!(await identityStore.findIdentity(id))) throw notFound(`identity ${id} does not exist`);
    await sessionStore.deleteOfIdentity(id);
    response.status(204).end();
  });
}
