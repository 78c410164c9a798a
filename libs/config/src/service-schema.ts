import { durationPattern } from './duration';
import type { SchemaNode } from './schema';

/** `serve.<name>`: one listener, Ory style (`SERVE_PUBLIC_PORT`, `SERVE_PUBLIC_HOST`). */
export function listenerSchema(defaultPort: number, description: string): SchemaNode {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      port: { type: 'integer', minimum: 0, maximum: 65535, default: defaultPort, description },
      host: {
        type: 'string',
        default: '',
        description: 'The interface to listen on; empty means all of them.',
      },
    },
  };
}

export interface ListenerConfig {
  port: number;
  host: string;
}

/** Ory's DSN forms: `memory`, `sqlite://path/to/file.sqlite`, `postgres://user:pass@host:port/db`. */
export const dsnSchema: SchemaNode = {
  type: 'string',
  default: 'memory',
  pattern: '^(memory|sqlite://.+|postgres(ql)?://.+)$',
  description:
    'Where the data lives: memory (in-memory SQLite), sqlite://path/to/file.sqlite, or postgres://user:pass@host:port/db.',
  'x-secret': true,
};

export const logSchema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: {
    level: {
      type: 'string',
      enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
      default: 'info',
      description: 'The lowest level written to the JSON log on stdout.',
    },
  },
};

export interface LogConfig {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
}

/** `database`: how a service treats its database at start (Kratos and Keto retry for about 5 minutes). */
export const databaseSchema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: {
    startup_timeout: {
      type: 'string',
      pattern: durationPattern,
      default: '5m',
      description:
        'How long the service keeps retrying an unreachable database at start (with backoff, one log line per wait) before it exits with an error; 0s tries once.',
    },
  },
};

export interface DatabaseConfig {
  startup_timeout: string;
}
