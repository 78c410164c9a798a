import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { HandlerServices } from './definition';

interface CachedSet {
  keys: JWTVerifyGetKey;
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
 * The key sets of jwks_urls, fetched on first use and again after `ttlMs`, or when a token names a key id
 * the cached set lacks (a key rotation), at most once a second. http(s) fetches go through the gateway's
 * outbound calls, so each is a client span under the handler's span; file:// sets are read from disk.
 */
export class JwksCache {
  private readonly sets = new Map<string, CachedSet>();
  private readonly inflight = new Map<string, Promise<CachedSet>>();

  constructor(
    private readonly services: HandlerServices,
    private readonly ttlMs: number,
  ) {}

  async keySet(url: string, forceRefresh = false): Promise<JWTVerifyGetKey> {
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

  private async fetch(url: string): Promise<CachedSet> {
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
    const set = { keys: createLocalJWKSet(parseJwks(text, url)), fetchedAt: Date.now() };
    this.sets.set(url, set);
    return set;
  }
}
