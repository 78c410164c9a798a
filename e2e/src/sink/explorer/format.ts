/** A duration in milliseconds for people: 0.42 ms, 12.3 ms, 1.25 s. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

const units: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A Go duration string, as Jaeger's query API and UI take it ("1.5ms", "100us", "2s", "1m30s"), in
 * milliseconds; undefined when it is not one.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(amount) * units[unit!]!;
  }
  return total;
}

/** Unix nanoseconds as an ISO time with milliseconds. */
export const isoOf = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();

/** The colours of up to twelve services, then repeating: one per service on every page. */
const palette = [
  '#1f77b4',
  '#0f7b6c',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#17becf',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#393b79',
  '#637939',
];

/** One colour per service, by its place among all services the sink knows: the same on every page. */
export function serviceColours(services: Iterable<string>): (service: string) => string {
  const sorted = [...new Set(services)].sort();
  return (service) => palette[Math.max(sorted.indexOf(service), 0) % palette.length]!;
}
