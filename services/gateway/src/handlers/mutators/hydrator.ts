import { ExpiringMap } from '@mesh/cache';
import { parseDuration } from '@mesh/config';
import type { IncomingHttpHeaders } from 'node:http';
import { endToEndHeaders } from '../../end-to-end-headers';
import { dependencyFailure, isCallFailure } from '../../pipeline/failures';
import { headerEscape } from '../../rules/templates';
import type { MutatorDefinition, PipelineRequest, Session } from '../definition';
import { retry, retryPolicy, type RetryConfig } from '../properties';
import { remoteUrl } from '../remote-call';

interface HydratorConfig {
  api: {
    url?: string;
    auth?: { basic?: { username?: string; password?: string } };
    retry?: RetryConfig;
  };
  cache: { enabled: boolean; ttl: string };
}

/** Go's http.Header: canonical names, each with its list of values. */
type GoHeader = Record<string, string[]>;

const canonical = (name: string): string =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1).toLowerCase())
    .join('-');

const goHeader = (headers: IncomingHttpHeaders | Record<string, string>): GoHeader =>
  Object.fromEntries(
    Object.entries(headers)
      .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
      .map(([name, value]) => [canonical(name), Array.isArray(value) ? value : [value]]),
  );

/** Go's url.URL as encoding/json writes it: the shape Oathkeeper's hydrator endpoints read. */
function goUrl(url: URL) {
  let path = url.pathname;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    // An undecodable path stays as it came; RawPath carries it either way.
  }
  return {
    Scheme: url.protocol.replace(/:$/, ''),
    Opaque: '',
    User: null,
    Host: url.host,
    Path: path,
    RawPath: path === url.pathname ? '' : url.pathname,
    OmitHost: false,
    ForceQuery: false,
    RawQuery: url.search.replace(/^\?/, ''),
    Fragment: '',
    RawFragment: '',
  };
}

/** Oathkeeper's AuthenticationSession as JSON: what the hydrator API receives and answers with. */
const sessionJson = (request: PipelineRequest, session: Session) =>
  JSON.stringify({
    subject: session.subject,
    extra: session.extra,
    header: goHeader(session.header),
    match_context: {
      regexp_capture_groups: session.captures,
      url: goUrl(request.url),
      method: request.method,
      // Trace headers describe the trace, not the request (and would make every session unique to the cache).
      header: goHeader(endToEndHeaders(request.headers, []) as IncomingHttpHeaders),
    },
  });

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The API's answer: the same subject, and the `extra` and `header` the following mutators see. */
function hydrated(body: string, subject: string): Pick<Session, 'extra' | 'header'> {
  const unusable = (why: string) => dependencyFailure('the hydrator', new Error(why));
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw unusable('not JSON');
  }
  if (parsed === null || typeof parsed !== 'object') throw unusable('not a session object');
  const answer = parsed as { subject?: unknown; extra?: unknown; header?: unknown };
  if (answer.subject !== subject) throw unusable('the answer has another subject');
  if (answer.extra !== undefined && answer.extra !== null && typeof answer.extra !== 'object')
    throw unusable('extra is not an object');
  const header: Record<string, string> = {};
  if (answer.header !== undefined && answer.header !== null) {
    if (typeof answer.header !== 'object') throw unusable('header is not an object');
    for (const [name, values] of Object.entries(answer.header)) {
      const list: unknown[] = Array.isArray(values) ? values : [values];
      if (!headerName.test(name) || !list.every((value) => typeof value === 'string'))
        throw unusable('header is not a map of header names to strings');
      header[name.toLowerCase()] = headerEscape((list as string[]).join(', '));
    }
  }
  return { extra: (answer.extra ?? {}) as Record<string, unknown>, header };
}

/** The most hydrated sessions a rule keeps; the oldest goes first. */
const maxCachedSessions = 10_000;

/**
 * Oathkeeper's hydrator: POSTs the AuthenticationSession JSON to `api.url` (with the client's query and
 * headers, and Basic credentials when configured); the answer, which must keep the subject, replaces the
 * session's `extra` and `header` for the mutators that follow. Any other status than 200 fails closed.
 */
export const hydratorMutator: MutatorDefinition<HydratorConfig> = {
  name: 'hydrator',
  description:
    'POSTs the session JSON to `api.url`; the answer (same subject) replaces `extra` and `header` for the next mutators.',
  properties: {
    api: {
      type: 'object',
      additionalProperties: false,
      description: 'The API that enriches the session (`url` is required).',
      properties: {
        url: { type: 'string', description: 'Where the session JSON is POSTed.' },
        auth: {
          type: 'object',
          additionalProperties: false,
          description: 'Credentials for the API.',
          properties: {
            basic: {
              type: 'object',
              additionalProperties: false,
              description: 'HTTP Basic credentials (`username` and `password`).',
              properties: {
                username: { type: 'string' },
                password: { type: 'string', 'x-secret': true },
              },
            },
          },
        },
        retry: retry('Retries of a failed call (none when absent or empty).', false),
      },
    },
    cache: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Cache answers per session JSON and URL.',
      properties: {
        enabled: { type: 'boolean', default: false, description: 'Cache answers.' },
        ttl: { type: 'string', default: '1m', description: 'How long an answer is reused.' },
      },
    },
  },
  required: ['api'],
  compile: (config, _rule, services) => {
    if (config.api.url === undefined) throw new Error('api.url is required');
    const base = remoteUrl('api.url', config.api.url);
    const basic = config.api.auth?.basic;
    const hasBasic = basic !== undefined && (basic.username !== undefined || basic.password !== undefined);
    if (hasBasic && (basic.username === undefined || basic.password === undefined))
      throw new Error('api.auth.basic needs both username and password');
    const authorization = hasBasic
      ? `Basic ${Buffer.from(`${basic.username ?? ''}:${basic.password ?? ''}`).toString('base64')}`
      : undefined;
    const policy =
      config.api.retry && Object.keys(config.api.retry).length > 0
        ? retryPolicy(config.api.retry)
        : undefined;
    const ttlMs = config.cache.enabled ? parseDuration('cache.ttl', config.cache.ttl) || 60_000 : 0;
    const cache = new ExpiringMap<Pick<Session, 'extra' | 'header'>>(maxCachedSessions);
    return {
      setsHeaders: [],
      mutate: async (request, session) => {
        const body = sessionJson(request, session);
        const cached = ttlMs > 0 ? cache.get(body) : undefined;
        let result = cached && structuredClone(cached);
        if (!result) {
          // Oathkeeper sends the client's query in place of the URL's own, and every client header.
          const url = new URL(base);
          url.search = request.url.search;
          const headers = {
            ...endToEndHeaders(request.headers, ['host', 'content-length', 'content-type', 'expect']),
            'content-type': 'application/json',
            ...(authorization ? { authorization } : {}),
          };
          let answer;
          try {
            answer = await services.call({
              method: 'POST',
              url,
              headers,
              body,
              signal: request.signal,
              ...(policy ? { retry: policy } : {}),
            });
          } catch (error) {
            if (!isCallFailure(error)) throw error;
            throw dependencyFailure('the hydrator', error);
          }
          if (answer.status === 401)
            throw dependencyFailure(
              'the hydrator',
              new Error(authorization ? 'it refused the configured credentials' : 'it wants credentials'),
            );
          if (answer.status !== 200)
            throw dependencyFailure('the hydrator', new Error(`status ${answer.status}`));
          result = hydrated(answer.body, session.subject);
          if (ttlMs > 0) cache.set(body, structuredClone(result), Date.now() + ttlMs);
        }
        session.extra = result.extra;
        session.header = result.header;
      },
    };
  },
};
