import { HttpError, notFound } from '@mesh/server';
import { setServerRoute } from '@mesh/tracing';
import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  notResponsible,
  type Authenticated,
  type PipelineRequest,
  type Session,
} from '../handlers/definition';
import type { CompiledRule } from '../rules/compiled-rule';
import type { RuleRepository } from '../rules/repository';
import { countDecision } from './decision-metrics';
import { unauthorizedRequest } from './failures';

const tracer = trace.getTracer('gateway');

export interface AccessRequest extends PipelineRequest {
  /** The normalised path, without the query. */
  path: string;
}

export interface Decision {
  rule: CompiledRule;
  subject: string;
  /** The headers the authorizer and mutators set, for the upstream request (or the decision answer). */
  mutatedHeaders: Record<string, string>;
}

/** The rule a failed request had matched, so its error handlers answer. */
const ruleOfFailure = new WeakMap<object, CompiledRule>();
export const ruleOf = (error: unknown): CompiledRule | undefined =>
  typeof error === 'object' && error !== null ? ruleOfFailure.get(error) : undefined;

function matchRule(
  rules: readonly CompiledRule[],
  request: AccessRequest,
): { rule: CompiledRule; captures: string[] } {
  return tracer.startActiveSpan('rule.match', (span) => {
    try {
      const url = `${request.url.protocol}//${request.url.host}${request.path}`;
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

const reasonOf = (error: unknown): string =>
  (error as { reason?: string }).reason ?? (error as Error).message ?? 'failed';

/** Runs `work` under a span named `name`; a failure sets ERROR with the reason (never a credential). */
function inSpan<T>(name: string, work: (span: Span) => Promise<T>, failureAttribute: string): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setAttribute(failureAttribute, reasonOf(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: reasonOf(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

async function authenticate(rule: CompiledRule, request: AccessRequest): Promise<Authenticated> {
  for (const [index, handler] of rule.authenticators.entries()) {
    const outcome = await inSpan(
      `authn.${handler.handler}`,
      async (span) => {
        const result = await handler.compiled.authenticate(request);
        if (result !== notResponsible) {
          span.setAttribute('gateway.subject', result.subject);
          return result;
        }
        span.setAttribute('gateway.authn.responsible', false);
        if (index === rule.authenticators.length - 1) {
          // The last authenticator records why the request is refused: none found credentials.
          span.setAttribute('gateway.authn.failure', 'no authenticator found credentials in the request');
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'no credentials' });
        }
        return result;
      },
      'gateway.authn.failure',
    );
    if (outcome !== notResponsible) return outcome;
  }
  throw unauthorizedRequest('no authenticator found credentials in the request');
}

/**
 * Oathkeeper's pipeline: match one rule, authenticate, authorize, mutate. Throws the error to answer with.
 * Every decision is counted by rule and result.
 */
export async function decide(
  repository: RuleRepository,
  request: AccessRequest,
  routePrefix = '',
): Promise<Decision> {
  try {
    const decision = await runPipeline(repository, request, routePrefix);
    countDecision(decision.rule.id, undefined);
    return decision;
  } catch (error) {
    countDecision(ruleOf(error)?.id, error);
    throw error;
  }
}

async function runPipeline(
  repository: RuleRepository,
  request: AccessRequest,
  routePrefix = '',
): Promise<Decision> {
  const { rule, captures } = matchRule(repository.rules, request);
  setServerRoute(`${routePrefix}${rule.route}`);
  try {
    const identity = await authenticate(rule, request);
    const session: Session = { subject: identity.subject, extra: identity.extra, header: {}, captures };
    await tracer.startActiveSpan(`authz.${rule.authorizer.handler}`, async (span) => {
      try {
        await rule.authorizer.compiled.authorize(request, session);
        span.setAttribute('gateway.decision', 'allow');
      } catch (error) {
        const denied = (error as { status?: number }).status === 403;
        span.setAttribute('gateway.decision', denied ? 'deny' : 'error');
        if (!denied) span.setStatus({ code: SpanStatusCode.ERROR, message: reasonOf(error) });
        throw error;
      } finally {
        span.end();
      }
    });
    for (const mutator of rule.mutators) {
      await inSpan(
        `mutate.${mutator.handler}`,
        async (span) => {
          await mutator.compiled.mutate(request, session);
          span.setAttribute('gateway.mutated_headers', Object.keys(session.header).join(','));
        },
        'gateway.mutate.failure',
      );
    }
    return { rule, subject: identity.subject, mutatedHeaders: session.header };
  } catch (error) {
    if (typeof error === 'object' && error !== null) ruleOfFailure.set(error, rule);
    throw error;
  }
}
