import { compileTemplate, headerEscape, jsonEscape } from '../../rules/templates';
import type { AuthorizerDefinition } from '../definition';
import { retry, retryPolicy, stringList, type RetryConfig } from '../properties';
import { askAuthorizer, remoteUrl } from '../remote-call';

interface RemoteJsonConfig {
  remote: string;
  payload: string;
  headers: Record<string, string>;
  forward_response_headers_to_upstream: string[];
  retry: RetryConfig;
}

/** POSTs the templated JSON payload to `remote`: 200 allows, 403 denies, anything else fails closed. */
export const remoteJsonAuthorizer: AuthorizerDefinition<RemoteJsonConfig> = {
  name: 'remote_json',
  description:
    'POSTs the templated `payload` to `remote`: 200 allows, 403 denies, anything else fails closed.',
  properties: {
    remote: {
      type: 'string',
      default: 'http://127.0.0.1:4466/relation-tuples/check',
      description: 'Where the payload is POSTed; 200 allows, 403 denies.',
    },
    payload: { type: 'string', description: 'The JSON payload template.' },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      default: {},
      description: 'Templated headers of the call.',
    },
    forward_response_headers_to_upstream: stringList(
      "Headers of the authorizer's 200 answer passed on to the upstream.",
      [],
    ),
    retry: retry('Retries of a failed call (on by default, as in Oathkeeper).', true),
  },
  required: ['remote', 'payload'],
  compile: (config, rule, services) => {
    const remote = remoteUrl('remote', config.remote);
    const policy = retryPolicy(config.retry);
    const payload = compileTemplate(config.payload, rule.id, jsonEscape);
    const headers = Object.entries(config.headers).map(
      ([name, value]) => [name.toLowerCase(), compileTemplate(value, rule.id, headerEscape)] as const,
    );
    const probe = { subject: 'probe', extra: {}, captures: Array.from({ length: rule.groups }, () => 'x') };
    try {
      JSON.parse(payload(probe));
    } catch {
      throw new Error('the remote_json payload is not JSON once filled in');
    }
    for (const [, template] of headers) template(probe);
    return {
      authorize: async (request, session) => {
        const context = { subject: session.subject, extra: session.extra, captures: session.captures };
        await askAuthorizer(
          'remote_json',
          () =>
            services.call({
              method: 'POST',
              url: remote,
              headers: {
                'content-type': 'application/json',
                ...Object.fromEntries(headers.map(([name, template]) => [name, template(context)])),
              },
              body: payload(context),
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
