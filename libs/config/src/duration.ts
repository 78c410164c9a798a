import { ConfigError } from './errors';

/** The duration syntax of Ory configs (`24h`, `10m`, `1h30m`, `500ms`) as a JSON Schema pattern. */
export const durationPattern = '^([0-9]+(ms|s|m|h))+$';

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(key: string, text: string): number {
  if (!new RegExp(durationPattern).test(text))
    throw new ConfigError(key, text, 'a duration such as 24h, 10m or 500ms');
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)(ms|s|m|h)/g))
    total += Number(amount) * (unitMs[unit as string] ?? 0);
  return total;
}
