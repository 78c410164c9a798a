import { STATUS_CODES } from 'node:http';

/** The error body every Ory API returns: `{"error":{"code","status","reason","message"}}`. */
export interface OryErrorBody {
  error: { code: number; status: string; reason?: string; message: string; id?: string };
}

/** An error a caller caused (or a dependency is down), answered with its status in the Ory shape. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
    readonly id?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toBody(): OryErrorBody {
    return oryError(this.status, this.message, this.reason, this.id);
  }
}

export function oryError(status: number, message: string, reason?: string, id?: string): OryErrorBody {
  const error: OryErrorBody['error'] = { code: status, status: STATUS_CODES[status] ?? 'Error', message };
  if (reason) error.reason = reason;
  if (id) error.id = id;
  return { error };
}

export const badRequest = (
  reason: string,
  message = 'The request was malformed or contained invalid parameters',
) => new HttpError(400, message, reason);
export const notFound = (reason: string, message = 'The requested resource could not be found') =>
  new HttpError(404, message, reason);
export const unauthorized = (reason: string, message = 'The request could not be authorized') =>
  new HttpError(401, message, reason);
export const forbidden = (reason: string, message = 'The requested action was forbidden') =>
  new HttpError(403, message, reason);
export const conflict = (reason: string, message = 'The resource could not be created due to a conflict') =>
  new HttpError(409, message, reason);
export const serviceUnavailable = (reason: string) =>
  new HttpError(503, 'The service is temporarily unavailable', reason);
