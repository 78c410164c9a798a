import {
  listenerSchema,
  logSchema,
  type ListenerConfig,
  type LogConfig,
  type SchemaNode,
} from '@mesh/config';
import { tracingSchema, type TracingConfig } from '@mesh/tracing';

const url = (fallback: string, description: string): SchemaNode => ({
  type: 'string',
  format: 'uri',
  default: fallback,
  description,
});

/** The web app: where it listens, and where the services it talks to are (inside the mesh and for the browser). */
export const webSchema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: {
    serve: {
      type: 'object',
      additionalProperties: false,
      properties: { public: listenerSchema(4490, 'The web app port (the gateway upstream).') },
    },
    urls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        browser: url(
          'http://127.0.0.1:4455',
          "The gateway's proxy as the browser reaches it: the one origin of every page, form and cookie.",
        ),
        gateway: url(
          'http://127.0.0.1:4455',
          "The gateway's proxy as this service reaches it: document reads go through it with the person's cookie.",
        ),
        identity: url(
          'http://127.0.0.1:4433',
          "identity's public API: flows, whoami and logout, called with the person's cookies.",
        ),
        documents_admin: url(
          'http://127.0.0.1:4481',
          "documents' admin API (no token): the list, and creating a document. Reads of one document go through the gateway.",
        ),
        permission_read: url(
          'http://127.0.0.1:4466',
          "permission's read API: which documents a person may view.",
        ),
        permission_write: url(
          'http://127.0.0.1:4467',
          "permission's write API: the owner tuple of a new document.",
        ),
      },
    },
    jaeger_ui_url: url(
      'http://127.0.0.1:16686',
      "The trace UI every page links its trace to ({jaeger_ui_url}/trace/{id}): Jaeger's UI, or npm start's explorer.",
    ),
    log: logSchema,
    tracing: tracingSchema,
  },
};

export interface WebConfig {
  serve: { public: ListenerConfig };
  urls: {
    browser: string;
    gateway: string;
    identity: string;
    documents_admin: string;
    permission_read: string;
    permission_write: string;
  };
  jaeger_ui_url: string;
  log: LogConfig;
  tracing: TracingConfig;
}
