import { SpanStatusCode, trace } from '@opentelemetry/api';
import { parseDuration } from '@mesh/config';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { dependencyFailure, unauthorizedRequest } from '../../pipeline/failures';
import { notResponsible, type AuthenticatorDefinition } from '../definition';
import { jwksVerifierCache } from '../jwks';
import { scopeStrategy, stringList, tokenFrom as tokenFromSchema, type TokenFrom } from '../properties';
import { scopesOf, scopesSatisfied, type ScopeStrategy } from '../scope';
import { checkTokenFrom, tokenFrom } from '../token';

interface JwtConfig {
  jwks_urls: string[];
  jwks_ttl: string;
  trusted_issuers: string[];
  target_audience: string[];
  required_scope: string[];
  scope_strategy: ScopeStrategy;
  allowed_algorithms: string[];
  token_from?: TokenFrom;
}

/** Verifies a JWT against the keys of jwks_urls; the subject is `sub`, .Extra the claims. */
export const jwtAuthenticator: AuthenticatorDefinition<JwtConfig> = {
  name: 'jwt',
  description:
    'Verifies a JWT (signature by `jwks_urls`, `iss`, `aud`, `exp`/`nbf`, scopes); subject = `sub`.',
  properties: {
    jwks_urls: stringList('Key sets that may have signed the token (file://, http://, https://).'),
    jwks_ttl: {
      type: 'string',
      default: '30s',
      description: 'How long a fetched key set is used before it is fetched again.',
    },
    trusted_issuers: stringList('If set, `iss` must be one of these.', []),
    target_audience: stringList('If set, `aud` must contain every one of these.', []),
    required_scope: stringList('Scopes the token must grant (scp, scope or scopes claim).', []),
    scope_strategy: scopeStrategy,
    allowed_algorithms: stringList('Accepted signing algorithms.', ['RS256']),
    token_from: tokenFromSchema,
  },
  required: ['jwks_urls'],
  compile: (config, _rule, services) => {
    const from = checkTokenFrom(config.token_from);
    for (const url of config.jwks_urls)
      if (!/^(file|https?):\/\/.+/.test(url))
        throw new Error(`jwks_urls: "${url}" is not a file:// or http(s):// URL`);
    if (config.jwks_urls.length === 0) throw new Error('jwks_urls must name at least one key set');
    const cache = jwksVerifierCache(services, parseDuration('jwks_ttl', config.jwks_ttl));
    const verifyWith = async (token: string, url: string, refresh: boolean) =>
      jwtVerify(token, await cache.keySet(url, refresh), {
        algorithms: config.allowed_algorithms,
        ...(config.trusted_issuers.length > 0 ? { issuer: config.trusted_issuers } : {}),
      });
    return {
      authenticate: async (request) => {
        const token = tokenFrom(request, from);
        if (!token) return notResponsible;
        let payload: JWTPayload | undefined;
        let lastError: unknown;
        for (const url of config.jwks_urls) {
          try {
            try {
              payload = (await verifyWith(token, url, false)).payload;
            } catch (error) {
              // An unknown key id may be a rotation: fetch the set again once.
              if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
              payload = (await verifyWith(token, url, true)).payload;
            }
            break;
          } catch (error) {
            lastError = error;
          }
        }
        if (!payload) {
          if (lastError instanceof joseErrors.JOSEError) {
            trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: lastError.code });
            throw unauthorizedRequest(`the JWT is not valid: ${lastError.code}`);
          }
          throw dependencyFailure('the JWKS', lastError);
        }
        const audience = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
        if (!config.target_audience.every((wanted) => audience.includes(wanted)))
          throw unauthorizedRequest('the JWT is not meant for this audience');
        if (!scopesSatisfied(config.scope_strategy, scopesOf(payload), config.required_scope))
          throw unauthorizedRequest('the JWT lacks a required scope');
        if (typeof payload.sub !== 'string' || payload.sub === '')
          throw unauthorizedRequest('the JWT has no subject');
        return { subject: payload.sub, extra: { ...payload } };
      },
    };
  },
};
