import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JSONWebKeySet, JWK } from 'jose';
import { parseJwks } from '../jwks';

export interface SigningKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateKey: KeyObject;
  publicJwk: JWK;
}

/** Every public key the id_token mutator has signed with: served at /.well-known/jwks.json. */
const published = new Map<string, JWK>();

export const publishedKeys = (): JWK[] => [...published.values()];

const algorithmOf = (jwk: JWK): 'ES256' | 'RS256' => {
  if (jwk.alg === 'ES256' || (jwk.alg === undefined && jwk.kty === 'EC' && jwk.crv === 'P-256'))
    return 'ES256';
  if (jwk.alg === 'RS256' || (jwk.alg === undefined && jwk.kty === 'RSA')) return 'RS256';
  throw new Error(
    `key ${jwk.kid ?? '(no kid)'}: only ES256 (EC P-256) and RS256 (RSA) keys can sign ID tokens`,
  );
};

/**
 * The first key of a private key set signs (Oathkeeper uses the first key too); every key's public half
 * is published, so a rotation can add the next key before it signs.
 */
export function signingKeyOf(set: JSONWebKeySet, source: string): SigningKey {
  const keys = set.keys.map((jwk) => {
    if (typeof jwk.d !== 'string')
      throw new Error(`${source}: key ${jwk.kid ?? '(no kid)'} has no private part`);
    if (!jwk.kid) throw new Error(`${source}: every key needs a kid`);
    const alg = algorithmOf(jwk);
    const privateKey = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    const publicJwk = {
      ...(createPublicKey(privateKey).export({ format: 'jwk' }) as JWK),
      kid: jwk.kid,
      alg,
      use: 'sig',
    };
    return { kid: jwk.kid, alg, privateKey, publicJwk };
  });
  const [first] = keys;
  if (!first) throw new Error(`${source}: the key set is empty`);
  for (const key of keys) published.set(key.kid, key.publicJwk);
  return first;
}

/** A file:// key set, read when the rules load. */
export function loadSigningKey(jwksUrl: string): SigningKey {
  return signingKeyOf(parseJwks(readFileSync(fileURLToPath(jwksUrl), 'utf8'), jwksUrl), jwksUrl);
}
