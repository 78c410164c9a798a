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

const lifespan = (fallback: string, description: string): SchemaNode => ({
  type: 'string',
  pattern: durationPattern,
  default: fallback,
  description,
});

/** Kratos's own key names, so a Kratos user's config and env vars (SERVE_PUBLIC_PORT, HASHERS_BCRYPT_COST …) work. */
export const identitySchema: SchemaNode = {
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
          4433,
          'The public API port: whoami, self-service login, registration and logout.',
        ),
        admin: listenerSchema(4434, 'The admin API port: identities and sessions.'),
      },
    },
    hashers: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bcrypt: {
          type: 'object',
          additionalProperties: false,
          properties: {
            cost: {
              type: 'integer',
              minimum: 4,
              maximum: 31,
              default: 10,
              description: 'The bcrypt work factor.',
            },
          },
        },
      },
    },
    session: {
      type: 'object',
      additionalProperties: false,
      properties: { lifespan: lifespan('24h', 'How long a session stays valid.') },
    },
    selfservice: {
      type: 'object',
      additionalProperties: false,
      properties: {
        flows: {
          type: 'object',
          additionalProperties: false,
          properties: {
            login: {
              type: 'object',
              additionalProperties: false,
              properties: { lifespan: lifespan('1h', 'How long a login flow can be completed.') },
            },
            registration: {
              type: 'object',
              additionalProperties: false,
              properties: { lifespan: lifespan('1h', 'How long a registration flow can be completed.') },
            },
          },
        },
      },
    },
    log: logSchema,
    tracing: tracingSchema,
  },
};

export interface IdentityConfig {
  dsn: string;
  database: DatabaseConfig;
  serve: { public: ListenerConfig; admin: ListenerConfig };
  hashers: { bcrypt: { cost: number } };
  session: { lifespan: string };
  selfservice: { flows: { login: { lifespan: string }; registration: { lifespan: string } } };
  log: LogConfig;
  tracing: TracingConfig;
}
