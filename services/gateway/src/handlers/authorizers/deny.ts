import { forbiddenRequest } from '../../pipeline/failures';
import type { AuthorizerDefinition } from '../definition';

export const denyAuthorizer: AuthorizerDefinition = {
  name: 'deny',
  description: 'Denies every request with 403.',
  properties: {},
  compile: () => ({
    authorize: () => Promise.reject(forbiddenRequest('the deny authorizer denied the request')),
  }),
};
