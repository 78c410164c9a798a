import { badRequest } from '@mesh/server';

/**
 * Percent-encodings that would let a path mean one thing to the matcher and another to the upstream:
 * encoded slash, backslash, dot, NUL and percent (double encoding).
 */
const ambiguousEncoding = /%(2f|5c|2e|00|25)/i;

/**
 * The request path as the rules see it: dot segments resolved and duplicate slashes folded. Encoded
 * traversal tricks, backslashes and control characters are refused with 400, never guessed at.
 */
export function normalisePath(rawPath: string): string {
  if (!rawPath.startsWith('/')) throw badRequest('the request path must start with /');
  if (ambiguousEncoding.test(rawPath))
    throw badRequest('the request path contains an encoded slash, backslash, dot or percent');
  if (
    [...rawPath].some((char) => char === '\\' || char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)
  ) {
    throw badRequest('the request path contains a backslash or a control character');
  }
  try {
    decodeURIComponent(rawPath);
  } catch {
    throw badRequest('the request path is not valid percent-encoding');
  }
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) throw badRequest('the request path climbs above the root');
      segments.pop();
    } else segments.push(segment);
  }
  const trailing = rawPath.endsWith('/') && segments.length > 0 ? '/' : '';
  return `/${segments.join('/')}${trailing}`;
}
