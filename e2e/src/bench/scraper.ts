import type { Mesh } from '../mesh';
import { metricsEndpoints } from '../metrics-endpoints';

/**
 * Scrapes every service's metrics once a second, as a Prometheus with `scrape_interval: 1s` would, so the
 * scenarios' figures include what the exposition costs. A failed scrape fails the run: it would mean a
 * service stopped answering.
 */
export function scrapeEverySecond(mesh: Mesh): { stop(): Promise<number> } {
  const urls = Object.values(metricsEndpoints(mesh));
  let scrapes = 0;
  let failure: Error | undefined;
  const scrapeAll = async () => {
    await Promise.all(
      urls.map(async (url) => {
        const response = await fetch(url, { headers: { accept: 'application/openmetrics-text' } });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`scrape of ${url}: ${response.status}`);
        scrapes += 1;
      }),
    ).catch((error: unknown) => {
      failure ??= error instanceof Error ? error : new Error(String(error));
    });
  };
  let running = scrapeAll();
  const timer = setInterval(() => {
    running = running.then(scrapeAll);
  }, 1_000);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      if (failure) throw failure;
      return scrapes;
    },
  };
}
