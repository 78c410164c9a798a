import type { ErrorHandlerDefinition } from '../definition';
import { when } from '../properties';

/** 401 with `WWW-Authenticate: Basic realm="<realm>"`, so a browser asks for credentials. */
export const wwwAuthenticateErrorHandler: ErrorHandlerDefinition<{ realm: string }> = {
  name: 'www_authenticate',
  description: 'Answers 401 with `WWW-Authenticate: Basic realm=...`.',
  properties: {
    realm: {
      type: 'string',
      default: 'Please authenticate.',
      description: 'The realm shown by the browser.',
    },
    when,
  },
  compile: (config) => ({
    handle: (_request, error) => ({
      status: 401,
      headers: {
        'www-authenticate': `Basic realm=${JSON.stringify(config.realm)}`,
        'content-type': 'text/plain; charset=utf-8',
      },
      body: error.message,
    }),
  }),
};
