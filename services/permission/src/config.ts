import {
  databaseSchema,
  dsnSchema,
  listenerSchema,
  logSchema,
  type DatabaseConfig,
  type ListenerConfig,
  type LogConfig,
  type SchemaNode,
} from '@mesh/config';
import type { NamespacesConfig } from './opl/namespace-source';
import { tracingSchema, type TracingConfig } from '@mesh/tracing';

/** Keto's key names: serve.read/serve.write/serve.opl, limit.max_read_depth, namespaces as a list of {id, name}. */
export const permissionSchema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dsn: dsnSchema,
    database: databaseSchema,
    serve: {
      type: 'object',
      additionalProperties: false,
      properties: {
        read: listenerSchema(4466, 'The read API port: check, expand, list, namespaces.'),
        write: listenerSchema(4467, 'The write API port: create, delete and patch relation tuples.'),
        opl: listenerSchema(4469, 'The Ory Permission Language port: POST /opl/syntax/check.'),
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
        max_check_spans: {
          type: 'integer',
          minimum: 1,
          maximum: 10000,
          default: 100,
          description:
            'The most spans one check emits (steps and SQL statements); further steps are counted in permission.steps.unrecorded on their parent.',
        },
      },
    },
    // No `type`: Keto takes a list of {id, name} or {location}; namespace-source.ts validates the shape.
    namespaces: {
      default: [
        { id: 0, name: 'documents' },
        { id: 1, name: 'groups' },
      ],
      description:
        'As in Keto: a list of {id, name} (no relations, every relation stored), or {location} of an OPL file (file://path or base64://…). In env, NAMESPACES takes the list as JSON or the location; NAMESPACES_LOCATION the location.',
      'x-env-aliases': ['NAMESPACES_LOCATION'],
    },
    log: logSchema,
    tracing: tracingSchema,
  },
};

export interface PermissionConfig {
  dsn: string;
  database: DatabaseConfig;
  serve: { read: ListenerConfig; write: ListenerConfig; opl: ListenerConfig; metrics: ListenerConfig };
  limit: { max_read_depth: number; max_check_spans: number };
  namespaces: NamespacesConfig;
  log: LogConfig;
  tracing: TracingConfig;
}
