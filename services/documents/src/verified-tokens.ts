/** What a verified id_token said, and until when that answer may be reused. */
interface Verified {
  subject: string;
  /** The earlier of the token's `exp` and the cache's ttl, in ms since the epoch. */
  reusableUntilMs: number;
}

/**
 * id_tokens already verified, by their exact text. The gateway reuses one token per session until a tenth
 * of its ttl is left (as Oathkeeper's id_token mutator does), so documents sees the same token over and
 * over; like Envoy's `jwt_cache_config`, it verifies each one once and reuses the outcome. An entry is
 * reused only until the token's `exp` and at most `ttlMs` after it was verified, so a key that the gateway
 * withdraws stops covering its tokens within the ttl. A token that differs by one character (another
 * signature, a changed claim) is another key: it is verified afresh.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Verified>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxTokens: number,
  ) {}

  /** The subject of a token verified before and still reusable now, else undefined (and it is dropped). */
  subjectOf(token: string, nowMs = Date.now()): string | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (nowMs >= entry.reusableUntilMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.subject;
  }

  /** Keeps a token that has just been verified; the oldest entry goes when the cache is full. */
  remember(token: string, subject: string, expiresAtSeconds: number, nowMs = Date.now()): void {
    const reusableUntilMs = Math.min(expiresAtSeconds * 1000, nowMs + this.ttlMs);
    if (reusableUntilMs <= nowMs || this.maxTokens <= 0) return;
    this.entries.delete(token);
    if (this.entries.size >= this.maxTokens) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { subject, reusableUntilMs });
  }

  get size(): number {
    return this.entries.size;
  }
}
