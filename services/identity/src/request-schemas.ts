import { schemaParser } from '@mesh/server';

/** Request bodies and queries, validated at the edge; handlers only see these types. */
export interface LogoutBody {
  session_token: string;
}

export interface PasswordConfig {
  password?: string;
  hashed_password?: string;
}

/** createIdentityBody and updateIdentityBody of Kratos's admin API. */
export interface IdentityBody {
  schema_id?: string;
  state?: 'active' | 'inactive';
  traits: Record<string, unknown>;
  metadata_public?: unknown;
  metadata_admin?: unknown;
  credentials?: { password?: { config?: PasswordConfig } };
}

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

export interface BatchPatchBody {
  identities: { create: IdentityBody; patch_id?: string }[];
}

const identityProperties = {
  schema_id: { type: 'string', minLength: 1 },
  state: { enum: ['active', 'inactive'] },
  traits: { type: 'object' },
  metadata_public: {},
  metadata_admin: {},
  credentials: {
    type: 'object',
    additionalProperties: false,
    properties: {
      password: {
        type: 'object',
        additionalProperties: false,
        properties: {
          config: {
            type: 'object',
            additionalProperties: false,
            properties: {
              password: { type: 'string', maxLength: 1024 },
              hashed_password: { type: 'string', maxLength: 1024 },
            },
          },
        },
      },
    },
  },
};

const identityBodySchema = {
  type: 'object',
  required: ['traits'],
  additionalProperties: false,
  properties: identityProperties,
};

export const parseCreateIdentityBody = schemaParser<IdentityBody>(identityBodySchema);

export const parseUpdateIdentityBody = schemaParser<IdentityBody>({
  ...identityBodySchema,
  required: ['traits', 'state'],
});

export const parseJsonPatch = schemaParser<JsonPatchOperation[]>({
  type: 'array',
  maxItems: 1000,
  items: {
    type: 'object',
    required: ['op', 'path'],
    additionalProperties: false,
    properties: {
      op: { enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] },
      path: { type: 'string' },
      value: {},
      from: { type: 'string' },
    },
  },
});

export const parseBatchPatchBody = schemaParser<BatchPatchBody>({
  type: 'object',
  required: ['identities'],
  additionalProperties: false,
  properties: {
    identities: {
      type: 'array',
      maxItems: 2000,
      items: {
        type: 'object',
        required: ['create'],
        additionalProperties: false,
        properties: { create: identityBodySchema, patch_id: { type: 'string', format: 'uuid' } },
      },
    },
  },
});

export const parseLogoutBody = schemaParser<LogoutBody>({
  type: 'object',
  required: ['session_token'],
  properties: { session_token: { type: 'string', minLength: 1, maxLength: 512 } },
});

export const parseFlowQuery = schemaParser<{ flow: string }>({
  type: 'object',
  required: ['flow'],
  properties: { flow: { type: 'string', format: 'uuid' } },
});

export const parseFlowIdQuery = schemaParser<{ id: string }>({
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
});

export const parseIdParam = schemaParser<{ id: string }>({
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
});

const pageProperties = {
  page_size: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
  page_token: { type: 'string', format: 'uuid' },
};

export interface IdentityListQuery {
  page_size?: string;
  page_token?: string;
  credentials_identifier?: string;
  ids?: string | string[];
  consistency?: 'eventual' | 'strong';
}

/** Kratos filters of listIdentities this service does not implement: refused by name, never ignored. */
export const unimplementedIdentityFilters = [
  'credentials_identifier_similar',
  'preview_credentials_identifier_similar',
  'include_credential',
  'organization_id',
  'page',
  'per_page',
] as const;

export const parseIdentityListQuery = schemaParser<IdentityListQuery>({
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageProperties,
    credentials_identifier: { type: 'string', minLength: 1, maxLength: 320 },
    ids: {
      anyOf: [
        { type: 'string', format: 'uuid' },
        { type: 'array', maxItems: 500, items: { type: 'string', format: 'uuid' } },
      ],
    },
    consistency: { enum: ['eventual', 'strong'] },
  },
});

export interface SessionListQuery {
  page_size?: string;
  page_token?: string;
  active?: 'true' | 'false';
  expand?: string | string[];
}

const expand = {
  anyOf: [
    { enum: ['identity', 'devices'] },
    { type: 'array', maxItems: 2, items: { enum: ['identity', 'devices'] } },
  ],
};

export const parseSessionListQuery = schemaParser<SessionListQuery>({
  type: 'object',
  additionalProperties: false,
  properties: { ...pageProperties, active: { enum: ['true', 'false'] }, expand },
});

export const parseExpandQuery = schemaParser<{ expand?: string | string[] }>({
  type: 'object',
  additionalProperties: false,
  properties: { expand },
});
