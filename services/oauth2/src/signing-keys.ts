import { exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';
import { randomUUID } from 'node:crypto';
import type { KeyStore } from './store/key-store';

/** Hydra's key set for JWT access tokens. */
export const accessTokenKeySet = 'hydra.jwt.access-token';
export const signingAlgorithm = 'RS256';

const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;

/** The public half of a JWK: what /.well-known/jwks.json may show. */
export function publicJwk(jwk: JWK): JWK {
  const copy: JWK = { ...jwk };
  for (const member of privateMembers) delete copy[member];
  return copy;
}

export interface SigningKey {
  kid: string;
  key: KeyLike | Uint8Array;
}

/**
 * The key JWT access tokens are signed with: the oldest key of the set, created (RS256, 2048 bits) when
 * the set is empty. Runs at start-up, so no request ever waits for a key to be generated.
 */
export async function loadSigningKey(keys: KeyStore): Promise<SigningKey> {
  let stored = await keys.list(accessTokenKeySet);
  if (stored.length === 0) {
    const { privateKey } = await generateKeyPair(signingAlgorithm, { extractable: true });
    const kid = randomUUID();
    const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: signingAlgorithm, use: 'sig' };
    await keys.add(accessTokenKeySet, { kid, keydata: JSON.stringify(jwk) });
    stored = await keys.list(accessTokenKeySet);
  }
  const oldest = stored[0];
  if (!oldest) throw new Error(`the key set ${accessTokenKeySet} is empty after creating a key`);
  return { kid: oldest.kid, key: await importJWK(JSON.parse(oldest.keydata) as JWK, signingAlgorithm) };
}

/** Every public key of the set, for /.well-known/jwks.json. */
export async function publicKeySet(keys: KeyStore): Promise<{ keys: JWK[] }> {
  const stored = await keys.list(accessTokenKeySet);
  return { keys: stored.map((key) => publicJwk(JSON.parse(key.keydata) as JWK)) };
}
