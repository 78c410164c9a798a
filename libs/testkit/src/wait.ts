import { setTimeout as delay } from 'node:timers/promises';

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await delay(everyMs);
  }
}

/** Resolves once `url` answers 200. */
export function waitForHttpOk(url: string, timeoutMs = 15_000): Promise<true> {
  return waitFor(
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return response.ok ? true : undefined;
    },
    url,
    timeoutMs,
  );
}
