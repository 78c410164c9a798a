import { HttpError } from '@mesh/server';
import type { HandlerAnswer } from '../outbound';
import { dependencyFailure, forbiddenRequest, isCallFailure } from '../pipeline/failures';
import type { Session } from './definition';

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

/**
 * An authorizer's call and Oathkeeper's reading of its answer: 200 allows (passing on the listed answer
 * headers), 403 denies, 429 is passed on, anything else (or no answer) fails closed.
 */
export async function askAuthorizer(
  handler: string,
  call: () => Promise<HandlerAnswer>,
  forwardedHeaders: readonly string[],
  session: Session,
): Promise<void> {
  let answer: HandlerAnswer;
  try {
    answer = await call();
  } catch (error) {
    if (!isCallFailure(error)) throw error;
    throw dependencyFailure(`the ${handler} authorizer`, error);
  }
  if (answer.status === 403) throw forbiddenRequest(`the ${handler} authorizer denied the request`);
  if (answer.status === 429)
    throw new HttpError(429, 'Too Many Requests', `the ${handler} authorizer answered 429`);
  if (answer.status !== 200)
    throw dependencyFailure(`the ${handler} authorizer`, new Error(`status ${answer.status}`));
  Object.assign(session.header, forwardedAnswerHeaders(answer, forwardedHeaders));
}
