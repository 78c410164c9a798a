import {
  dsnSchema,
  listenerSchema,
  logSchema,
  type ListenerConfig,
  type LogConfig,
  type SchemaNode,
} from '@mesh/config';
import { tracingSchema, type TracingConfig } from '@mesh/tracing';

/** Keto's key names: serve.read/serve.write, limit.max_read_depth, namespaces as a list of {id, name}. */
export const permissionSchema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dsn: dsnSchema,
    serve: {
      type: 'object',
      additionalProperties: false,
      properties: {
        read: listenerSchema(4466, 'The read API port: check, expand, list, namespaces.'),
        write: listenerSchema(4467, 'The write API port: create, delete and patch relation tuples.'),
        metrics: listenerSchema(4468, 'The Prometheus metrics port: /metrics/prometheus.'),
      },
    },
    limit: {
      type: 'object',
      additionalProperties: false,
      properties: {
        max_read_depth: {
          type: 'integer',
          minimum: 1,
          maximum: 100,
          default: 5,
          description: 'The deepest a check or expand may go; a request max-depth can only lower it.',
        },
      },
    },
    namespaces: {
      type: 'array',
      default: [
        { id: 0, name: 'documents' },
        { id: 1, name: 'groups' },
      ],
      description:
        'The namespaces tuples may use, as in Keto: a list of {id, name}. In env, NAMESPACES takes it as a JSON array.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          id: { type: 'integer', minimum: 0 },
          name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
        },
      },
    },
    log: logSchema,
    tracing: tracingSchema,
  },
};

export interface PermissionConfig {
  dsn: string;
  serve: { read: ListenerConfig; write: ListenerConfig; metrics: ListenerConfig };
  limit: { max_read_depth: number };
  namespaces: { id?: number; name: string }[];
  log: LogConfig;
  tracing: TracingConfig;
}
