import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import { html, type Html } from '@mesh/html';
import { packageVersion } from '@mesh/config';
import { closeServers, createApp, listen } from '@mesh/server';
import type { BootContext, RunningService } from '@mesh/tracing';
import express, { type Request, type Response } from 'express';
import type { WebConfig } from './config';
import { flowForm, flowMessages, isFlow, type Flow } from './flow-form';
import { call } from './outbound';
import { PageLog } from './page-log';
import { page, type PageContext } from './pages';

export interface WebServer extends RunningService {
  server: Server;
}

interface Session {
  identity: { id: string; traits?: { email?: string } };
}

interface DocumentView {
  id: string;
  title: string;
  body: string;
  owner: string;
}

const csrfCookie = 'web_csrf';
const documentIdPattern = /^[A-Za-z0-9._-]{1,128}$/;
const form = express.urlencoded({ extended: false, limit: '200kb' });

const cookieValue = (request: Request, name: string): string | undefined =>
  (request.get('cookie') ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([key]) => key === name)?.[1];

/**
 * The web app: identity's self-service pages (login, registration, settings) drawn from its browser flows,
 * and the documents' pages. The browser reaches it only through the gateway; it calls identity with the
 * person's cookies, reads a document through the gateway (so the gateway asks permission and documents gets
 * the gateway's id_token), lists and creates documents on documents' admin API, and writes a new document's
 * owner tuple itself.
 */
export async function serve(config: WebConfig, { log }: Pick<BootContext, 'log'>): Promise<WebServer> {
  const urls = {
    browser: config.urls.browser.replace(/\/$/, ''),
    gateway: config.urls.gateway.replace(/\/$/, ''),
    identity: config.urls.identity.replace(/\/$/, ''),
    documentsAdmin: config.urls.documents_admin.replace(/\/$/, ''),
    permissionRead: config.urls.permission_read.replace(/\/$/, ''),
    permissionWrite: config.urls.permission_write.replace(/\/$/, ''),
  };
  const jaegerUiUrl = config.jaeger_ui_url.replace(/\/$/, '');

  const begin = (request: Request) => new PageLog(request.method, request.originalUrl.split('?')[0] ?? '/');
  const send = (response: Response, status: number, title: string, context: PageContext, body: Html) => {
    response
      .status(status)
      .set({
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
      })
      .send(page(title, status, context, body).markup);
  };
  /** The web app's double-submit token: a random cookie the forms echo; a cross-site form cannot read it. */
  const csrfTokenFor = (request: Request, response: Response): string => {
    const existing = cookieValue(request, csrfCookie);
    if (existing && /^[0-9a-f]{64}$/.test(existing)) return existing;
    const token = randomBytes(32).toString('hex');
    response.cookie(csrfCookie, token, { httpOnly: true, sameSite: 'lax', path: '/' });
    return token;
  };
  const csrfValid = (request: Request): boolean => {
    const cookie = cookieValue(request, csrfCookie) ?? '';
    const field = typeof request.body?.csrf_token === 'string' ? (request.body.csrf_token as string) : '';
    return (
      cookie.length === 64 && field.length === 64 && timingSafeEqual(Buffer.from(cookie), Buffer.from(field))
    );
  };
  const cookies = (request: Request) => ({ cookie: request.get('cookie') ?? '' });

  /** The signed-in person, from identity's whoami with their cookie; undefined without a session. */
  const whoami = async (request: Request, pageLog: PageLog): Promise<Session | undefined> => {
    const answer = pageLog.record(
      await call('GET', `${urls.identity}/sessions/whoami`, { headers: cookies(request) }),
    );
    if (answer.status === 200) return answer.body as Session;
    if (answer.status === 401) return undefined;
    throw new Error(`identity whoami answered ${answer.status}`);
  };
  const signInAgain = (request: Request, response: Response) =>
    response.redirect(303, `/login?return_to=${encodeURIComponent(`${urls.browser}${request.originalUrl}`)}`);

  /** A self-service page: start the browser flow when there is none, else draw the flow's form. */
  const flowPage =
    (type: 'login' | 'registration' | 'settings', title: string, submitLabel: string) =>
    async (request: Request, response: Response) => {
      const pageLog = begin(request);
      const flowId = typeof request.query.flow === 'string' ? request.query.flow : undefined;
      if (!flowId) {
        const returnTo = typeof request.query.return_to === 'string' ? request.query.return_to : undefined;
        response.redirect(
          303,
          `${urls.browser}/self-service/${type}/browser${returnTo ? `?return_to=${encodeURIComponent(returnTo)}` : ''}`,
        );
        return;
      }
      const answer = pageLog.record(
        await call('GET', `${urls.identity}/self-service/${type}/flows?id=${encodeURIComponent(flowId)}`, {
          headers: cookies(request),
        }),
      );
      // An unknown or expired flow starts over, as Kratos's own UI does.
      if (answer.status === 404 || answer.status === 410 || answer.status === 400) {
        response.redirect(303, `/${type}`);
        return;
      }
      if (answer.status === 401 || answer.status === 403) return signInAgain(request, response);
      if (answer.status !== 200 || !isFlow(answer.body))
        throw new Error(`identity answered ${answer.status} for the ${type} flow`);
      const flow: Flow = answer.body;
      const session = type === 'settings' ? await whoami(request, pageLog) : undefined;
      const context: PageContext = {
        log: pageLog,
        jaegerUiUrl,
        email: session?.identity.traits?.email,
        csrfToken: session ? csrfTokenFor(request, response) : undefined,
      };
      const body =
        type === 'settings'
          ? html`<h1>${title}</h1>
              ${flowMessages(flow)}
              <h2>Password</h2>
              ${flowForm(flow, 'Change password', 'password')}
              <h2>Profile</h2>
              ${flowForm(flow, 'Save', 'profile')}`
          : html`<h1>${title}</h1>
              ${flowMessages(flow)}${flowForm(flow, submitLabel)}
              <p>
                ${type === 'login' ? html`No account yet? <a href="/registration">Register</a>` : html`Have an account? <a href="/login">Sign in</a>`}
              </p>`;
      send(response, 200, title, context, body);
    };

  const app = createApp({ log, version: packageVersion(__dirname), parseJson: false }, (routes) => {
    routes.get('/login', flowPage('login', 'Sign in', 'Sign in'));
    routes.get('/registration', flowPage('registration', 'Register', 'Register'));
    routes.get('/settings', flowPage('settings', 'Settings', 'Save'));

    routes.get('/', async (request, response) => {
      const pageLog = begin(request);
      const session = await whoami(request, pageLog);
      if (!session) return signInAgain(request, response);
      const listed = pageLog.record(await call('GET', `${urls.documentsAdmin}/documents`));
      if (listed.status !== 200 || !Array.isArray(listed.body))
        throw new Error(`documents answered ${listed.status}`);
      const documents = listed.body as DocumentView[];
      const checks = pageLog.record(
        await call('POST', `${urls.permissionRead}/relation-tuples/batch/check`, {
          json: {
            tuples: documents.map((document) => ({
              namespace: 'Document',
              object: document.id,
              relation: 'view',
              subject_id: session.identity.id,
            })),
          },
        }),
      );
      if (checks.status !== 200) throw new Error(`permission answered ${checks.status}`);
      const allowed = (checks.body as { results: { allowed: boolean }[] }).results.map(
        (result) => result.allowed,
      );
      const mine = documents.filter((_, index) => allowed[index]);
      const others = documents.filter((_, index) => !allowed[index]);
      const item = (document: DocumentView) =>
        html`<li>
          <a href="/app/documents/${document.id}">${document.title}</a> <code>${document.id}</code>
        </li>`;
      send(
        response,
        200,
        'Documents',
        {
          log: pageLog,
          jaegerUiUrl,
          email: session.identity.traits?.email,
          csrfToken: csrfTokenFor(request, response),
        },
        html`<h1>Documents</h1>
          <h2>You may open</h2>
          ${
            mine.length > 0
              ? html`<ul id="allowed">
                  ${mine.map(item)}
                </ul>`
              : html`<p>None yet: create one below.</p>`
          }
          <h2>Others (you may not open these; try one)</h2>
          ${
            others.length > 0
              ? html`<ul id="denied">
                  ${others.map(item)}
                </ul>`
              : html`<p>None.</p>`
          }
          <h2>New document</h2>
          <form method="post" action="/app/documents">
            <input type="hidden" name="csrf_token" value="${csrfTokenFor(request, response)}" />
            <label for="title">Title</label
            ><input id="title" name="title" type="text" required maxlength="500" />
            <label for="body">Text</label
            ><textarea id="body" name="body" rows="4" maxlength="100000"></textarea>
            <button type="submit">Create document</button>
          </form>`,
      );
    });

    routes.get('/app/documents/:id', async (request, response) => {
      const pageLog = begin(request);
      const id = String(request.params.id);
      const session = await whoami(request, pageLog);
      if (!session) return signInAgain(request, response);
      const context: PageContext = {
        log: pageLog,
        jaegerUiUrl,
        email: session.identity.traits?.email,
        csrfToken: csrfTokenFor(request, response),
      };
      if (!documentIdPattern.test(id))
        return send(response, 400, 'Bad document id', context, html`<h1>Bad document id</h1>`);
      // Through the gateway with the person's cookie: the gateway authenticates and asks permission.
      const answer = pageLog.record(
        await call('GET', `${urls.gateway}/documents/${encodeURIComponent(id)}`, {
          headers: cookies(request),
        }),
      );
      if (answer.status === 200) {
        const document = answer.body as DocumentView;
        return send(
          response,
          200,
          document.title,
          context,
          html`<article>
              <h1>${document.title}</h1>
              <p>${document.body}</p>
              <p>
                <small>Document <code>${document.id}</code>, owner <code>${document.owner}</code></small>
              </p>
            </article>
            <p><a href="/">All documents</a></p>`,
        );
      }
      if (answer.status === 403) {
        return send(
          response,
          403,
          'Not allowed',
          context,
          html`<div class="denied">
              <h1>You may not open this document</h1>
              <p>
                The gateway asked permission whether you may <code>view</code> <code>Document:${id}</code>:
                the answer was no (403).
              </p>
            </div>
            <p><a href="/">All documents</a></p>`,
        );
      }
      if (answer.status === 404)
        return send(
          response,
          404,
          'Not found',
          context,
          html`<h1>No document ${id}</h1>
            <p><a href="/">All documents</a></p>`,
        );
      if (answer.status === 401) return signInAgain(request, response);
      return send(
        response,
        502,
        'Unavailable',
        context,
        html`<h1>The documents API answered ${answer.status}</h1>`,
      );
    });

    routes.post('/app/documents', form, async (request, response) => {
      const pageLog = begin(request);
      const session = await whoami(request, pageLog);
      if (!session) return signInAgain(request, response);
      const context: PageContext = {
        log: pageLog,
        jaegerUiUrl,
        email: session.identity.traits?.email,
        csrfToken: csrfTokenFor(request, response),
      };
      if (!csrfValid(request))
        return send(
          response,
          403,
          'Form expired',
          context,
          html`<h1>The form expired</h1>
            <p><a href="/">Back to the documents</a> and try again.</p>`,
        );
      const title = typeof request.body?.title === 'string' ? (request.body.title as string).trim() : '';
      const text = typeof request.body?.body === 'string' ? (request.body.body as string) : '';
      if (!title || title.length > 500)
        return send(
          response,
          400,
          'Title missing',
          context,
          html`<h1>A document needs a title (up to 500 characters)</h1>
            <p><a href="/">Back</a></p>`,
        );
      const id = `doc-${randomUUID().slice(0, 8)}`;
      const created = pageLog.record(
        await call('PUT', `${urls.documentsAdmin}/documents/${id}`, {
          json: { title, body: text, owner: session.identity.id },
        }),
      );
      if (created.status !== 201) throw new Error(`documents answered ${created.status} for a new document`);
      const tuple = pageLog.record(
        await call('PUT', `${urls.permissionWrite}/admin/relation-tuples`, {
          json: { namespace: 'Document', object: id, relation: 'owners', subject_id: session.identity.id },
        }),
      );
      if (tuple.status !== 201 && tuple.status !== 200)
        throw new Error(`permission answered ${tuple.status} for the owner tuple`);
      response.redirect(303, `/app/documents/${id}`);
    });

    routes.post('/logout', form, async (request, response) => {
      const pageLog = begin(request);
      const session = await whoami(request, pageLog);
      if (!session) return signInAgain(request, response);
      if (!csrfValid(request)) {
        return send(
          response,
          403,
          'Form expired',
          {
            log: pageLog,
            jaegerUiUrl,
            email: session.identity.traits?.email,
            csrfToken: csrfTokenFor(request, response),
          },
          html`<h1>The form expired</h1>
            <p><a href="/">Back</a> and sign out again.</p>`,
        );
      }
      const answer = pageLog.record(
        await call('GET', `${urls.identity}/self-service/logout/browser`, { headers: cookies(request) }),
      );
      const logoutUrl = (answer.body as { logout_url?: unknown } | undefined)?.logout_url;
      if (answer.status !== 200 || typeof logoutUrl !== 'string')
        throw new Error(`identity answered ${answer.status} for the logout flow`);
      response.redirect(303, logoutUrl);
    });
  });
  const server = await listen(app, { ...config.serve.public, log, name: 'public' });
  return {
    server,
    async stop() {
      await closeServers([server]);
    },
  };
}
