import { HttpError, schemaParser } from '@mesh/server';
import express, { type ErrorRequestHandler, type Request } from 'express';
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

/** Writes OAuth2Error as RFC 6749 JSON, uncached; any other error goes on to the Ory error handler. */
export const oauth2Errors: ErrorRequestHandler = (error: unknown, request, response, next) => {
  if (!(error instanceof OAuth2Error)) {
    next(error);
    return;
  }
  if (error.status === 401 && /^Basic\s/i.test(request.get('authorization') ?? ''))
    response.setHeader('WWW-Authenticate', 'Basic realm="oauth2"');
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Pragma', 'no-cache');
  response.status(error.status).json(error.toBody());
};
