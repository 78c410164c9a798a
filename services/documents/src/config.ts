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
        public: listenerSchema(4480, 'The documents API port (the gateway upstream).'),
        admin: listenerSchema(4481, 'The admin port: health, version and /admin/metrics/prometheus.'),
      },
    },
    log: logSchema,
    tracing: tracingSchema,
  },
};

export interface DocumentsConfig {
  dsn: string;
  database: DatabaseConfig;
  serve: { public: ListenerConfig; admin: ListenerConfig };
  log: LogConfig;
  tracing: TracingConfig;
}
