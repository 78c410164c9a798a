import { compileTemplate, headerEscape } from '../../rules/templates';
import type { MutatorDefinition } from '../definition';

interface HeaderConfig {
  headers: Record<string, string>;
}

/** Sets templated headers (`X-User: {{ print .Subject }}`); a client can never send them itself. */
export const headerMutator: MutatorDefinition<HeaderConfig> = {
  name: 'header',
  description: "Sets templated `headers`; the client's own copies are removed from every request.",
  properties: {
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Header name to template.',
    },
  },
  required: ['headers'],
  compile: (config, rule) => {
    const templates = Object.entries(config.headers).map(
      ([name, value]) => [name.toLowerCase(), compileTemplate(value, rule.id, headerEscape)] as const,
    );
    const probe = { subject: 'probe', extra: {}, captures: Array.from({ length: rule.groups }, () => 'x') };
    for (const [, template] of templates) template(probe);
    return {
      setsHeaders: templates.map(([name]) => name),
      mutate: (_request, session) => {
        const context = { subject: session.subject, extra: session.extra, captures: session.captures };
        for (const [name, template] of templates) session.header[name] = template(context);
        return Promise.resolve();
      },
    };
  },
};
