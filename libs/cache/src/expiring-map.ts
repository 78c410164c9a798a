/**
 * A map whose entries expire and whose size is bounded, for the caches that reuse a costly answer (a
 * signed or verified token, a grant, a hydrated session) for a while. Each entry carries its own deadline:
 * it is returned until then, and dropped when it is next looked up after it. When the map is full, the
 * entry set longest ago goes first, so memory stays bounded whatever keys the clients send.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; untilMs: number }>();

  constructor(private readonly maxEntries: number) {}

  /** The value set for `key`, while `nowMs` is before its deadline; else undefined (and it is dropped). */
  get(key: string, nowMs = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (nowMs >= entry.untilMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Keeps `value` for `key` until `untilMs` (Infinity: until it is evicted), as the newest entry. A
   * deadline already passed, or a map of no entries, keeps nothing.
   */
  set(key: string, value: V, untilMs: number, nowMs = Date.now()): void {
    this.entries.delete(key);
    if (untilMs <= nowMs || this.maxEntries <= 0) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, untilMs });
  }

  get size(): number {
    return this.entries.size;
  }
}
