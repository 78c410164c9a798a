/** A configuration problem, always one line: the key, the bad value and what is allowed. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${key || '(root)'}: ${formatValue(value)} is not ${expected}`);
    this.name = 'ConfigError';
  }
}

export function formatValue(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
