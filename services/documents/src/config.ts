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

/** The protected app behind the gateway; the same config shape as the Ory-style services. */
export const documentsSchema: SchemaNode = {
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
          4480,
          "The documents API port (the gateway upstream): reads that carry the gateway's id_token.",
        ),
        admin: listenerSchema(
          4481,
          'The admin port: /documents (PUT, GET, DELETE) without a token, health, version and /admin/metrics/prometheus. Never exposed through the gateway.',
        ),
      },
    },
    id_token: {
      type: 'object',
      additionalProperties: false,
      description:
        "How the public port checks the gateway's id_token (the keys of Oathkeeper's jwt authenticator).",
      properties: {
        jwks_url: {
          type: 'string',
          pattern: '^https?://.+',
          default: 'http://127.0.0.1:4456/.well-known/jwks.json',
          description:
            "The gateway's public keys: its API port's /.well-known/jwks.json. Fetched on first use and when a token names an unknown key.",
        },
        trusted_issuers: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: ['http://127.0.0.1:4455/'],
          description: "`iss` must be one of these: the id_token mutator's issuer_url.",
        },
        target_audience: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: ['documents'],
          description:
            "`aud` must name one of these (the id_token mutator's claims set it); empty: `aud` is not checked.",
        },
        allowed_algorithms: {
          type: 'array',
          items: { type: 'string', enum: ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'EdDSA'] },
          default: ['ES256'],
          description: 'The signing algorithms accepted.',
        },
        cache: {
          type: 'object',
          additionalProperties: false,
          description:
            'Verified tokens, reused by their exact text (the gateway reuses one token per session): each is verified once, then trusted until its exp and at most `ttl`.',
          properties: {
            enabled: {
              type: 'boolean',
              default: true,
              description: 'false: every request verifies its token.',
            },
            ttl: {
              type: 'string',
              pattern: durationPattern,
              default: '30s',
              description:
                'How long a verified token is trusted without verifying it again (never past its exp): the longest a withdrawn gateway key keeps covering a token it signed.',
            },
            max_tokens: {
              type: 'integer',
              minimum: 1,
              default: 10000,
              description: 'The most tokens kept; the oldest goes first.',
            },
          },
        },
      },
    },
    log: logSchema,
    tracing: tracingSchema,
  },
};

export interface IdTokenConfig {
  jwks_url: string;
  trusted_issuers: string[];
  target_audience: string[];
  allowed_algorithms: string[];
  cache: { enabled: boolean; ttl: string; max_tokens: number };
}

export interface DocumentsConfig {
  dsn: string;
  database: DatabaseConfig;
  serve: { public: ListenerConfig; admin: ListenerConfig };
  id_token: IdTokenConfig;
  log: LogConfig;
  tracing: TracingConfig;
}
