import { unauthorizedRequest } from '../../pipeline/failures';
import type { AuthenticatorDefinition } from '../definition';

/** Refuses every request with 401 (Oathkeeper's unauthorized), for rules that close a path. */
export const unauthorizedAuthenticator: AuthenticatorDefinition = {
  name: 'unauthorized',
  description: 'Every request is refused with 401.',
  properties: {},
  compile: () => ({
    authenticate: () =>
      Promise.reject(unauthorizedRequest('the unauthorized authenticator refuses every request')),
  }),
};
