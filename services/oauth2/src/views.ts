import type { ClientRecord } from './store/client-store';

/**
 * Hydra's OAuth2Client JSON, as @ory/client reads it. `client_secret` appears only in the answer that set
 * it (create, or a PUT/PATCH with a new secret); Hydra cannot show it later, and neither can this service.
 */
export function clientView(record: ClientRecord, secret?: string) {
  return {
    client_id: record.id,
    client_name: record.client_name,
    ...(secret === undefined ? {} : { client_secret: secret }),
    redirect_uris: record.redirect_uris,
    grant_types: record.grant_types,
    response_types: record.response_types,
    scope: record.scope,
    audience: record.audience,
    owner: record.owner,
    client_secret_expires_at: 0,
    subject_type: 'public',
    token_endpoint_auth_method: record.token_endpoint_auth_method,
    metadata: record.metadata,
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}

export type ClientView = ReturnType<typeof clientView>;
