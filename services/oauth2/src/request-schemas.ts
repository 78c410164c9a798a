import { schemaParser } from '@mesh/server';
import type { Operation } from 'fast-json-patch';

/** Request bodies, forms and queries, validated at the edge; handlers only see these types. */

/** The client fields this service keeps. Hydra ignores client fields it does not know; so does this service. */
export interface ClientBody {
  client_id?: string;
  client_name?: string;
  client_secret?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  response_types?: string[];
  scope?: string;
  audience?: string[];
  owner?: string;
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post';
  metadata?: Record<string, unknown>;
}

/** RFC 6749 §3.3: scope tokens are printable ASCII without space, `"` and `\`, joined by single spaces. */
export const scopePattern = '^([\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*)?$';

const text = (maxLength: number) => ({ type: 'string', maxLength });
const list = (maxLength: number) => ({ type: 'array', maxItems: 100, items: text(maxLength) });

export const clientBodySchema = {
  type: 'object',
  properties: {
    client_id: { type: 'string', minLength: 1, maxLength: 255 },
    client_name: text(255),
    client_secret: text(1024),
    redirect_uris: list(2048),
    grant_types: {
      type: 'array',
      maxItems: 10,
      uniqueItems: true,
      items: {
        enum: [
          'authorization_code',
          'refresh_token',
          'implicit',
          'client_credentials',
          'urn:ietf:params:oauth:grant-type:jwt-bearer',
          'urn:ietf:params:oauth:grant-type:device_code',
        ],
      },
    },
    response_types: list(64),
    scope: { type: 'string', maxLength: 4096, pattern: scopePattern },
    audience: list(2048),
    owner: text(255),
    token_endpoint_auth_method: { enum: ['client_secret_basic', 'client_secret_post'] },
    metadata: { type: 'object' },
  },
};

export const parseClientBody = schemaParser<ClientBody>(clientBodySchema);

/** RFC 6902 operations; fast-json-patch checks each operation's own members (value, from) when applying. */
export const parseJsonPatch = schemaParser<Operation[]>({
  type: 'array',
  maxItems: 100,
  items: {
    type: 'object',
    required: ['op', 'path'],
    properties: {
      op: { enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] },
      path: { type: 'string', maxLength: 512 },
      from: { type: 'string', maxLength: 512 },
    },
  },
});

export const parseIdParam = schemaParser<{ id: string }>({
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 255 } },
});

export const parsePageQuery = schemaParser<{ page_size?: string; page_token?: string }>({
  type: 'object',
  properties: {
    page_size: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
    page_token: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,512}$' },
  },
});

/** RFC 7662 §2.1, as Hydra reads it: `scope` lists the scopes the token must have. */
export const parseIntrospectionForm = schemaParser<{ token: string; scope?: string }>({
  type: 'object',
  required: ['token'],
  properties: {
    token: { type: 'string', minLength: 1, maxLength: 8192 },
    scope: { type: 'string', maxLength: 4096 },
  },
});

/** The token endpoint's form. A parameter sent twice arrives as an array and is refused (RFC 6749 §3.2). */
export interface TokenForm {
  grant_type: string;
  scope?: string;
  audience?: string | string[];
  client_id?: string;
  client_secret?: string;
}

const single = (maxLength: number) => ({ type: 'string', maxLength });

export const tokenFormSchema = {
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: single(256),
    scope: { type: 'string', maxLength: 4096, pattern: scopePattern },
    audience: {
      anyOf: [single(4096), { type: 'array', maxItems: 100, items: single(2048) }],
    },
    client_id: single(255),
    client_secret: single(1024),
  },
};

export interface RevocationForm {
  token: string;
  token_type_hint?: string;
  client_id?: string;
  client_secret?: string;
}

export const revocationFormSchema = {
  type: 'object',
  required: ['token'],
  properties: {
    token: single(8192),
    token_type_hint: single(64),
    client_id: single(255),
    client_secret: single(1024),
  },
};
