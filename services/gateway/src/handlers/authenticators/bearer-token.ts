import { notResponsible, type AuthenticatorDefinition } from '../definition';
import { tokenFrom as tokenFromSchema, type TokenFrom } from '../properties';
import { checkTokenFrom, tokenFrom } from '../token';
import { checkSession, checkUrl, sessionCheckProperties, type SessionCheckConfig } from './session-check';

interface BearerTokenConfig extends SessionCheckConfig {
  token_from?: TokenFrom;
  prefix: string;
}

/**
 * Responsible when the token is where token_from says (default `Authorization: Bearer`; without token_from
 * Kratos's `X-Session-Token` is read too); the token goes to check_session_url as `Authorization: Bearer`.
 */
export const bearerTokenAuthenticator: AuthenticatorDefinition<BearerTokenConfig> = {
  name: 'bearer_token',
  description:
    'Responsible for a token at `token_from` (default `Authorization: Bearer`, or `X-Session-Token`); sends it as `Authorization: Bearer`.',
  properties: {
    ...sessionCheckProperties('the bearer token'),
    token_from: tokenFromSchema,
    prefix: {
      type: 'string',
      default: '',
      description: 'Only tokens starting with this prefix make it responsible.',
    },
  },
  compile: (config, _rule, services) => {
    const from = checkTokenFrom(config.token_from);
    const base = checkUrl(config);
    return {
      authenticate: (request) => {
        const token =
          tokenFrom(request, from, config.prefix) ??
          (from ? undefined : tokenFrom(request, { header: 'x-session-token' }, config.prefix));
        if (!token) return Promise.resolve(notResponsible);
        return checkSession(config, base, request, { authorization: `Bearer ${token}` }, services);
      },
    };
  },
};
