import { HttpError } from '@mesh/server';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import type { PipelineRequest } from '../handlers/definition';
import { errorKind } from '../handlers/errors/when';
import type { CompiledErrors } from '../rules/compiled-rule';

const tracer = trace.getTracer('gateway');

/**
 * Oathkeeper's error handling: the rule's error handlers whose `when` matches (more than one is a 500), else
 * the first of `errors.fallback` that matches. `json` leaves the Ory-shaped answer to the gateway (the
 * error is rethrown); `redirect` and `www_authenticate` answer here, under an `errors.<handler>` span.
 */
export function answerError(
  error: unknown,
  ruleHandlers: readonly CompiledErrors[],
  fallback: readonly CompiledErrors[],
  request: PipelineRequest,
  response: Response,
): void {
  if (!(error instanceof HttpError) || response.headersSent || error.status === 499) throw error;
  const kind = errorKind(error.status, STATUS_CODES[error.status] ?? '');
  const matching = ruleHandlers.filter((handler) => handler.matches(request, kind));
  if (matching.length > 1)
    throw new HttpError(
      500,
      'Found more than one error handlers to be responsible for this request',
      `error handlers ${matching.map((handler) => handler.handler).join(', ')} all match`,
    );
  const chosen = matching[0] ?? fallback.find((handler) => handler.matches(request, kind));
  if (!chosen) throw error;
  const answer = tracer.startActiveSpan(`errors.${chosen.handler}`, (span) => {
    span.setAttribute('gateway.error.kind', kind);
    try {
      return chosen.compiled.handle(request, {
        status: error.status,
        message: error.message,
        reason: error.reason,
      });
    } catch (failure) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (failure as Error).message });
      throw failure;
    } finally {
      span.end();
    }
  });
  if (!answer) throw error;
  response.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
  response.end(answer.body ?? '');
}
