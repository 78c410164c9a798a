import { notResponsible, type AuthenticatorDefinition } from '../definition';
import { stringList } from '../properties';
import { checkSession, checkUrl, sessionCheckProperties, type SessionCheckConfig } from './session-check';

interface CookieSessionConfig extends SessionCheckConfig {
  only: string[];
}

function cookiesOf(header: string | undefined, only: readonly string[]): string | undefined {
  const wanted = (header ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '' && (only.length === 0 || only.includes(part.split('=')[0] ?? '')));
  return wanted.length > 0 ? wanted.join('; ') : undefined;
}

/** Responsible when one of `only` is among the cookies; those cookies go to check_session_url. */
export const cookieSessionAuthenticator: AuthenticatorDefinition<CookieSessionConfig> = {
  name: 'cookie_session',
  description: 'Responsible when one of `only` is present; forwards those cookies to `check_session_url`.',
  properties: {
    ...sessionCheckProperties('the request cookies'),
    only: stringList('The cookies that make this authenticator responsible and are forwarded.', [
      'ory_kratos_session',
    ]),
  },
  compile: (config, _rule, services) => {
    const base = checkUrl(config);
    return {
      authenticate: (request) => {
        const cookie = cookiesOf(request.headers.cookie, config.only);
        if (!cookie) return Promise.resolve(notResponsible);
        return checkSession(config, base, request, { cookie }, services);
      },
    };
  },
};
