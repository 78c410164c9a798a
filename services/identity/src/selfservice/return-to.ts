import { returnToForbidden } from '../kratos-errors';

/** Kratos's allow list: the same scheme, host and port as an entry, and a path under the entry's path. */
export class ReturnToPolicy {
  private readonly allowed: URL[];

  constructor(allowed: readonly string[], defaultUrl: string) {
    this.allowed = [...allowed, defaultUrl].map((url) => new URL(url));
  }

  /** The return_to a flow may use: undefined when absent, Kratos's 400 when not allowed. */
  check(value: unknown): string | undefined {
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw returnToForbidden(String(value));
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw returnToForbidden(value);
    }
    const ok = this.allowed.some(
      (entry) =>
        entry.protocol === url.protocol && entry.host === url.host && url.pathname.startsWith(entry.pathname),
    );
    if (!ok) throw returnToForbidden(value);
    return url.toString();
  }
}
