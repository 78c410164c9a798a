import { context } from '@opentelemetry/api';
import type { Express, Request, Response } from 'express';
import { validAuthority, validScheme } from '../authority';
import { ClientBody } from '../client-body';
import { clientGoneSignal } from '../client-gone';
import { bodyFramingOf } from '../framing';
import { recordRefusal } from '../refusal';
import { boundedTraceContext } from '../trace-headers';
import { notFound } from '@mesh/server';
import { normalisePath } from '../path';
import { publishedKeys } from '../handlers/mutators/signing-keys';
import { answerError } from '../pipeline/answer-error';
import { decide, ruleOf, type AccessRequest } from '../pipeline/decide';
import type { RuleRepository } from '../rules/repository';

const forwarded = (request: Request, name: string): string | undefined => {
  const value = request.get(`x-forwarded-${name}`);
  return value === undefined || value === '' ? undefined : value;
};

/** The API port: Oathkeeper's decision API (for nginx auth_request or Envoy ext_authz) and the rules. */
export function addApiRoutes(app: Express, repository: RuleRepository): void {
  app.use('/decisions', (request, response) =>
    context.with(boundedTraceContext(), async () => {
      try {
        await decideRequest(request, response);
      } catch (error) {
        recordRefusal(error, request);
        throw error;
      }
    }),
  );

  async function decideRequest(request: Request, response: Response): Promise<void> {
    const host = validAuthority(
      forwarded(request, 'host') ?? request.get('host'),
      forwarded(request, 'host') === undefined ? 'Host' : 'X-Forwarded-Host',
    );
    const scheme = validScheme(forwarded(request, 'proto') ?? 'http');
    const uri = forwarded(request, 'uri') ?? request.url;
    const queryAt = uri.indexOf('?');
    const path = normalisePath(queryAt < 0 ? uri : uri.slice(0, queryAt));
    for (const name of repository.mutatedHeaders) delete request.headers[name];
    const clientGone = clientGoneSignal(response);
    const access: AccessRequest = {
      method: forwarded(request, 'method') ?? request.method,
      url: new URL(`${scheme}://${host}${path}${queryAt < 0 ? '' : uri.slice(queryAt)}`),
      path,
      headers: request.headers,
      remoteAddress: request.socket.remoteAddress ?? '',
      signal: clientGone,
      body: new ClientBody(request, bodyFramingOf(request), clientGone),
    };
    let decision;
    try {
      decision = await decide(repository, access, '/decisions');
    } catch (error) {
      answerError(error, ruleOf(error)?.errors ?? [], repository.fallback, access, response);
      return;
    }
    for (const [name, value] of Object.entries(decision.mutatedHeaders)) response.setHeader(name, value);
    response.status(200).end();
  }

  // The public keys of the id_token mutator, for upstreams that verify its tokens.
  app.get('/.well-known/jwks.json', (_request, response) => {
    response.json({ keys: publishedKeys() });
  });

  app.get('/rules', (_request, response) => {
    response.json(repository.rules.map((rule) => rule.source));
  });

  app.get('/rules/:id', (request, response) => {
    const rule = repository.rules.find((candidate) => candidate.id === request.params.id);
    if (!rule) throw notFound(`rule ${request.params.id} does not exist`);
    response.json(rule.source);
  });
}
