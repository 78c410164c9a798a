import { SpanStatusCode, trace } from '@opentelemetry/api';
import { callHandler } from '../outbound';
import type { CompiledAuthorizer } from '../rules/compiled-rule';
import type { TemplateContext } from '../rules/templates';
import { dependencyFailure, isCallFailure, forbiddenRequest } from './failures';

const tracer = trace.getTracer('gateway');

export class Authorizer {
  constructor(private readonly timeoutMs: number) {}

  /** Runs the rule's authorizer under `authz.<handler>`; a deny throws 403, an unusable answer 502/503. */
  authorize(authorizer: CompiledAuthorizer, context: TemplateContext, signal?: AbortSignal): Promise<void> {
    return tracer.startActiveSpan(`authz.${authorizer.handler}`, async (span) => {
      try {
        const allowed = await this.decide(authorizer, context, signal);
        span.setAttribute('gateway.decision', allowed ? 'allow' : 'deny');
        if (!allowed) throw forbiddenRequest(`the ${authorizer.handler} authorizer denied the request`);
      } catch (error) {
        if ((error as { status?: number }).status !== 403) {
          span.setAttribute('gateway.decision', 'error');
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        }
        throw error;
      } finally {
        span.end();
      }
    });
  }

  private async decide(
    authorizer: CompiledAuthorizer,
    context: TemplateContext,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    switch (authorizer.handler) {
      case 'allow':
        return true;
      case 'deny':
        return false;
      case 'remote_json': {
        const payload = authorizer.payload?.(context) ?? '{}';
        let status: number;
        try {
          status = (
            await callHandler({
              method: 'POST',
              url: authorizer.remote as URL,
              headers: { 'content-type': 'application/json', ...authorizer.headers },
              body: payload,
              timeoutMs: this.timeoutMs,
              signal,
            })
          ).status;
        } catch (error) {
          if (!isCallFailure(error)) throw error;
          throw dependencyFailure('the remote authorizer', error);
        }
        if (status === 200) return true;
        if (status === 403) return false;
        throw dependencyFailure('the remote authorizer', new Error(`status ${status}`));
      }
    }
  }
}
