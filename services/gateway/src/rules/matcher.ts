export type MatchingStrategy = 'regexp' | 'glob';

export interface UrlMatcher {
  /** The capture groups of `url`, one per <…> part, or undefined when it does not match. */
  match(url: string): string[] | undefined;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Splits `http://<[^/]+>/documents/<[^/]+>` into literal text and the <…> parts, honouring nesting. */
export function splitPattern(pattern: string): { literal: boolean; text: string }[] {
  const parts: { literal: boolean; text: string }[] = [];
  let depth = 0;
  let current = '';
  for (const char of pattern) {
    if (char === '<') {
      if (depth === 0) {
        parts.push({ literal: true, text: current });
        current = '';
      } else current += char;
      depth += 1;
    } else if (char === '>' && depth > 0) {
      depth -= 1;
      if (depth === 0) {
        parts.push({ literal: false, text: current });
        current = '';
      } else current += char;
    } else current += char;
  }
  if (depth !== 0) throw new Error(`unbalanced <…> in "${pattern}"`);
  parts.push({ literal: true, text: current });
  return parts.filter((part) => !part.literal || part.text !== '');
}

/** The path of a match.url pattern (`/documents/<[^/]+>`): the low-cardinality name of the gateway's span. */
export function pathPatternOf(pattern: string): string {
  const start = pattern.indexOf('://');
  let depth = 0;
  for (let index = start < 0 ? 0 : start + 3; index < pattern.length; index += 1) {
    const char = pattern[index];
    if (char === '<') depth += 1;
    else if (char === '>') depth -= 1;
    else if (char === '/' && depth === 0) return pattern.slice(index);
  }
  return '/';
}

/**
 * Oathkeeper's glob (gobwas/glob compiled with `.` and `/` as separators): `*` is any run of characters
 * other than `.` and `/`, `**` any run at all, `?` one non-separator, `[abc]`, `[!a-z]` a class, `{a,b}`
 * alternatives, `\\x` a literal x.
 */
export function globSource(glob: string): string {
  let source = '';
  let depth = 0;
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index] ?? '';
    if (char === '\\') {
      index += 1;
      source += escapeRegExp(glob[index] ?? '');
    } else if (char === '*') {
      if (glob[index + 1] === '*') {
        index += 1;
        source += '.*';
      } else source += '[^./]*';
    } else if (char === '?') source += '[^./]';
    else if (char === '[') {
      const end = glob.indexOf(']', index + 2);
      if (end < 0) throw new Error(`unclosed [ in glob "${glob}"`);
      const body = glob.slice(index + 1, end);
      const negated = body.startsWith('!');
      source += `[${negated ? '^' : ''}${(negated ? body.slice(1) : body).replace(/[\\\]^]/g, '\\$&')}]`;
      index = end;
    } else if (char === '{') {
      depth += 1;
      source += '(?:';
    } else if (char === '}' && depth > 0) {
      depth -= 1;
      source += ')';
    } else if (char === ',' && depth > 0) source += '|';
    else source += escapeRegExp(char);
  }
  if (depth !== 0) throw new Error(`unclosed { in glob "${glob}"`);
  return `(?:${source})`;
}

/** Compiles a match.url once, when the rules load. */
export function compileMatcher(pattern: string, strategy: MatchingStrategy): UrlMatcher {
  const source = splitPattern(pattern)
    .map((part) =>
      part.literal
        ? escapeRegExp(part.text)
        : `(${strategy === 'regexp' ? part.text : globSource(part.text)})`,
    )
    .join('');
  const regexp = new RegExp(`^${source}$`);
  return {
    match(url) {
      const result = regexp.exec(url);
      return result ? result.slice(1).map((group) => group ?? '') : undefined;
    },
  };
}
