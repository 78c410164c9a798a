import type { HandlerAnswer } from '../outbound';

/** A handler's endpoint key (`remote`, `api.url`): an absolute http(s) URL, checked when the rules load. */
export function remoteUrl(key: string, value: string): URL {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // Reported below with the key's name.
  }
  throw new Error(`${key} "${value}" is not an http(s) URL`);
}

/** `forward_response_headers_to_upstream`: the listed headers of an authorizer's answer, lower-cased. */
export function forwardedAnswerHeaders(
  answer: HandlerAnswer,
  names: readonly string[],
): Record<string, string> {
  const forwarded: Record<string, string> = {};
  for (const name of names.map((listed) => listed.toLowerCase())) {
    const value = answer.headers[name];
    if (value !== undefined) forwarded[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return forwarded;
}
