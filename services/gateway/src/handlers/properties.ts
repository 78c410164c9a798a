import type { SchemaNode } from '@mesh/config';

/** Schema fragments several handlers share, with Oathkeeper's key names. */
export const stringList = (description: string, fallback?: string[]): SchemaNode => ({
  type: 'array',
  items: { type: 'string' },
  description,
  ...(fallback ? { default: fallback } : {}),
});

export const scopeStrategy: SchemaNode = {
  type: 'string',
  enum: ['hierarchic', 'exact', 'wildcard', 'none'],
  default: 'none',
  description: 'How required_scope is matched against the granted scopes.',
};

export const tokenFrom: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: {
    header: { type: 'string', description: 'The header (case-insensitive) that holds the token.' },
    query_parameter: { type: 'string', description: 'The query parameter that holds the token.' },
    cookie: { type: 'string', description: 'The cookie that holds the token.' },
  },
  description:
    'Where the token is read from (one of header, query_parameter, cookie); default Authorization: Bearer.',
};

export const when: SchemaNode = {
  type: 'array',
  description: 'When this error handler answers: error kinds, request Accept/Content-Type, remote IP.',
  items: {
    type: 'object',
    additionalProperties: false,
    properties: {
      error: { type: 'array', items: { type: 'string' } },
      request: {
        type: 'object',
        additionalProperties: false,
        properties: {
          remote_ip: {
            type: 'object',
            additionalProperties: false,
            properties: {
              match: { type: 'array', items: { type: 'string' } },
              respect_forwarded_for_header: { type: 'boolean' },
            },
          },
          header: {
            type: 'object',
            additionalProperties: false,
            properties: {
              content_type: { type: 'array', items: { type: 'string' } },
              accept: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};

export interface TokenFrom {
  header?: string;
  query_parameter?: string;
  cookie?: string;
}
