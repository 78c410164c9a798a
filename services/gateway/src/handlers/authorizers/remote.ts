import { compileTemplate, headerEscape } from '../../rules/templates';
import type { AuthorizerDefinition } from '../definition';
import { askAuthorizer, remoteUrl } from '../remote-call';
import { retry, retryPolicy, stringList, type RetryConfig } from '../properties';

interface RemoteConfig {
  remote: string;
  headers: Record<string, string>;
  forward_response_headers_to_upstream: string[];
  retry: RetryConfig;
}

/**
 * Oathkeeper's `remote` authorizer: POSTs the client's own body, with its Content-Type and Authorization
 * and the templated `headers`, to `remote`. 200 allows, 403 denies, 429 is passed on, anything else fails
 * closed. The body is read whole first (up to the gateway's buffer limit) so that the upstream still gets it.
 */
export const remoteAuthorizer: AuthorizerDefinition<RemoteConfig> = {
  name: 'remote',
  description:
    "POSTs the client's body to `remote` with templated `headers`: 200 allows, 403 denies, anything else fails closed.",
  properties: {
    remote: { type: 'string', description: "Where the client's body is POSTed; 200 allows, 403 denies." },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      default: {},
      description: 'Templated headers of the call; one that is empty once filled in is not sent.',
    },
    forward_response_headers_to_upstream: stringList(
      "Headers of the authorizer's 200 answer passed on to the upstream.",
      [],
    ),
    retry: retry('Retries of a failed call (on by default, as in Oathkeeper).', true),
  },
  required: ['remote'],
  compile: (config, rule, services) => {
    const remote = remoteUrl('remote', config.remote);
    const headers = Object.entries(config.headers).map(
      ([name, value]) => [name.toLowerCase(), compileTemplate(value, rule.id, headerEscape)] as const,
    );
    const probe = { subject: 'probe', extra: {}, captures: Array.from({ length: rule.groups }, () => 'x') };
    for (const [, template] of headers) template(probe);
    const policy = retryPolicy(config.retry);
    return {
      authorize: async (request, session) => {
        // One deadline for reading the client's body and asking the authorizer.
        const deadlineAt = Date.now() + services.timeoutMs;
        const body = request.body ? await request.body.read(services.timeoutMs) : Buffer.alloc(0);
        const context = { subject: session.subject, extra: session.extra, captures: session.captures };
        const sent: Record<string, string> = {};
        const contentType = request.headers['content-type'];
        if (contentType) sent['content-type'] = contentType;
        const authorization = request.headers.authorization;
        if (authorization) sent.authorization = authorization;
        for (const [name, template] of headers) {
          const value = template(context);
          if (value !== '') sent[name] = value;
        }
        await askAuthorizer(
          'remote',
          () =>
            services.call({
              method: 'POST',
              url: remote,
              headers: sent,
              body,
              timeoutMs: Math.max(1, deadlineAt - Date.now()),
              signal: request.signal,
              retry: policy,
            }),
          config.forward_response_headers_to_upstream,
          session,
        );
      },
    };
  },
};
