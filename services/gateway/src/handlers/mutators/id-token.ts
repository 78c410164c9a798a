import { randomUUID } from 'node:crypto';
import { parseDuration } from '@mesh/config';
import { SignJWT } from 'jose';
import { compileTemplate, jsonEscape } from '../../rules/templates';
import type { MutatorDefinition } from '../definition';
import { loadSigningKey } from './signing-keys';

interface IdTokenConfig {
  jwks_url: string;
  issuer_url: string;
  ttl: string;
  claims: string;
}

/**
 * Replaces Authorization with `Bearer <JWT>` signed by the first key of jwks_url: iss, sub, iat, nbf, exp,
 * jti, plus the templated claims. The upstream verifies it against /.well-known/jwks.json.
 */
export const idTokenMutator: MutatorDefinition<IdTokenConfig> = {
  name: 'id_token',
  description: 'Sets `Authorization: Bearer <JWT>` signed with the first key of `jwks_url` (ES256 or RS256).',
  properties: {
    jwks_url: { type: 'string', description: 'A file:// JWKS with the private signing keys.' },
    issuer_url: { type: 'string', description: 'The `iss` of the tokens.' },
    ttl: { type: 'string', default: '15m', description: 'How long a token is valid.' },
    claims: { type: 'string', default: '', description: 'A JSON object template merged into the claims.' },
  },
  required: ['jwks_url', 'issuer_url'],
  compile: (config, rule) => {
    const key = loadSigningKey(config.jwks_url);
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
    return {
      setsHeaders: [],
      mutate: async (_request, session) => {
        const context = { subject: session.subject, extra: session.extra, captures: session.captures };
        const extra = claims ? (JSON.parse(claims(context)) as Record<string, unknown>) : {};
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
        session.header.authorization = `Bearer ${jwt}`;
      },
    };
  },
};
