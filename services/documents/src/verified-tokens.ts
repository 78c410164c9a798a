import { ExpiringMap } from '@mesh/cache';

/**
 * id_tokens already verified, by their exact text. The gateway reuses one token per session until a tenth
 * of its ttl is left (as Oathkeeper's id_token mutator does), so documents sees the same token over and
 * over; like Envoy's `jwt_cache_config`, it verifies each one once and reuses the outcome. An entry is
 * reused only until the token's `exp` and at most `ttlMs` after it was verified, so a key that the gateway
 * withdraws stops covering its tokens within the ttl. A token that differs by one character (another
 * signature, a changed claim) is another key: it is verified afresh.
 */
export class VerifiedTokens {
  /** Each token's subject, until the earlier of its `exp` and the ttl. */
  private readonly entries: ExpiringMap<string>;

  constructor(
    private readonly ttlMs: number,
    maxTokens: number,
  ) {
    this.entries = new ExpiringMap(maxTokens);
  }

  /** The subject of a token verified before and still reusable now, else undefined (and it is dropped). */
  subjectOf(token: string, nowMs = Date.now()): string | undefined {
    return this.entries.get(token, nowMs);
  }

  /** Keeps a token that has just been verified; the oldest entry goes when the cache is full. */
  remember(token: string, subject: string, expiresAtSeconds: number, nowMs = Date.now()): void {
    this.entries.set(token, subject, Math.min(expiresAtSeconds * 1000, nowMs + this.ttlMs), nowMs);
  }

  get size(): number {
    return this.entries.size;
  }
}
