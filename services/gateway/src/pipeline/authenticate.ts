import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayConfig, SessionCheckConfig } from '../config';
import { callHandler } from '../outbound';
import type { CompiledAuthenticator } from '../rules/compiled-rule';
import { dependencyFailure, isCallFailure, unauthorizedRequest } from './failures';

const tracer = trace.getTracer('gateway');

export interface Authenticated {
  subject: string;
  extra: unknown;
}

/** An authenticator that finds none of its credentials in the request passes to the next, as in Oathkeeper. */
const notResponsible = Symbol('not responsible');

function cookiesOf(header: string | undefined, only: readonly string[]): string | undefined {
  const wanted = (header ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => only.length === 0 || only.includes(part.split('=')[0] ?? ''));
  return wanted.length > 0 ? wanted.join('; ') : undefined;
}

function bearerOf(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '');
  if (match) return match[1];
  const sessionToken = headers['x-session-token'];
  return typeof sessionToken === 'string' && sessionToken !== '' ? sessionToken : undefined;
}

function valueAt(value: unknown, path: string): unknown {
  if (path === '@this' || path === '') return value;
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) =>
        node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined,
      value,
    );
}

export class Authenticator {
  /** check_session_url strings parsed once: the handful of URLs the rules name. */
  private readonly parsedUrls = new Map<string, URL>();

  constructor(
    private readonly config: GatewayConfig,
    private readonly timeoutMs: number,
  ) {}

  /** Runs the rule's authenticators in order, each under an `authn.<handler>` span. */
  async authenticate(
    handlers: readonly CompiledAuthenticator[],
    headers: IncomingHttpHeaders,
    path: string,
    signal?: AbortSignal,
  ): Promise<Authenticated> {
    for (const handler of handlers) {
      const result = await tracer.startActiveSpan(`authn.${handler.handler}`, async (span) => {
        try {
          const outcome = await this.run(handler, headers, path, signal);
          if (outcome !== notResponsible) {
            span.setAttribute('gateway.subject', outcome.subject);
            return outcome;
          }
          span.setAttribute('gateway.authn.responsible', false);
          if (handler === handlers.at(-1)) {
            // The last authenticator records why the request is refused: none found credentials.
            span.setAttribute('gateway.authn.failure', 'no authenticator found credentials in the request');
            span.setStatus({ code: SpanStatusCode.ERROR, message: 'no credentials' });
          }
          return outcome;
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          span.setAttribute(
            'gateway.authn.failure',
            (error as { reason?: string }).reason ?? (error as Error).message,
          );
          throw error;
        } finally {
          span.end();
        }
      });
      if (result !== notResponsible) return result;
    }
    throw unauthorizedRequest('no authenticator found credentials in the request');
  }

  private async run(
    handler: CompiledAuthenticator,
    headers: IncomingHttpHeaders,
    path: string,
    signal: AbortSignal | undefined,
  ): Promise<Authenticated | typeof notResponsible> {
    switch (handler.handler) {
      case 'noop':
        return { subject: '', extra: {} };
      case 'anonymous': {
        if (headers.authorization) return notResponsible;
        const subject =
          (handler.config.subject as string | undefined) ??
          this.config.authenticators.anonymous.config.subject;
        return { subject, extra: {} };
      }
      case 'cookie_session': {
        const settings = {
          ...this.config.authenticators.cookie_session.config,
          ...handler.config,
        } as SessionCheckConfig & { only: string[] };
        const cookie = cookiesOf(headers.cookie, settings.only);
        if (!cookie) return notResponsible;
        return this.checkSession(settings, { cookie }, path, signal);
      }
      case 'bearer_token': {
        const settings = {
          ...this.config.authenticators.bearer_token.config,
          ...handler.config,
        } as SessionCheckConfig;
        const token = bearerOf(headers);
        if (!token) return notResponsible;
        return this.checkSession(settings, { authorization: `Bearer ${token}` }, path, signal);
      }
    }
  }

  /** Asks the session check (Kratos whoami); 200 with a subject authenticates, 401/403 does not, anything else fails closed. */
  private async checkSession(
    settings: SessionCheckConfig,
    credentials: Record<string, string>,
    path: string,
    signal: AbortSignal | undefined,
  ): Promise<Authenticated> {
    // Oathkeeper's rule: the request path replaces check_session_url's path unless preserve_path is set.
    let url = this.parsedUrls.get(settings.check_session_url);
    if (!url) {
      url = new URL(settings.check_session_url);
      this.parsedUrls.set(settings.check_session_url, url);
    }
    if (!settings.preserve_path) {
      url = new URL(url);
      url.pathname = path;
    }
    let response;
    try {
      response = await callHandler({
        method: 'GET',
        url,
        headers: { accept: 'application/json', ...credentials },
        timeoutMs: this.timeoutMs,
        signal,
      });
    } catch (error) {
      if (!isCallFailure(error)) throw error;
      throw dependencyFailure('the session check', error);
    }
    if (response.status === 401 || response.status === 403)
      throw unauthorizedRequest('the session is not valid');
    if (response.status !== 200)
      throw dependencyFailure('the session check', new Error(`status ${response.status}`));
    let session: unknown;
    try {
      session = JSON.parse(response.body);
    } catch {
      throw dependencyFailure('the session check', new Error('not JSON'));
    }
    const subject = valueAt(session, settings.subject_from);
    if (typeof subject !== 'string' || subject === '')
      throw dependencyFailure('the session check', new Error('no subject'));
    return { subject, extra: valueAt(session, settings.extra_from) };
  }
}
