import type { AccessTokens, TokenResponse } from './access-tokens';
import { presentedCredentials, type ClientAuthenticator } from './client-authentication';
import { grantTypesOf } from './client-service';
import {
  invalidRequest,
  invalidScope,
  unauthorizedClient,
  unsupportedGrantType,
  OAuth2Error,
} from './oauth2-error';
import type { RevocationForm, TokenForm } from './request-schemas';

const words = (value: string | undefined): string[] => (value ?? '').split(' ').filter(Boolean);

/** `audience` may come space-separated, repeated, or both (fosite reads it so). */
const audienceOf = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value : [value ?? '']).flatMap(words);

/** The public OAuth2 endpoints' behaviour: the client credentials grant and revocation (RFC 6749, RFC 7009). */
export class TokenEndpoint {
  constructor(
    private readonly authenticator: ClientAuthenticator,
    private readonly tokens: AccessTokens,
  ) {}

  /** fosite's order: the form, then client authentication, then the grant type, then scope and audience. */
  async token(form: TokenForm, authorization: string | undefined): Promise<TokenResponse> {
    const client = await this.authenticator.authenticate(presentedCredentials(authorization, form));
    if (form.grant_type !== 'client_credentials') {
      throw unsupportedGrantType(
        `The grant type '${form.grant_type}' is not supported by this server; it supports 'client_credentials'.`,
      );
    }
    if (!grantTypesOf(client).includes('client_credentials'))
      throw unauthorizedClient(
        "The OAuth 2.0 Client is not allowed to use authorization grant 'client_credentials'.",
      );
    const allowedScope = words(client.scope);
    const scope = words(form.scope);
    for (const requested of scope) {
      if (!allowedScope.includes(requested))
        throw invalidScope(`The OAuth 2.0 Client is not allowed to request scope '${requested}'.`);
    }
    const audience = audienceOf(form.audience);
    for (const requested of audience) {
      if (!client.audience.includes(requested))
        throw invalidRequest(
          `Requested audience '${requested}' has not been whitelisted by the OAuth 2.0 Client.`,
        );
    }
    return this.tokens.issue(client.id, [...new Set(scope)], [...new Set(audience)]);
  }

  /** RFC 7009: an unknown token is not an error; another client's token is (fosite's unauthorized_client). */
  async revoke(form: RevocationForm, authorization: string | undefined): Promise<void> {
    const client = await this.authenticator.authenticate(presentedCredentials(authorization, form));
    const record = await this.tokens.find(form.token);
    if (!record) return;
    if (record.client_id !== client.id)
      throw new OAuth2Error(
        400,
        'unauthorized_client',
        'The client is not authorized to request a token using this method.',
        'The OAuth 2.0 Client is not the one the token was issued to.',
      );
    await this.tokens.revoke(form.token);
  }
}
