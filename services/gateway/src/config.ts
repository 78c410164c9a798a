import {
  durationPattern,
  listenerSchema,
  logSchema,
  type ListenerConfig,
  type LogConfig,
  type SchemaNode,
} from '@mesh/config';
import { tracingSchema, type TracingConfig } from '@mesh/tracing';
import { handlerRegistry } from './handlers/registry';

const enabled = (description: string): SchemaNode => ({ type: 'boolean', default: true, description });

/** `<kind>.<handler>.{enabled, config}` for every registered handler: the global half of each config. */
function handlerSection(
  definitions: readonly { name: string; properties: Record<string, SchemaNode> }[],
  kind: string,
): SchemaNode {
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(
      definitions.map((definition) => [
        definition.name,
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: enabled(`Allow the ${definition.name} ${kind}.`),
            ...(Object.keys(definition.properties).length > 0
              ? { config: { type: 'object', additionalProperties: false, properties: definition.properties } }
              : {}),
          },
        },
      ]),
    ),
  };
}

/** Oathkeeper's `serve.prometheus`: a port of its own for the scrape, and the path it answers on. */
const prometheusListenerSchema: SchemaNode = (() => {
  const listener = listenerSchema(9000, 'The Prometheus metrics port.');
  return {
    ...listener,
    properties: {
      ...listener.properties,
      metrics_path: {
        type: 'string',
        pattern: '^/',
        default: '/metrics',
        description: 'The path the metrics are served on.',
      },
    },
  };
})();

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
        prometheus: prometheusListenerSchema,
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
    authenticators: handlerSection(handlerRegistry.authenticators, 'authenticator'),
    authorizers: handlerSection(handlerRegistry.authorizers, 'authorizer'),
    mutators: handlerSection(handlerRegistry.mutators, 'mutator'),
    errors: {
      type: 'object',
      additionalProperties: false,
      properties: {
        fallback: {
          type: 'array',
          items: { type: 'string' },
          default: ['json'],
          description:
            'The error handlers tried, in order, when no handler of the rule matches (Oathkeeper errors.fallback).',
        },
        handlers: handlerSection(handlerRegistry.errors, 'error handler'),
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

/** One handler's global settings: `<kind>.<handler>.enabled` and `.config`. */
export interface HandlerSettings {
  enabled: boolean;
  config?: Record<string, unknown>;
}

export interface GatewayConfig {
  serve: {
    proxy: ListenerConfig;
    api: ListenerConfig;
    prometheus: ListenerConfig & { metrics_path: string };
  };
  access_rules: { repositories: string[]; matching_strategy: 'regexp' | 'glob'; reload_interval: string };
  authenticators: Record<string, HandlerSettings | undefined>;
  authorizers: Record<string, HandlerSettings | undefined>;
  mutators: Record<string, HandlerSettings | undefined>;
  errors: { fallback: string[]; handlers: Record<string, HandlerSettings | undefined> };
  timeouts: { handlers: string; upstream: string; upstream_idle: string };
  log: LogConfig;
  tracing: TracingConfig;
}
