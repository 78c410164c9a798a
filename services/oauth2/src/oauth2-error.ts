/**
 * An RFC 6749 error as Hydra (fosite) answers it on the public port: `{error, error_description}`, where
 * the description is fosite's fixed text followed by a hint about this request. The admin port keeps the
 * Ory shape; this is the one documented exception.
 */
export class OAuth2Error extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly hint?: string,
  ) {
    super(hint ? `${description} ${hint}` : description);
    this.name = 'OAuth2Error';
  }

  toBody(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}

export const invalidRequest = (hint: string) =>
  new OAuth2Error(
    400,
    'invalid_request',
    'The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.',
    hint,
  );

export const invalidClient = (hint?: string) =>
  new OAuth2Error(
    401,
    'invalid_client',
    'Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).',
    hint,
  );

export const invalidScope = (hint: string) =>
  new OAuth2Error(400, 'invalid_scope', 'The requested scope is invalid, unknown, or malformed.', hint);

export const unsupportedGrantType = (hint: string) =>
  new OAuth2Error(
    400,
    'unsupported_grant_type',
    'The authorization grant type is not supported by the authorization server.',
    hint,
  );

export const unauthorizedClient = (hint: string) =>
  new OAuth2Error(
    400,
    'unauthorized_client',
    'The client is not authorized to request a token using this method.',
    hint,
  );
