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
      properties: { public: listenerSchema(4480, 'The documents API port (the gateway upstream).') },
    },
    log: logSchema,
    tracing: tracingSchema,
  },
};

export interface DocumentsConfig {
  dsn: string;
  database: DatabaseConfig;
  serve: { public: ListenerConfig };
  log: LogConfig;
  tracing: TracingConfig;
}
