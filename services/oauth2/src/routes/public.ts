import type { Express } from 'express';
import type { TokenEndpoint } from '../token-endpoint';
import {
  revocationFormSchema,
  tokenFormSchema,
  type RevocationForm,
  type TokenForm,
} from '../request-schemas';
import { formBody, oauth2Errors, oauth2FormParser } from './forms';

const parseTokenForm = oauth2FormParser<TokenForm>(tokenFormSchema);
const parseRevocationForm = oauth2FormParser<RevocationForm>(revocationFormSchema);

export interface Discovery {
  /** The issuer, without a trailing slash: the base of every advertised URL. */
  issuer: string;
  jwks: () => Promise<object>;
}

/** Hydra's public API, for the client credentials grant: token, revocation, discovery and keys. */
export function addPublicRoutes(app: Express, endpoint: TokenEndpoint, discovery: Discovery): void {
  app.post('/oauth2/token', formBody, async (request, response) => {
    const token = await endpoint.token(parseTokenForm(request), request.get('authorization'));
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Pragma', 'no-cache');
    response.json(token);
  });

  app.post('/oauth2/revoke', formBody, async (request, response) => {
    await endpoint.revoke(parseRevocationForm(request), request.get('authorization'));
    response.status(200).end();
  });

  app.get('/.well-known/openid-configuration', (_request, response) => {
    const { issuer } = discovery;
    response.json({
      issuer,
      token_endpoint: `${issuer}/oauth2/token`,
      revocation_endpoint: `${issuer}/oauth2/revoke`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      response_types_supported: [],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
  });

  app.get('/.well-known/jwks.json', async (_request, response) => {
    response.json(await discovery.jwks());
  });

  app.use(oauth2Errors(['/oauth2/token', '/oauth2/revoke']));
}
