import { HttpError } from '@mesh/server';

/** A failed call (refused, reset, timed out …) as opposed to a bug in the gateway, which must not pass as one. */
export function isCallFailure(error: unknown): boolean {
  return typeof (error as { code?: unknown }).code === 'string';
}

/** A dependency (identity, permission, upstream) that could not give a usable answer: fail closed. */
export function dependencyFailure(what: string, error: unknown): HttpError {
  const code = (error as { code?: string }).code;
  if (code === 'ERR_CLIENT_CLOSED') return clientClosedRequest();
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT')
    return new HttpError(503, `${what} did not answer in time`, 'dependency timeout');
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new HttpError(503, `${what} is unavailable`, 'dependency unavailable');
  }
  return new HttpError(502, `${what} gave an answer the gateway cannot use`, 'bad dependency answer');
}

export const unauthorizedRequest = (reason: string) =>
  new HttpError(401, 'Access credentials are invalid', reason);
export const forbiddenRequest = (reason: string) =>
  new HttpError(403, 'Requested action was forbidden', reason);

/** The client went away: nothing is answered, and every call made for it is destroyed (nginx's 499). */
export const clientClosedRequest = (): HttpError =>
  new HttpError(499, 'The client closed the request', 'client closed request');
