import { SpanStatusCode, trace } from '@opentelemetry/api';
import { parseDuration } from '@mesh/config';
import { HttpError, serviceUnavailable, unauthorized } from '@mesh/server';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { IdTokenConfig } from './config';
import { VerifiedTokens } from './verified-tokens';

const tracer = trace.getTracer('documents');

/** RFC 6750's challenge: `invalid_token` once a token was sent, a bare `Bearer` when none was. */
export const bearerChallenge = (error: HttpError): string =>
  error.reason === missingToken ? 'Bearer' : 'Bearer error="invalid_token"';

const missingToken = 'the request carries no Authorization: Bearer token (only the gateway issues one)';

/** Why a token was refused, in words that never quote the token; a key set that cannot be fetched is a 503. */
function refusalOf(error: unknown, jwksUrl: string): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof errors.JWTExpired) return unauthorized('the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return unauthorized('the token was not issued by a trusted issuer');
    if (error.claim === 'aud') return unauthorized('the token is not meant for documents (aud)');
    if (error.claim === 'nbf') return unauthorized('the token is not valid yet');
    return unauthorized(`the token's "${error.claim}" claim is missing or invalid`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return unauthorized("the token's signature does not verify with the gateway's key");
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return unauthorized("the token was not signed by one of the gateway's keys");
  if (error instanceof errors.JOSEAlgNotAllowed) return unauthorized("the token's algorithm is not allowed");
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  )
    return unauthorized('the token is not a valid signed JWT');
  // A timeout, a refused connection, a non-200 answer or a body that is no key set: the gateway's fault.
  const detail = error instanceof Error ? error.message : String(error);
  return serviceUnavailable(`the gateway's key set at ${jwksUrl} cannot be fetched: ${detail}`);
}

function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) throw unauthorized(missingToken);
  return match[1];
}

/**
 * Zero trust: the subject of a request is the `sub` of the gateway's id_token, verified against the
 * gateway's published keys (fetched by jose, so the fetch is an http client span under `id_token.Verify`).
 * A token verified before is reused from `id_token.cache` (verified-tokens.ts); the span says which
 * (`id_token.cached`). Throws a 401 HttpError for a missing or bad token, a 503 when the keys cannot be
 * fetched.
 */
export function idTokenVerifier(
  config: IdTokenConfig,
): (authorization: string | undefined) => Promise<string> {
  const keys = createRemoteJWKSet(new URL(config.jwks_url));
  const options = {
    issuer: config.trusted_issuers,
    algorithms: config.allowed_algorithms,
    requiredClaims: ['sub', 'exp'],
    ...(config.target_audience.length > 0 ? { audience: config.target_audience } : {}),
  };
  const verified = config.cache.enabled
    ? new VerifiedTokens(parseDuration('id_token.cache.ttl', config.cache.ttl), config.cache.max_tokens)
    : undefined;
  return (authorization) =>
    tracer.startActiveSpan('id_token.Verify', async (span) => {
      try {
        const token = bearerToken(authorization);
        const cached = verified?.subjectOf(token);
        span.setAttribute('id_token.cached', cached !== undefined);
        if (cached !== undefined) {
          span.setAttribute('id_token.valid', true);
          return cached;
        }
        const { payload } = await jwtVerify(token, keys, options);
        if (!payload.sub) throw unauthorized('the token names no subject (sub)');
        // requiredClaims makes jose refuse a token without a numeric exp.
        verified?.remember(token, payload.sub, payload.exp as number);
        span.setAttribute('id_token.valid', true);
        return payload.sub;
      } catch (error) {
        const refusal = refusalOf(error, config.jwks_url);
        span.setAttribute('id_token.valid', false);
        span.setStatus({ code: SpanStatusCode.ERROR, message: refusal.reason });
        throw refusal;
      } finally {
        span.end();
      }
    });
}
