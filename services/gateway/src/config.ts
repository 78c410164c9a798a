import {
  durationPattern,
  listenerSchema,
  logSchema,
  type ListenerConfig,
  type LogConfig,
  type SchemaNode,
} from '@mesh/config';
import { tracingSchema, type TracingConfig } from '@mesh/tracing';

const enabled = (description: string): SchemaNode => ({ type: 'boolean', default: true, description });
const url = (fallback: string, description: string): SchemaNode => ({
  type: 'string',
  default: fallback,
  description,
});

const sessionCheckConfig = (description: string, extra: Record<string, SchemaNode> = {}): SchemaNode => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    ...extra,
    check_session_url: url('http://127.0.0.1:4433/sessions/whoami', description),
    preserve_path: {
      type: 'boolean',
      default: false,
      description: "Keep check_session_url's own path instead of the request path.",
    },
    subject_from: {
      type: 'string',
      default: 'identity.id',
      description: 'Where in the session JSON the subject is.',
    },
    extra_from: {
      type: 'string',
      default: '@this',
      description: 'What of the session JSON becomes .Extra (@this = all of it).',
    },
  },
});

/** Oathkeeper's key names: serve.proxy/serve.api, access_rules, and handler defaults under each handler's config. */
export const gatewaySchema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: {
    serve: {
      type: 'object',
      additionalProperties: false,
      properties: {
        proxy: listenerSchema(
          4455,
          'The proxy port: matched, authenticated, authorized requests go upstream.',
        ),
        api: listenerSchema(4456, 'The API port: decisions, rules, health, version.'),
      },
    },
    access_rules: {
      type: 'object',
      additionalProperties: false,
      properties: {
        repositories: {
          type: 'array',
          items: { type: 'string', pattern: '^file://.+' },
          default: [],
          description: 'Rule files (file://…, YAML or JSON). In env a comma-separated list or a JSON array.',
        },
        matching_strategy: {
          type: 'string',
          enum: ['regexp', 'glob'],
          default: 'regexp',
          description: 'How the <…> parts of match.url are read.',
        },
        reload_interval: {
          type: 'string',
          pattern: durationPattern,
          default: '1s',
          description: 'How often the rule files are checked for changes (superset).',
        },
      },
    },
    authenticators: {
      type: 'object',
      additionalProperties: false,
      properties: {
        noop: {
          type: 'object',
          additionalProperties: false,
          properties: { enabled: enabled('Allow the noop authenticator.') },
        },
        anonymous: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: enabled('Allow the anonymous authenticator.'),
            config: {
              type: 'object',
              additionalProperties: false,
              properties: {
                subject: {
                  type: 'string',
                  default: 'guest',
                  description: 'The subject of an anonymous request.',
                },
              },
            },
          },
        },
        cookie_session: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: enabled('Allow the cookie_session authenticator.'),
            config: sessionCheckConfig('The session check called with the request cookies (Kratos whoami).', {
              only: {
                type: 'array',
                items: { type: 'string' },
                default: ['ory_kratos_session'],
                description: 'The cookies that make this authenticator responsible and are forwarded.',
              },
            }),
          },
        },
        bearer_token: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: enabled('Allow the bearer_token authenticator.'),
            config: sessionCheckConfig('The session check called with the bearer token (Kratos whoami).'),
          },
        },
      },
    },
    authorizers: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allow: {
          type: 'object',
          additionalProperties: false,
          properties: { enabled: enabled('Allow the allow authorizer.') },
        },
        deny: {
          type: 'object',
          additionalProperties: false,
          properties: { enabled: enabled('Allow the deny authorizer.') },
        },
        remote_json: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: enabled('Allow the remote_json authorizer.'),
            config: {
              type: 'object',
              additionalProperties: false,
              properties: {
                remote: url(
                  'http://127.0.0.1:4466/relation-tuples/check',
                  'Where the payload is POSTed; 200 allows, 403 denies.',
                ),
                payload: { type: 'string', default: '', description: 'The JSON payload template.' },
              },
            },
          },
        },
      },
    },
    mutators: {
      type: 'object',
      additionalProperties: false,
      properties: {
        noop: {
          type: 'object',
          additionalProperties: false,
          properties: { enabled: enabled('Allow the noop mutator.') },
        },
        header: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: enabled('Allow the header mutator.'),
          },
        },
      },
    },
    timeouts: {
      type: 'object',
      additionalProperties: false,
      properties: {
        handlers: {
          type: 'string',
          pattern: durationPattern,
          default: '2s',
          description:
            'The deadline for a whole handler call: session check, authorizer, introspection, hydrator, JWKS fetch.',
        },
        upstream: {
          type: 'string',
          pattern: durationPattern,
          default: '30s',
          description: "The deadline for the upstream's response headers.",
        },
        upstream_idle: {
          type: 'string',
          pattern: durationPattern,
          default: '30s',
          description:
            "The longest silence while the upstream's body streams; a body that keeps flowing is never cut.",
        },
      },
    },
    log: logSchema,
    tracing: tracingSchema,
  },
};

export interface SessionCheckConfig {
  check_session_url: string;
  preserve_path: boolean;
  subject_from: string;
  extra_from: string;
  only?: string[];
}

export interface GatewayConfig {
  serve: { proxy: ListenerConfig; api: ListenerConfig };
  access_rules: { repositories: string[]; matching_strategy: 'regexp' | 'glob'; reload_interval: string };
  authenticators: {
    noop: { enabled: boolean };
    anonymous: { enabled: boolean; config: { subject: string } };
    cookie_session: { enabled: boolean; config: SessionCheckConfig & { only: string[] } };
    bearer_token: { enabled: boolean; config: SessionCheckConfig };
  };
  authorizers: {
    allow: { enabled: boolean };
    deny: { enabled: boolean };
    remote_json: { enabled: boolean; config: { remote: string; payload: string } };
  };
  mutators: { noop: { enabled: boolean }; header: { enabled: boolean } };
  timeouts: { handlers: string; upstream: string; upstream_idle: string };
  log: LogConfig;
  tracing: TracingConfig;
}
