import type { Express } from 'express';
import { parseDuration } from '@mesh/config';
import type { GatewayConfig } from '../config';
import { normalisePath } from '../path';
import type { Authenticator } from '../pipeline/authenticate';
import type { Authorizer } from '../pipeline/authorize';
import { decide } from '../pipeline/decide';
import { proxyToUpstream } from '../proxy';
import type { RuleRepository } from '../rules/repository';

/** The proxy port: every request runs the pipeline, and only an allowed one reaches its upstream. */
export function addProxyRoutes(
  app: Express,
  config: GatewayConfig,
  repository: RuleRepository,
  authenticator: Authenticator,
  authorizer: Authorizer,
): void {
  const timeoutMs = parseDuration('timeouts.upstream', config.timeouts.upstream);
  app.use(async (request, response) => {
    const raw = request.originalUrl;
    const queryAt = raw.indexOf('?');
    const path = normalisePath(queryAt < 0 ? raw : raw.slice(0, queryAt));
    const query = queryAt < 0 ? '' : raw.slice(queryAt);
    const forbiddenHeaders = repository.mutatedHeaders;
    for (const name of forbiddenHeaders) delete request.headers[name];
    const decision = await decide(repository, authenticator, authorizer, {
      method: request.method,
      origin: `http://${request.headers.host ?? 'localhost'}`,
      path,
      headers: request.headers,
    });
    await proxyToUpstream({
      request,
      response,
      decision,
      pathAndQuery: `${path}${query}`,
      forbiddenHeaders,
      clientProtocol: 'http',
      timeoutMs,
    });
  });
}
