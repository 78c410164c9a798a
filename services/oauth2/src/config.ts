import {
  databaseSchema,
  dsnSchema,
  durationPattern,
  listenerSchema,
  logSchema,
  type DatabaseConfig,
  type ListenerConfig,
  type LogConfig,
  type SchemaNode,
} from '@mesh/config';
import { tracingSchema, type TracingConfig } from '@mesh/tracing';

/**
 * Hydra's own key names, so a Hydra user's config and env vars (SERVE_ADMIN_PORT, URLS_SELF_ISSUER,
 * STRATEGIES_ACCESS_TOKEN, OAUTH2_HASHERS_BCRYPT_COST …) work unchanged.
 */
export const oauth2Schema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dsn: dsnSchema,
    database: databaseSchema,
    serve: {
      type: 'object',
      additionalProperties: false,
      properties: {
        public: listenerSchema(
          4444,
          'The public API port: the token and revocation endpoints, discovery and the JWKS.',
        ),
        admin: listenerSchema(4445, 'The admin API port: OAuth2 clients and token introspection.'),
      },
    },
    urls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        self: {
          type: 'object',
          additionalProperties: false,
          properties: {
            issuer: {
              type: 'string',
              pattern: '^https?://.+',
              default: 'http://localhost:4444/',
              description:
                'The issuer URL: the `iss` of tokens and introspection answers, and the base of the discovery document.',
            },
          },
        },
      },
    },
    strategies: {
      type: 'object',
      additionalProperties: false,
      properties: {
        access_token: {
          type: 'string',
          enum: ['opaque', 'jwt'],
          default: 'opaque',
          description:
            'opaque: random `ory_at_…` tokens; jwt: RS256 JWTs signed with the key in /.well-known/jwks.json. Both are stored as a SHA-256 hash, so introspection and revocation work for both.',
        },
      },
    },
    ttl: {
      type: 'object',
      additionalProperties: false,
      properties: {
        access_token: {
          type: 'string',
          pattern: durationPattern,
          default: '1h',
          description: 'How long an access token is valid.',
        },
      },
    },
    oauth2: {
      type: 'object',
      additionalProperties: false,
      properties: {
        hashers: {
          type: 'object',
          additionalProperties: false,
          properties: {
            algorithm: {
              type: 'string',
              enum: ['bcrypt'],
              default: 'bcrypt',
              description:
                'How client secrets are hashed. Hydra also offers pbkdf2 (its default); this service has bcrypt only, as the seed trace shows.',
            },
            bcrypt: {
              type: 'object',
              additionalProperties: false,
              properties: {
                cost: {
                  type: 'integer',
                  minimum: 4,
                  maximum: 31,
                  default: 10,
                  description: 'The bcrypt work factor of client secrets.',
                },
              },
            },
          },
        },
      },
    },
    log: logSchema,
    tracing: tracingSchema,
  },
};

export interface OAuth2Config {
  dsn: string;
  database: DatabaseConfig;
  serve: { public: ListenerConfig; admin: ListenerConfig };
  urls: { self: { issuer: string } };
  strategies: { access_token: 'opaque' | 'jwt' };
  ttl: { access_token: string };
  oauth2: { hashers: { algorithm: 'bcrypt'; bcrypt: { cost: number } } };
  log: LogConfig;
  tracing: TracingConfig;
}
