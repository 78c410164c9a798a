import { compileTemplate } from '../../rules/templates';
import type { MutatorDefinition } from '../definition';

interface CookieConfig {
  cookies: Record<string, string>;
}

/** Cookie values may not carry `;`, `,`, whitespace or control characters (RFC 6265 cookie-octet). */
const cookieEscape = (value: string): string =>
  [...value].filter((char) => char > ' ' && char !== '\x7f' && !';,\\"'.includes(char)).join('');

/**
 * Sets templated cookies on the upstream request; the client's other cookies stay, one of the same name is
 * replaced (Oathkeeper's cookie mutator).
 */
export const cookieMutator: MutatorDefinition<CookieConfig> = {
  name: 'cookie',
  description: "Sets templated `cookies` on the upstream request; the client's other cookies stay.",
  properties: {
    cookies: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Cookie name to template.',
    },
  },
  required: ['cookies'],
  compile: (config, rule) => {
    const templates = Object.entries(config.cookies).map(
      ([name, value]) => [name, compileTemplate(value, rule.id, cookieEscape)] as const,
    );
    const probe = { subject: 'probe', extra: {}, captures: Array.from({ length: rule.groups }, () => 'x') };
    for (const [, template] of templates) template(probe);
    const names = new Set(templates.map(([name]) => name));
    return {
      setsHeaders: [],
      mutate: (request, session) => {
        const context = { subject: session.subject, extra: session.extra, captures: session.captures };
        const kept = String(request.headers.cookie ?? '')
          .split(';')
          .map((part) => part.trim())
          .filter((part) => part !== '' && !names.has(part.split('=')[0] ?? ''));
        session.header.cookie = [
          ...templates.map(([name, template]) => `${name}=${template(context)}`),
          ...kept,
        ].join('; ');
        return Promise.resolve();
      },
    };
  },
};
