import { HttpError, schemaParser } from '@mesh/server';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { invalidRequest, OAuth2Error } from '../oauth2-error';

/** OAuth2 endpoints take `application/x-www-form-urlencoded` (RFC 6749 §4.4.2, RFC 7662 §2.1, RFC 7009 §2.1). */
export const formBody = express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 100 });

/**
 * A form parser whose failures are RFC 6749 `invalid_request` answers: the public endpoints speak OAuth2's
 * error format, and a schema error still names the field.
 */
export function oauth2FormParser<T>(schema: object): (request: Request) => T {
  const parse = schemaParser<T>(schema);
  return (request) => {
    if (!request.is('application/x-www-form-urlencoded'))
      throw invalidRequest('The request body must be sent as application/x-www-form-urlencoded.');
    try {
      return parse(request.body);
    } catch (error) {
      if (error instanceof HttpError) throw invalidRequest(`${error.reason ?? error.message}.`);
      throw error;
    }
  };
}

/** The status a body-parser or validation error asks for, when it is the caller's fault. */
function clientErrorStatus(error: unknown): number | undefined {
  if (error instanceof HttpError) return error.status < 500 ? error.status : undefined;
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function writeOAuth2Error(response: Response, error: OAuth2Error): void {
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Pragma', 'no-cache');
  response.status(error.status).json(error.toBody());
}

/**
 * Errors of the OAuth2 endpoints in RFC 6749 JSON, uncached: OAuth2Error as it is, and what the shared body
 * parsers refuse (invalid JSON, a body over 1 MB) as `invalid_request` with its own status. Anything else,
 * and every other route, goes on to the Ory error handler.
 */
export function oauth2Errors(paths: readonly string[]): ErrorRequestHandler {
  return (error: unknown, request, response, next) => {
    if (error instanceof OAuth2Error) {
      if (error.status === 401 && /^Basic\s/i.test(request.get('authorization') ?? ''))
        response.setHeader('WWW-Authenticate', 'Basic realm="oauth2"');
      writeOAuth2Error(response, error);
      return;
    }
    const status = clientErrorStatus(error);
    if (status === undefined || !paths.includes(request.path)) {
      next(error);
      return;
    }
    const reason = error instanceof HttpError ? (error.reason ?? error.message) : (error as Error).message;
    const invalid = invalidRequest(`${reason.replace(/\.$/, '')}.`);
    writeOAuth2Error(response, new OAuth2Error(status, invalid.error, invalid.description, invalid.hint));
  };
}
