import { HttpError, notFound } from '@mesh/server';
import { setServerRoute } from '@mesh/tracing';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import type { CompiledRule } from '../rules/compiled-rule';
import type { RuleRepository } from '../rules/repository';
import type { Authenticator } from './authenticate';
import type { Authorizer } from './authorize';

const tracer = trace.getTracer('gateway');

export interface AccessRequest {
  method: string;
  /** scheme://host, as the client addressed the gateway. */
  origin: string;
  /** The normalised path, without the query. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Aborted when the client goes away: every call made for the request is destroyed. */
  signal?: AbortSignal;
}

export interface Decision {
  rule: CompiledRule;
  subject: string;
  /** The headers the mutators set, to add to the upstream request (or the decision answer). */
  mutatedHeaders: Record<string, string>;
}

function matchRule(
  rules: readonly CompiledRule[],
  request: AccessRequest,
): { rule: CompiledRule; captures: string[] } {
  return tracer.startActiveSpan('rule.match', (span) => {
    try {
      const url = `${request.origin}${request.path}`;
      const matches = rules.flatMap((rule) => {
        if (!rule.methods.has(request.method)) return [];
        const captures = rule.matcher.match(url);
        return captures ? [{ rule, captures }] : [];
      });
      if (matches.length > 1) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'more than one rule matches' });
        throw new HttpError(
          500,
          'Expected exactly one rule but found multiple rules',
          `rules ${matches.map((match) => match.rule.id).join(', ')} all match`,
        );
      }
      const [match] = matches;
      if (!match) {
        span.setAttribute('gateway.rule.matched', false);
        throw notFound('no access rule matches the request', 'Requested url does not match any rules');
      }
      span.setAttribute('gateway.rule.id', match.rule.id);
      return match;
    } finally {
      span.end();
    }
  });
}

/** Oathkeeper's pipeline: match one rule, authenticate, authorize, mutate. Throws the error to answer with. */
export async function decide(
  repository: RuleRepository,
  authenticator: Authenticator,
  authorizer: Authorizer,
  request: AccessRequest,
  routePrefix = '',
): Promise<Decision> {
  const { rule, captures } = matchRule(repository.rules, request);
  setServerRoute(`${routePrefix}${rule.route}`);
  const identity = await authenticator.authenticate(
    rule.authenticators,
    request.headers,
    request.path,
    request.signal,
  );
  const context = { subject: identity.subject, extra: identity.extra, captures };
  await authorizer.authorize(rule.authorizer, context, request.signal);
  const mutatedHeaders: Record<string, string> = {};
  for (const mutator of rule.mutators) {
    tracer.startActiveSpan(`mutate.${mutator.handler}`, (span) => {
      for (const [name, template] of mutator.headers) mutatedHeaders[name] = template(context);
      span.setAttribute('gateway.mutated_headers', Object.keys(mutatedHeaders).join(','));
      span.end();
    });
  }
  return { rule, subject: identity.subject, mutatedHeaders };
}
