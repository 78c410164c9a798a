import { context } from '@opentelemetry/api';
import type { Express, Request, Response } from 'express';
import { validAuthority } from '../authority';
import { bodyFramingOf } from '../framing';
import { ClientBody } from '../client-body';
import { clientGoneSignal } from '../client-gone';
import { recordRefusal } from '../refusal';
import { boundedTraceContext } from '../trace-headers';
import { parseDuration } from '@mesh/config';
import type { GatewayConfig } from '../config';
import { normalisePath } from '../path';
import { answerError } from '../pipeline/answer-error';
import { decide, ruleOf, type AccessRequest } from '../pipeline/decide';
import { proxyToUpstream } from '../proxy';
import type { RuleRepository } from '../rules/repository';

/** The proxy port: every request runs the pipeline, and only an allowed one reaches its upstream. */
export function addProxyRoutes(app: Express, config: GatewayConfig, repository: RuleRepository): void {
  const headersTimeoutMs = parseDuration('timeouts.upstream', config.timeouts.upstream);
  const idleTimeoutMs = parseDuration('timeouts.upstream_idle', config.timeouts.upstream_idle);
  app.use((request, response) =>
    context.with(boundedTraceContext(), async () => {
      try {
        await proxyRequest(request, response);
      } catch (error) {
        recordRefusal(error, request);
        throw error;
      }
    }),
  );

  async function proxyRequest(request: Request, response: Response): Promise<void> {
    const host = validAuthority(request.headers.host, 'Host');
    const framing = bodyFramingOf(request);
    const raw = request.originalUrl;
    const queryAt = raw.indexOf('?');
    const path = normalisePath(queryAt < 0 ? raw : raw.slice(0, queryAt));
    const query = queryAt < 0 ? '' : raw.slice(queryAt);
    const forbiddenHeaders = repository.mutatedHeaders;
    const clientGone = clientGoneSignal(response);
    for (const name of forbiddenHeaders) delete request.headers[name];
    const body = new ClientBody(request, framing, clientGone);
    const access: AccessRequest = {
      method: request.method,
      url: new URL(`http://${host}${path}${query}`),
      path,
      headers: request.headers,
      remoteAddress: request.socket.remoteAddress ?? '',
      signal: clientGone,
      body,
    };
    let decision;
    try {
      decision = await decide(repository, access);
    } catch (error) {
      answerError(error, ruleOf(error)?.errors ?? [], repository.fallback, access, response);
      return;
    }
    await proxyToUpstream({
      request,
      response,
      decision,
      host,
      framing,
      body,
      pathAndQuery: `${path}${query}`,
      forbiddenHeaders,
      clientProtocol: 'http',
      headersTimeoutMs,
      idleTimeoutMs,
      clientGone,
    });
  }
}
