import { notResponsible, type AuthenticatorDefinition } from '../definition';

interface AnonymousConfig {
  subject: string;
}

/** A request without an Authorization header gets the configured subject; with one, the next authenticator is tried. */
export const anonymousAuthenticator: AuthenticatorDefinition<AnonymousConfig> = {
  name: 'anonymous',
  description: 'Requests without an Authorization header get `subject`; with one it is not responsible.',
  properties: {
    subject: { type: 'string', default: 'anonymous', description: 'The subject of an anonymous request.' },
  },
  compile: (config) => ({
    authenticate: (request) =>
      Promise.resolve(
        request.headers.authorization ? notResponsible : { subject: config.subject, extra: {} },
      ),
  }),
};
