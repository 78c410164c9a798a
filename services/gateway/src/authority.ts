import { badRequest } from '@mesh/server';

/**
 * RFC 3986 `host [ ":" port ]`: an IP literal in brackets, or a reg-name of unreserved characters,
 * sub-delims and percent-encodings. `/`, `?`, `#`, `@`, `\`, whitespace and control characters are not
 * in it, so an authority cannot carry a path, a query or userinfo into the URL the rules match.
 */
const authorityPattern =
  /^(?:\[[0-9A-Fa-f:.]+\]|\[v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::[0-9]*)?$/;

const authorityRefusals = new WeakSet<object>();

/** True for the 400 of an invalid Host: the server span's `server.address` then holds the bad value. */
export const isAuthorityRefusal = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && authorityRefusals.has(error);

/** The authority a URL may be built from, or 400 naming the header (never its value). */
export function validAuthority(value: string | undefined, header: string): string {
  if (value !== undefined && value !== '' && authorityPattern.test(value)) return value;
  const refusal = badRequest(
    value === undefined || value === ''
      ? `the ${header} header is missing`
      : `the ${header} header is not a valid authority (RFC 3986 host and port)`,
  );
  authorityRefusals.add(refusal);
  throw refusal;
}

/** X-Forwarded-Proto on the decision API: only the schemes a rule can match. */
export function validScheme(value: string): 'http' | 'https' {
  const lower = value.toLowerCase();
  if (lower !== 'http' && lower !== 'https')
    throw badRequest('the X-Forwarded-Proto header is not http or https');
  return lower;
}
