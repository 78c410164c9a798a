/** Oathkeeper's (fosite's) scope strategies: does the granted list satisfy one required scope? */
export type ScopeStrategy = 'hierarchic' | 'exact' | 'wildcard' | 'none';

function hierarchic(granted: readonly string[], needed: string): boolean {
  // "a" grants "a" and "a.b.c".
  return granted.some((scope) => needed === scope || needed.startsWith(`${scope}.`));
}

function wildcard(granted: readonly string[], needed: string): boolean {
  // "a.*" grants "a.b" (one or more segments); "*" alone grants nothing special beyond itself.
  const neededParts = needed.split('.');
  return granted.some((scope) => {
    if (scope === needed) return true;
    const parts = scope.split('.');
    if (parts.length > neededParts.length) return false;
    for (const [index, part] of parts.entries()) {
      if (part === '*') {
        if (index === parts.length - 1) return true;
        continue;
      }
      if (part !== neededParts[index]) return false;
    }
    return parts.length === neededParts.length;
  });
}

/** Every required scope granted under the strategy; `none` performs no check, as in Oathkeeper. */
export function scopesSatisfied(
  strategy: ScopeStrategy,
  granted: readonly string[],
  required: readonly string[],
): boolean {
  if (strategy === 'none') return true;
  const match =
    strategy === 'exact'
      ? (list: readonly string[], needed: string) => list.includes(needed)
      : strategy === 'hierarchic'
        ? hierarchic
        : wildcard;
  return required.every((needed) => match(granted, needed));
}

/** Scopes as OAuth 2.0 carries them: a space-separated `scope`, or a `scp`/`scope`/`scopes` array. */
export function scopesOf(claims: Record<string, unknown>): string[] {
  for (const key of ['scp', 'scope', 'scopes']) {
    const value = claims[key];
    if (typeof value === 'string') return value.split(' ').filter(Boolean);
    if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  }
  return [];
}
