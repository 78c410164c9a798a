import { schemaParser } from '@mesh/server';

/** An Oathkeeper access rule, as written in the rule files. */
export interface HandlerRef {
  handler: string;
  config?: Record<string, unknown>;
}

export interface AccessRule {
  id: string;
  description?: string;
  match: { url: string; methods: string[] };
  authenticators: HandlerRef[];
  authorizer: HandlerRef;
  mutators: HandlerRef[];
  errors?: HandlerRef[];
  upstream: { url: string; preserve_host?: boolean; strip_path?: string };
}

const handler = {
  type: 'object',
  required: ['handler'],
  additionalProperties: false,
  properties: { handler: { type: 'string' }, config: { type: 'object' } },
};

export const parseRuleList = schemaParser<AccessRule[]>({
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'match', 'authenticators', 'authorizer', 'mutators', 'upstream'],
    additionalProperties: false,
    properties: {
      id: { type: 'string', minLength: 1 },
      version: { type: 'string' },
      description: { type: 'string' },
      match: {
        type: 'object',
        required: ['url', 'methods'],
        additionalProperties: false,
        properties: {
          url: { type: 'string', minLength: 1 },
          methods: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[A-Z]+$' } },
        },
      },
      authenticators: { type: 'array', minItems: 1, items: handler },
      authorizer: handler,
      mutators: { type: 'array', minItems: 1, items: handler },
      errors: { type: 'array', items: handler },
      upstream: {
        type: 'object',
        required: ['url'],
        additionalProperties: false,
        properties: {
          url: { type: 'string', pattern: '^https?://' },
          preserve_host: { type: 'boolean' },
          strip_path: { type: 'string' },
        },
      },
    },
  },
});
