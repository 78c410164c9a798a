import { randomUUID } from 'node:crypto';
import { ExpiringMap } from '@mesh/cache';
import { parseDuration } from '@mesh/config';
import { SignJWT } from 'jose';
import { compileTemplate, jsonEscape } from '../../rules/templates';
import { dependencyFailure } from '../../pipeline/failures';
import type { MutatorDefinition } from '../definition';
import { KeySetCache } from '../jwks';
import { remoteUrl } from '../remote-call';
import { loadSigningKey, signingKeyOf, type SigningKey } from './signing-keys';

interface IdTokenConfig {
  jwks_url: string;
  issuer_url: string;
  ttl: string;
  claims: string;
}

/**
 * How long a key set fetched over http(s) is used before it is fetched again (Oathkeeper's default
 * `jwks_ttl`); a failed refresh keeps the last good keys.
 */
const remoteKeySetTtlMs = 30_000;

/** The most tokens one id_token mutator keeps; the oldest goes first. */
const maxCachedTokens = 10_000;

/**
 * Replaces Authorization with `Bearer <JWT>` signed by the first key of jwks_url: iss, sub, iat, nbf, exp,
 * jti, plus the templated claims. The upstream verifies it against /.well-known/jwks.json. As Oathkeeper
 * does, a token is reused for the same key, subject and claims until less than a tenth of its ttl is left,
 * so a session's requests do not each pay a signature.
 */
export const idTokenMutator: MutatorDefinition<IdTokenConfig> = {
  name: 'id_token',
  description: 'Sets `Authorization: Bearer <JWT>` signed with the first key of `jwks_url` (ES256 or RS256).',
  properties: {
    jwks_url: {
      type: 'string',
      description:
        'The JWKS with the private signing keys: file:// (read when the rules load) or http(s):// (fetched on first use, cached 30s).',
    },
    issuer_url: { type: 'string', description: 'The `iss` of the tokens.' },
    ttl: { type: 'string', default: '15m', description: 'How long a token is valid.' },
    claims: { type: 'string', default: '', description: 'A JSON object template merged into the claims.' },
  },
  required: ['jwks_url', 'issuer_url'],
  compile: (config, rule, services) => {
    let signingKey: () => Promise<SigningKey>;
    if (config.jwks_url.startsWith('file://')) {
      const key = loadSigningKey(config.jwks_url);
      signingKey = () => Promise.resolve(key);
    } else if (/^https?:\/\//.test(config.jwks_url)) {
      const url = remoteUrl('jwks_url', config.jwks_url).href;
      const cache = new KeySetCache(services, remoteKeySetTtlMs, signingKeyOf);
      signingKey = async () => {
        try {
          return await cache.keySet(url);
        } catch (error) {
          throw dependencyFailure('the id_token key set', error);
        }
      };
    } else throw new Error(`jwks_url "${config.jwks_url}" is not a file:// or http(s):// URL`);
    const ttlSeconds = Math.max(1, Math.round(parseDuration('ttl', config.ttl) / 1000));
    const claims = config.claims ? compileTemplate(config.claims, rule.id, jsonEscape) : undefined;
    const probe = { subject: 'probe', extra: {}, captures: Array.from({ length: rule.groups }, () => 'x') };
    if (claims) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(claims(probe));
      } catch {
        throw new Error('the id_token claims are not a JSON object once filled in');
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('the id_token claims are not a JSON object once filled in');
    }
    // Each token, until less than a tenth of its ttl is left.
    const tokens = new ExpiringMap<string>(maxCachedTokens);
    return {
      setsHeaders: [],
      mutate: async (_request, session) => {
        const context = { subject: session.subject, extra: session.extra, captures: session.captures };
        const filledClaims = claims ? claims(context) : '';
        const key = await signingKey();
        const cacheKey = `${key.kid}\n${session.subject}\n${filledClaims}`;
        const cached = tokens.get(cacheKey);
        if (cached) {
          session.header.authorization = `Bearer ${cached}`;
          return;
        }
        const extra = filledClaims ? (JSON.parse(filledClaims) as Record<string, unknown>) : {};
        const now = Math.floor(Date.now() / 1000);
        const jwt = await new SignJWT({ ...extra })
          .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
          .setIssuer(config.issuer_url)
          .setSubject(session.subject)
          .setIssuedAt(now)
          .setNotBefore(now)
          .setExpirationTime(now + ttlSeconds)
          .setJti(randomUUID())
          .sign(key.privateKey);
        tokens.set(cacheKey, jwt, (now + ttlSeconds) * 1000 - ttlSeconds * 100);
        session.header.authorization = `Bearer ${jwt}`;
      },
    };
  },
};
