import express, { type Express, type Request, type Response } from 'express';
import type { IdentityConfig } from '../config';
import type { CsrfProtection } from '../csrf';
import {
  alreadyLoggedIn,
  flowExpired,
  identityMismatch,
  KratosError,
  noActiveSession,
} from '../kratos-errors';
import { parseFlowIdQuery, parseFlowQuery } from '../request-schemas';
import type { FlowService } from '../selfservice/flow-service';
import type { ReturnToPolicy } from '../selfservice/return-to';
import {
  submitLogin,
  submitRegistration,
  submitSettings,
  type StrategyDeps,
} from '../selfservice/strategies';
import { FlowValidationError, submissionBody, wantsJson } from '../selfservice/submission';
import type { IssuedSession, SessionService } from '../session-service';
import type { FlowRecord, FlowType } from '../store/flow-store';
import type { IdentityRecord } from '../store/identity-store';
import { flowExpiredText, text } from '../text';
import { flowView, publicIdentityView, sessionView, type ViewContext } from '../views';

export interface SelfServiceDeps {
  config: IdentityConfig;
  flows: FlowService;
  csrf: CsrfProtection;
  sessions: SessionService;
  returnTo: ReturnToPolicy;
  strategies: StrategyDeps;
  views: ViewContext;
}

const acceptsJson = (request: Request) => (request.get('accept') ?? '').includes('application/json');
const form = express.urlencoded({ extended: false, limit: '1mb' });

/** Kratos's self-service login, registration and settings flows, browser and native (api). */
export function addSelfServiceRoutes(app: Express, deps: SelfServiceDeps): void {
  const { config, flows, csrf, sessions, views } = deps;
  const defaultReturn = config.selfservice.default_browser_return_url;

  const flowJson = (flow: FlowRecord, identity?: IdentityRecord) => flowView(views, flow, identity);

  for (const type of ['login', 'registration'] as const) {
    app.get(`/self-service/${type}/browser`, async (request, response) => {
      const returnTo = deps.returnTo.check(request.query.return_to);
      const refresh = type === 'login' && request.query.refresh === 'true';
      if (!refresh && (await sessions.optional(request))) {
        if (acceptsJson(request)) throw alreadyLoggedIn();
        response.redirect(303, returnTo ?? defaultReturn);
        return;
      }
      const flow = await flows.create(type, 'browser', request, response, { returnTo });
      if (acceptsJson(request)) response.json(flowJson(flow));
      else response.redirect(303, flows.uiUrl(type, flow.id));
    });
    app.get(`/self-service/${type}/api`, async (request, response) => {
      response.json(flowJson(await flows.create(type, 'api', request, response)));
    });
    app.get(`/self-service/${type}/flows`, async (request, response) => {
      const { id } = parseFlowIdQuery(request.query);
      response.json(flowJson(await flows.forLookup(id, type)));
    });
  }

  app.get('/self-service/settings/browser', async (request, response) => {
    const returnTo = deps.returnTo.check(request.query.return_to);
    const active = await sessions.optional(request);
    if (!active) {
      if (acceptsJson(request)) throw noActiveSession();
      response.redirect(303, `${flows.publicBaseUrl}/self-service/login/browser`);
      return;
    }
    const flow = await flows.create('settings', 'browser', request, response, {
      returnTo,
      identityId: active.identity.id,
    });
    if (acceptsJson(request)) response.json(flowJson(flow, active.identity));
    else response.redirect(303, flows.uiUrl('settings', flow.id));
  });

  app.get('/self-service/settings/api', async (request, response) => {
    const active = await sessions.active(request);
    const flow = await flows.create('settings', 'api', request, response, { identityId: active.identity.id });
    response.json(flowJson(flow, active.identity));
  });

  app.get('/self-service/settings/flows', async (request, response) => {
    const { id } = parseFlowIdQuery(request.query);
    const flow = await flows.forLookup(id, 'settings');
    const active = await sessions.active(request);
    if (active.identity.id !== flow.identity_id) throw identityMismatch();
    response.json(flowJson(flow, active.identity));
  });

  /** A completed login or registration: the session token (api), or the signed cookie and a redirect (browser). */
  const completeAuthentication = (
    type: 'login' | 'registration',
    flow: FlowRecord,
    issued: IssuedSession,
    request: Request,
    response: Response,
  ) => {
    const session = sessionView(views, issued.session, issued.identity);
    const identity = type === 'registration' ? { identity: publicIdentityView(views, issued.identity) } : {};
    if (flow.kind === 'api') {
      response.json({ ...identity, session, session_token: issued.token });
      return;
    }
    sessions.cookie.set(response, issued.token, issued.session.expires_at);
    if (wantsJson(request)) response.json({ ...identity, session });
    else response.redirect(303, flow.return_to ?? defaultReturn);
  };

  const submit = (type: FlowType) => async (request: Request, response: Response) => {
    const { flow: flowId } = parseFlowQuery(request.query);
    const body = submissionBody(request);
    const json = wantsJson(request);
    const fromForm = !(request.get('content-type') ?? '').includes('application/json');
    const flow = await flows.forSubmission(flowId, type);
    if (flows.expired(flow)) {
      const expiredAt = new Date(flow.expires_at);
      const next = await flows.create(type, flow.kind, request, response, {
        returnTo: flow.return_to ?? undefined,
        identityId: flow.identity_id ?? undefined,
        state: { messages: [flowExpiredText[type]((Date.now() - expiredAt.getTime()) / 60_000)] },
      });
      if (json) throw flowExpired(expiredAt, next.id);
      response.redirect(303, flows.uiUrl(type, next.id));
      return;
    }
    if (flow.kind === 'browser') csrf.verify(request, body.csrf_token);
    const active = type === 'settings' ? await sessions.active(request) : undefined;
    if (active && active.identity.id !== flow.identity_id) throw identityMismatch();
    try {
      if (type === 'login') {
        completeAuthentication(
          type,
          flow,
          await submitLogin(deps.strategies, body, request),
          request,
          response,
        );
      } else if (type === 'registration') {
        const issued = await submitRegistration(deps.strategies, body, request, fromForm);
        completeAuthentication(type, flow, issued, request, response);
      } else if (active) {
        const { identity } = await submitSettings(deps.strategies, body, request, active, fromForm);
        await flows.save(flow, 'success', { messages: [text.infoSettingsSaved()] });
        if (json || flow.kind === 'api') response.json(flowJson(flow, identity));
        else response.redirect(303, flows.uiUrl('settings', flow.id));
      }
    } catch (error) {
      if (error instanceof FlowValidationError) {
        await flows.save(flow, flow.state === 'success' ? 'show_form' : flow.state, error.state);
        if (json || flow.kind === 'api') response.status(400).json(flowJson(flow, active?.identity));
        else response.redirect(303, flows.uiUrl(type, flow.id));
        return;
      }
      const retryAfter = error instanceof KratosError ? error.details?.retry_after_seconds : undefined;
      if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
      throw error;
    }
  };

  app.post('/self-service/login', form, submit('login'));
  app.post('/self-service/registration', form, submit('registration'));
  app.post('/self-service/settings', form, submit('settings'));
}
