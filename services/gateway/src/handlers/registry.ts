import { anonymousAuthenticator } from './authenticators/anonymous';
import { bearerTokenAuthenticator } from './authenticators/bearer-token';
import { cookieSessionAuthenticator } from './authenticators/cookie-session';
import { jwtAuthenticator } from './authenticators/jwt';
import { noopAuthenticator } from './authenticators/noop';
import { oauth2ClientCredentialsAuthenticator } from './authenticators/oauth2-client-credentials';
import { oauth2IntrospectionAuthenticator } from './authenticators/oauth2-introspection';
import { unauthorizedAuthenticator } from './authenticators/unauthorized';
import { allowAuthorizer } from './authorizers/allow';
import { denyAuthorizer } from './authorizers/deny';
import { remoteAuthorizer } from './authorizers/remote';
import { remoteJsonAuthorizer } from './authorizers/remote-json';
import type { HandlerDefinition } from './definition';
import { jsonErrorHandler } from './errors/json';
import { redirectErrorHandler } from './errors/redirect';
import { wwwAuthenticateErrorHandler } from './errors/www-authenticate';
import { cookieMutator } from './mutators/cookie';
import { headerMutator } from './mutators/header';
import { hydratorMutator } from './mutators/hydrator';
import { idTokenMutator } from './mutators/id-token';
import { noopMutator } from './mutators/noop';

export type AnyDefinition = HandlerDefinition<never, unknown>;
export type HandlerKind = 'authenticators' | 'authorizers' | 'mutators' | 'errors';

/** Every handler the gateway knows, by kind: adding one is its file plus a line here. */
export const handlerRegistry: Record<HandlerKind, readonly AnyDefinition[]> = {
  authenticators: [
    noopAuthenticator,
    anonymousAuthenticator,
    unauthorizedAuthenticator,
    cookieSessionAuthenticator,
    bearerTokenAuthenticator,
    jwtAuthenticator,
    oauth2IntrospectionAuthenticator,
    oauth2ClientCredentialsAuthenticator,
  ],
  authorizers: [allowAuthorizer, denyAuthorizer, remoteAuthorizer, remoteJsonAuthorizer],
  mutators: [noopMutator, headerMutator, cookieMutator, idTokenMutator, hydratorMutator],
  errors: [jsonErrorHandler, redirectErrorHandler, wwwAuthenticateErrorHandler],
};
