import type { AuthenticatorDefinition } from '../definition';

/** Passes every request with an empty subject (Oathkeeper's noop). */
export const noopAuthenticator: AuthenticatorDefinition = {
  name: 'noop',
  description: 'Every request passes, with an empty subject.',
  properties: {},
  compile: () => ({ authenticate: () => Promise.resolve({ subject: '', extra: {} }) }),
};
