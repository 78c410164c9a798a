import { badRequest, forbidden, notFound } from '@mesh/server';
import type { Express } from 'express';
import type { IdentityConfig } from '../config';
import { parseIdParam, parseLogoutBody } from '../request-schemas';
import type { ReturnToPolicy } from '../selfservice/return-to';
import { wantsJson } from '../selfservice/submission';
import { isActive, type SessionService } from '../session-service';
import { hashToken } from '../session-token';
import type { SessionStore } from '../store/session-store';
import { sessionView, type ViewContext } from '../views';

export interface PublicDeps {
  config: IdentityConfig;
  sessions: SessionService;
  sessionStore: SessionStore;
  returnTo: ReturnToPolicy;
  views: ViewContext;
}

const unknownLogoutToken = () =>
  forbidden(
    'the logout token is unknown, or its session is already revoked',
    'Unable to log out because the logout token in the URL query does not match an active session.',
  );

/** Kratos's public API besides the flows: whoami, the caller's own sessions, logout. */
export function addPublicRoutes(app: Express, deps: PublicDeps): void {
  const { sessions, sessionStore, views } = deps;
  const base = deps.config.serve.public.base_url.replace(/\/$/, '');

  app.get('/sessions/whoami', async (request, response) => {
    const { session, identity } = await sessions.active(request);
    response.setHeader('X-Kratos-Authenticated-Identity-Id', identity.id);
    response.json(sessionView(views, session, identity));
  });

  /** listMySessions: the caller's other active sessions. */
  app.get('/sessions', async (request, response) => {
    const { session, identity } = await sessions.active(request);
    const others = (await sessionStore.listOfIdentity(identity.id)).filter(
      (other) => other.id !== session.id && isActive(other),
    );
    response.json(others.map((other) => sessionView(views, other, identity)));
  });

  /** disableMyOtherSessions. */
  app.delete('/sessions', async (request, response) => {
    const { session, identity } = await sessions.active(request);
    let count = 0;
    for (const other of await sessionStore.listOfIdentity(identity.id)) {
      if (other.id !== session.id && (await sessionStore.revokeById(other.id))) count++;
    }
    response.json({ count });
  });

  /** disableMySession: one of the caller's other sessions (not the current one, as Kratos). */
  app.delete('/sessions/:id', async (request, response) => {
    const { id } = parseIdParam(request.params);
    const { session, identity } = await sessions.active(request);
    if (id === session.id)
      throw badRequest('the current session cannot be revoked here; use the logout flow');
    const target = await sessionStore.findById(id);
    if (!target || target.identity_id !== identity.id || !(await sessionStore.revokeById(id)))
      throw notFound(`session ${id} does not exist or is already revoked`);
    response.status(204).end();
  });

  /** createBrowserLogoutFlow: a logout_url for the browser's session. */
  app.get('/self-service/logout/browser', async (request, response) => {
    const returnTo = deps.returnTo.check(request.query.return_to);
    const { session } = await sessions.active(request);
    const logoutToken = await sessions.newLogoutToken(session);
    const url = new URL(`${base}/self-service/logout`);
    url.searchParams.set('token', logoutToken);
    if (returnTo) url.searchParams.set('return_to', returnTo);
    response.json({ logout_url: url.toString(), logout_token: logoutToken });
  });

  /** updateLogoutFlow: revokes the session of the logout token, clears the cookie, redirects. */
  app.get('/self-service/logout', async (request, response) => {
    const token = request.query.token;
    if (typeof token !== 'string' || token === '') throw badRequest('the query parameter token is required');
    const returnTo = deps.returnTo.check(request.query.return_to);
    if (!(await sessionStore.revokeByLogoutTokenHash(hashToken(token)))) throw unknownLogoutToken();
    sessions.cookie.clear(response);
    if (wantsJson(request)) response.status(204).end();
    else
      response.redirect(
        303,
        returnTo ?? deps.config.selfservice.flows.logout.after.default_browser_return_url,
      );
  });

  /** performNativeLogout. */
  app.delete('/self-service/logout/api', async (request, response) => {
    const { session_token } = parseLogoutBody(request.body);
    if (!(await sessionStore.revokeByTokenHash(hashToken(session_token)))) {
      throw forbidden(
        'the session token is unknown or already revoked',
        'Unable to log out the session because the session token is unknown or revoked.',
      );
    }
    response.status(204).end();
  });
}
