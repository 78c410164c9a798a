import type { Express, Request } from 'express';
import type { IdentityService } from '../identity-service';
import {
  parseFlowIdQuery,
  parseFlowQuery,
  parseLoginBody,
  parseLogoutBody,
  parseRegistrationBody,
} from '../request-schemas';
import { sessionTokenOf } from '../session-token';
import { flowView, sessionView } from '../views';

const baseUrlOf = (request: Request) => `${request.protocol}://${request.get('host') ?? 'localhost'}`;

/** Kratos's public API: whoami, the native (API) login and registration flows, logout. */
export function addPublicRoutes(app: Express, identities: IdentityService): void {
  app.get('/sessions/whoami', async (request, response) => {
    const { session, identity } = await identities.whoami(sessionTokenOf(request));
    response.setHeader('X-Kratos-Authenticated-Identity-Id', identity.id);
    response.json(sessionView(session, identity));
  });

  for (const type of ['login', 'registration'] as const) {
    app.get(`/self-service/${type}/api`, async (request, response) => {
      const flow = await identities.createFlow(type, `${baseUrlOf(request)}${request.originalUrl}`);
      response.json(flowView(flow, baseUrlOf(request)));
    });
    app.get(`/self-service/${type}/flows`, async (request, response) => {
      const { id } = parseFlowIdQuery(request.query);
      response.json(flowView(await identities.findFlow(id, type), baseUrlOf(request)));
    });
  }

  app.post('/self-service/login', async (request, response) => {
    const { flow } = parseFlowQuery(request.query);
    const body = parseLoginBody(request.body);
    await identities.activeFlow(flow, 'login');
    const issued = await identities.login(body.identifier, body.password);
    response.json({ session_token: issued.token, session: sessionView(issued.session, issued.identity) });
  });

  app.post('/self-service/registration', async (request, response) => {
    const { flow } = parseFlowQuery(request.query);
    const body = parseRegistrationBody(request.body);
    await identities.activeFlow(flow, 'registration');
    const issued = await identities.register(body.traits.email, body.password);
    response.json({
      identity: sessionView(issued.session, issued.identity).identity,
      session: sessionView(issued.session, issued.identity),
      session_token: issued.token,
    });
  });

  app.delete('/self-service/logout/api', async (request, response) => {
    const { session_token } = parseLogoutBody(request.body);
    await identities.logout(session_token);
    response.status(204).end();
  });
}
