import type { AuthorizerDefinition } from '../definition';

export const allowAuthorizer: AuthorizerDefinition = {
  name: 'allow',
  description: 'Allows every request.',
  properties: {},
  compile: () => ({ authorize: () => Promise.resolve() }),
};
