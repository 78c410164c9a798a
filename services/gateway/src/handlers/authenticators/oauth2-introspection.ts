import { ExpiringMap } from '@mesh/cache';
import { parseDuration } from '@mesh/config';
import { dependencyFailure, isCallFailure, unauthorizedRequest } from '../../pipeline/failures';
import { notResponsible, type AuthenticatorDefinition, type HandlerServices } from '../definition';
import { scopeStrategy, stringList, tokenFrom as tokenFromSchema, type TokenFrom } from '../properties';
import { scopesSatisfied, type ScopeStrategy } from '../scope';
import { checkTokenFrom, tokenFrom } from '../token';

interface PreAuthorization {
  enabled: boolean;
  client_id?: string;
  client_secret?: string;
  token_url?: string;
  audience?: string;
  scope?: string[];
}

interface IntrospectionConfig {
  introspection_url: string;
  scope_strategy: ScopeStrategy;
  required_scope: string[];
  target_audience: string[];
  trusted_issuers: string[];
  pre_authorization: PreAuthorization;
  token_from?: TokenFrom;
  introspection_request_headers: Record<string, string>;
  cache: { enabled: boolean; ttl: string };
}

/** RFC 7662's answer, as much of it as the checks read. */
interface Introspection {
  active: boolean;
  sub?: string;
  scope?: string;
  aud?: string | string[];
  iss?: string;
  exp?: number;
  token_use?: string;
  [claim: string]: unknown;
}

/** The most introspection answers one rule keeps; the oldest goes first. */
const maxCachedTokens = 10_000;

const call = async (
  services: HandlerServices,
  what: string,
  parameters: Parameters<HandlerServices['call']>[0],
) => {
  try {
    return await services.call(parameters);
  } catch (error) {
    if (!isCallFailure(error)) throw error;
    throw dependencyFailure(what, error);
  }
};

/** The client credentials grant for pre_authorization, its access token reused until shortly before it expires. */
function clientCredentials(config: PreAuthorization, services: HandlerServices) {
  let current: { token: string; until: number } | undefined;
  return async (signal?: AbortSignal): Promise<string> => {
    if (current && Date.now() < current.until) return current.token;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (config.scope?.length) form.set('scope', config.scope.join(' '));
    if (config.audience) form.set('audience', config.audience);
    const basic = Buffer.from(
      `${encodeURIComponent(config.client_id ?? '')}:${encodeURIComponent(config.client_secret ?? '')}`,
    ).toString('base64');
    const answer = await call(services, 'the token endpoint', {
      method: 'POST',
      url: new URL(config.token_url ?? ''),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        authorization: `Basic ${basic}`,
      },
      body: form.toString(),
      signal,
    });
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(answer.body) as typeof body;
    } catch {
      body = {};
    }
    if (answer.status !== 200 || typeof body.access_token !== 'string')
      throw dependencyFailure('the token endpoint', new Error(`status ${answer.status}`));
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in * 1000 : 60_000;
    current = { token: body.access_token, until: Date.now() + lifetime * 0.9 };
    return current.token;
  };
}

/**
 * Asks an RFC 7662 introspection endpoint (Hydra's `POST /admin/oauth2/introspect`) about the token: an
 * inactive token, an untrusted issuer, a missing audience or scope is a 401. Results are cached for
 * `cache.ttl` (never past the token's `exp`) when the cache is enabled.
 */
export const oauth2IntrospectionAuthenticator: AuthenticatorDefinition<IntrospectionConfig> = {
  name: 'oauth2_introspection',
  description:
    'Asks `introspection_url` (RFC 7662) about the bearer token; subject = `sub`, .Extra the answer.',
  properties: {
    introspection_url: {
      type: 'string',
      description: 'The RFC 7662 endpoint (Hydra: /admin/oauth2/introspect).',
    },
    scope_strategy: scopeStrategy,
    required_scope: stringList('Scopes the token must grant.', []),
    target_audience: stringList('If set, `aud` must contain every one of these.', []),
    trusted_issuers: stringList('If set, `iss` must be one of these.', []),
    pre_authorization: {
      type: 'object',
      additionalProperties: false,
      default: { enabled: false },
      description: 'Client credentials for an introspection endpoint that wants a bearer token itself.',
      properties: {
        enabled: { type: 'boolean', default: false },
        client_id: { type: 'string' },
        client_secret: { type: 'string', 'x-secret': true },
        token_url: { type: 'string' },
        audience: { type: 'string' },
        scope: { type: 'array', items: { type: 'string' } },
      },
    },
    token_from: tokenFromSchema,
    introspection_request_headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      default: {},
      description: 'Headers added to the introspection call.',
    },
    cache: {
      type: 'object',
      additionalProperties: false,
      default: { enabled: false, ttl: '' },
      description: 'Cache introspection answers (per token, never past exp).',
      properties: { enabled: { type: 'boolean', default: false }, ttl: { type: 'string', default: '' } },
    },
  },
  required: ['introspection_url'],
  compile: (config, _rule, services) => {
    const from = checkTokenFrom(config.token_from);
    const url = new URL(config.introspection_url);
    const pre = config.pre_authorization;
    if (pre.enabled && (!pre.client_id || !pre.client_secret || !pre.token_url))
      throw new Error('pre_authorization needs client_id, client_secret and token_url when enabled');
    const bearer = pre.enabled ? clientCredentials(pre, services) : undefined;
    const ttlMs = config.cache.enabled
      ? config.cache.ttl
        ? parseDuration('cache.ttl', config.cache.ttl)
        : 30_000
      : 0;
    const cache = new ExpiringMap<Introspection>(maxCachedTokens);
    return {
      authenticate: async (request) => {
        const token = tokenFrom(request, from);
        if (!token) return notResponsible;
        let introspection = cache.get(token);
        if (!introspection) {
          const form = new URLSearchParams({ token });
          if (config.scope_strategy === 'none' && config.required_scope.length > 0)
            form.set('scope', config.required_scope.join(' '));
          const headers: Record<string, string> = {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
            ...Object.fromEntries(
              Object.entries(config.introspection_request_headers).map(([k, v]) => [k.toLowerCase(), v]),
            ),
          };
          if (bearer) headers.authorization = `Bearer ${await bearer(request.signal)}`;
          const answer = await call(services, 'the introspection endpoint', {
            method: 'POST',
            url,
            headers,
            body: form.toString(),
            signal: request.signal,
          });
          if (answer.status !== 200)
            throw dependencyFailure('the introspection endpoint', new Error(`status ${answer.status}`));
          try {
            introspection = JSON.parse(answer.body) as Introspection;
          } catch {
            throw dependencyFailure('the introspection endpoint', new Error('not JSON'));
          }
          if (ttlMs > 0 && introspection.active) {
            const expires = typeof introspection.exp === 'number' ? introspection.exp * 1000 : Infinity;
            cache.set(token, introspection, Math.min(Date.now() + ttlMs, expires));
          }
        }
        if (introspection.active !== true) throw unauthorizedRequest('the access token is not active');
        if (typeof introspection.exp === 'number' && introspection.exp * 1000 <= Date.now())
          throw unauthorizedRequest('the access token has expired');
        if (introspection.token_use !== undefined && introspection.token_use !== 'access_token')
          throw unauthorizedRequest('the token is not an access token');
        if (config.trusted_issuers.length > 0 && !config.trusted_issuers.includes(introspection.iss ?? ''))
          throw unauthorizedRequest('the access token has an untrusted issuer');
        const audience =
          typeof introspection.aud === 'string' ? [introspection.aud] : (introspection.aud ?? []);
        if (!config.target_audience.every((wanted) => audience.includes(wanted)))
          throw unauthorizedRequest('the access token is not meant for this audience');
        const granted = (introspection.scope ?? '').split(' ').filter(Boolean);
        if (!scopesSatisfied(config.scope_strategy, granted, config.required_scope))
          throw unauthorizedRequest('the access token lacks a required scope');
        return { subject: introspection.sub ?? '', extra: { ...introspection } };
      },
    };
  },
};
