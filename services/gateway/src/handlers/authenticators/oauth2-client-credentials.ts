import { createHash } from 'node:crypto';
import { ExpiringMap } from '@mesh/cache';
import { parseDuration } from '@mesh/config';
import { dependencyFailure, isCallFailure, unauthorizedRequest } from '../../pipeline/failures';
import { notResponsible, type AuthenticatorDefinition } from '../definition';
import { stringList } from '../properties';

interface ClientCredentialsConfig {
  token_url: string;
  required_scope: string[];
  cache: { enabled: boolean; ttl: string; max_tokens: number };
}

/** `Authorization: Basic base64(client_id:client_secret)`, URL-decoded as RFC 6749 §2.3.1 encodes them. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon)),
      secret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  } catch {
    return undefined;
  }
}

/**
 * The client's Basic credentials are tried against `token_url` with the client credentials grant: a token
 * authenticates the client (subject = client_id), a refusal is 401. Successful grants are cached per
 * credentials (a hash, never the secret) when the cache is enabled.
 */
export const oauth2ClientCredentialsAuthenticator: AuthenticatorDefinition<ClientCredentialsConfig> = {
  name: 'oauth2_client_credentials',
  description:
    'Checks `Authorization: Basic` client credentials with a client credentials grant at `token_url`; subject = client_id.',
  properties: {
    token_url: { type: 'string', description: 'The OAuth 2.0 token endpoint.' },
    required_scope: stringList('Scopes requested in the grant.', []),
    cache: {
      type: 'object',
      additionalProperties: false,
      default: { enabled: false, ttl: '', max_tokens: 1000 },
      description: 'Cache successful grants (never past the token expiry).',
      properties: {
        enabled: { type: 'boolean', default: false },
        ttl: { type: 'string', default: '' },
        max_tokens: { type: 'integer', default: 1000 },
      },
    },
  },
  required: ['token_url'],
  compile: (config, _rule, services) => {
    const url = new URL(config.token_url);
    const ttlMs = config.cache.ttl ? parseDuration('cache.ttl', config.cache.ttl) : Infinity;
    // A grant per credentials hash, until the token's expiry and at most the ttl.
    const cache = new ExpiringMap<true>(config.cache.max_tokens);
    return {
      authenticate: async (request) => {
        const credentials = basicCredentials(request.headers.authorization);
        if (!credentials) return notResponsible;
        const key = createHash('sha256').update(`${credentials.id}\u0000${credentials.secret}`).digest('hex');
        if (config.cache.enabled && cache.get(key)) return { subject: credentials.id, extra: {} };
        const form = new URLSearchParams({ grant_type: 'client_credentials' });
        if (config.required_scope.length > 0) form.set('scope', config.required_scope.join(' '));
        let answer;
        try {
          answer = await services.call({
            method: 'POST',
            url,
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              accept: 'application/json',
              authorization: String(request.headers.authorization),
            },
            body: form.toString(),
            signal: request.signal,
          });
        } catch (error) {
          if (!isCallFailure(error)) throw error;
          throw dependencyFailure('the token endpoint', error);
        }
        if (answer.status === 400 || answer.status === 401 || answer.status === 403)
          throw unauthorizedRequest('the client credentials were refused');
        let body: { access_token?: unknown; expires_in?: unknown } = {};
        try {
          body = JSON.parse(answer.body) as typeof body;
        } catch {
          // Reported below.
        }
        if (answer.status !== 200 || typeof body.access_token !== 'string')
          throw dependencyFailure('the token endpoint', new Error(`status ${answer.status}`));
        if (config.cache.enabled) {
          const expires =
            typeof body.expires_in === 'number' ? Date.now() + body.expires_in * 1000 : Infinity;
          cache.set(key, true, Math.min(expires, Date.now() + ttlMs));
        }
        return { subject: credentials.id, extra: {} };
      },
    };
  },
};
