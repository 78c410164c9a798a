import type { SchemaNode } from '@mesh/config';
import { dependencyFailure, isCallFailure, unauthorizedRequest } from '../../pipeline/failures';
import type { Authenticated, HandlerServices, PipelineRequest } from '../definition';
import { stringList } from '../properties';

/** The keys cookie_session and bearer_token share (Oathkeeper's names). */
export interface SessionCheckConfig {
  check_session_url: string;
  preserve_path: boolean;
  preserve_query: boolean;
  preserve_host: boolean;
  subject_from: string;
  extra_from: string;
  force_method: string;
  forward_http_headers: string[];
  additional_headers: Record<string, string>;
}

export const sessionCheckProperties = (what: string): Record<string, SchemaNode> => ({
  check_session_url: {
    type: 'string',
    default: 'http://127.0.0.1:4433/sessions/whoami',
    description: `The session check called with ${what} (Kratos whoami).`,
  },
  preserve_path: {
    type: 'boolean',
    default: false,
    description: "Keep check_session_url's own path instead of the request path.",
  },
  preserve_query: {
    type: 'boolean',
    default: true,
    description: "Keep check_session_url's own query instead of the request's.",
  },
  preserve_host: {
    type: 'boolean',
    default: false,
    description: "Send the client's Host to the session check.",
  },
  subject_from: {
    type: 'string',
    default: 'identity.id',
    description: 'Where in the session JSON the subject is.',
  },
  extra_from: {
    type: 'string',
    default: '@this',
    description: 'What of the session JSON becomes .Extra (@this = all of it).',
  },
  force_method: { type: 'string', default: 'GET', description: 'The method of the session check call.' },
  forward_http_headers: stringList('Request headers sent on to the session check.', [
    'Authorization',
    'Cookie',
  ]),
  additional_headers: {
    type: 'object',
    additionalProperties: { type: 'string' },
    default: {},
    description: 'Headers added to the session check call.',
  },
});

/** A dot path into JSON (`identity.id`), or the whole value for `@this`. */
export function valueAt(value: unknown, path: string): unknown {
  if (path === '@this' || path === '') return value;
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) =>
        node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined,
      value,
    );
}

export function checkUrl(config: SessionCheckConfig): URL {
  try {
    const url = new URL(config.check_session_url);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // Reported below with the key's name.
  }
  throw new Error(`check_session_url "${config.check_session_url}" is not an http(s) URL`);
}

/**
 * Asks the session check (Kratos whoami) with the forwarded headers: 200 with a subject authenticates,
 * 401/403 is a 401, anything else fails closed (502/503). No request body is ever sent.
 */
export async function checkSession(
  config: SessionCheckConfig,
  base: URL,
  request: PipelineRequest,
  credentials: Record<string, string>,
  services: HandlerServices,
): Promise<Authenticated> {
  // Oathkeeper: the request path (and query) replace check_session_url's unless preserved.
  const url = new URL(base);
  if (!config.preserve_path) url.pathname = request.url.pathname;
  if (!config.preserve_query) url.search = request.url.search;
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const name of config.forward_http_headers) {
    const value = request.headers[name.toLowerCase()];
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  Object.assign(headers, credentials);
  for (const [name, value] of Object.entries(config.additional_headers)) headers[name.toLowerCase()] = value;
  if (config.preserve_host) headers.host = request.url.host;
  let response;
  try {
    response = await services.call({ method: config.force_method, url, headers, signal: request.signal });
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
  const subject = valueAt(session, config.subject_from);
  if (typeof subject !== 'string' || subject === '')
    throw dependencyFailure('the session check', new Error('no subject'));
  const extra = valueAt(session, config.extra_from);
  return {
    subject,
    extra: extra !== null && typeof extra === 'object' ? (extra as Record<string, unknown>) : {},
  };
}
