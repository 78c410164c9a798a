import type { ErrorHandlerDefinition } from '../definition';
import { when } from '../properties';

/** The Ory error shape `{"error":{"code","status","reason","message"}}`, written by the gateway itself. */
export const jsonErrorHandler: ErrorHandlerDefinition<{ verbose?: boolean }> = {
  name: 'json',
  description:
    'Answers with the Ory error shape (the reason is always included; `verbose` is accepted for compatibility).',
  properties: {
    verbose: { type: 'boolean', default: false, description: 'Accepted for Oathkeeper compatibility.' },
    when,
  },
  compile: () => ({ handle: () => undefined }),
};
