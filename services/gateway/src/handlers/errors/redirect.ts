import type { ErrorHandlerDefinition } from '../definition';
import { when } from '../properties';

interface RedirectConfig {
  to: string;
  code: number;
  return_to_query_param: string;
}

/** Redirects (302 or 301) to `to`, optionally with the original URL in `return_to_query_param`. */
export const redirectErrorHandler: ErrorHandlerDefinition<RedirectConfig> = {
  name: 'redirect',
  description:
    'Redirects to `to` with `code` (301 or 302), adding the original URL as `return_to_query_param`.',
  properties: {
    to: { type: 'string', description: 'The redirect target, absolute or relative.' },
    code: { type: 'integer', enum: [301, 302], default: 302, description: 'The redirect status.' },
    return_to_query_param: {
      type: 'string',
      pattern: '^[A-Za-z0-9,._~-]*$',
      default: '',
      description: 'The query parameter that carries the original URL.',
    },
    when,
  },
  required: ['to'],
  compile: (config) => {
    const relative = !/^[a-z][a-z0-9+.-]*:/i.test(config.to);
    const base = new URL(config.to, 'http://relative.invalid');
    return {
      handle: (request) => {
        const target = new URL(base);
        if (config.return_to_query_param)
          target.searchParams.set(config.return_to_query_param, request.url.toString());
        const location = relative ? `${target.pathname}${target.search}${target.hash}` : target.toString();
        return { status: config.code, headers: { location }, body: '' };
      },
    };
  },
};
