import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { HandlerServices } from './definition';

interface CachedSet<Keys> {
  keys: Keys;
  fetchedAt: number;
}

export function parseJwks(text: string, source: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not JSON`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new Error(`${source} is not a JSON Web Key Set (no "keys" array)`);
  return parsed as JSONWebKeySet;
}

/**
 * Key sets by URL, fetched on first use and again after `ttlMs`, or when asked to (a token names a key id
 * the cached set lacks: a key rotation), at most once a second. http(s) fetches go through the gateway's
 * outbound calls, so each is a client span under the handler's span; file:// sets are read from disk.
 * `prepare` turns a fetched set into what the handler uses (a verifier, signing keys) once per fetch.
 */
export class KeySetCache<Keys> {
  private readonly sets = new Map<string, CachedSet<Keys>>();
  private readonly inflight = new Map<string, Promise<CachedSet<Keys>>>();

  constructor(
    private readonly services: HandlerServices,
    private readonly ttlMs: number,
    private readonly prepare: (set: JSONWebKeySet, url: string) => Keys,
  ) {}

  async keySet(url: string, forceRefresh = false): Promise<Keys> {
    const cached = this.sets.get(url);
    const now = Date.now();
    const fresh = cached && now - cached.fetchedAt < this.ttlMs;
    const mayRefresh = !cached || now - cached.fetchedAt > 1_000;
    if (cached && ((fresh && !forceRefresh) || !mayRefresh)) return cached.keys;
    let pending = this.inflight.get(url);
    if (!pending) {
      pending = this.fetch(url).finally(() => this.inflight.delete(url));
      this.inflight.set(url, pending);
    }
    try {
      return (await pending).keys;
    } catch (error) {
      // A set that cannot be refreshed keeps serving its last good keys.
      if (cached) return cached.keys;
      throw error;
    }
  }

  private async fetch(url: string): Promise<CachedSet<Keys>> {
    let text: string;
    if (url.startsWith('file://')) text = readFileSync(fileURLToPath(url), 'utf8');
    else {
      const answer = await this.services.call({
        method: 'GET',
        url: new URL(url),
        headers: { accept: 'application/json' },
      });
      if (answer.status !== 200)
        throw Object.assign(new Error(`the JWKS at ${url} answered ${answer.status}`), { code: 'ERR_JWKS' });
      text = answer.body;
    }
    const set = { keys: this.prepare(parseJwks(text, url), url), fetchedAt: Date.now() };
    this.sets.set(url, set);
    return set;
  }
}

/** The public key sets of the jwt authenticator's jwks_urls, as verifiers. */
export const jwksVerifierCache = (services: HandlerServices, ttlMs: number): KeySetCache<JWTVerifyGetKey> =>
  new KeySetCache(services, ttlMs, (set) => createLocalJWKSet(set));
