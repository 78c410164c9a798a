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

const duration = (fallback: string, description: string): SchemaNode => ({
  type: 'string',
  pattern: durationPattern,
  default: fallback,
  description,
});

const url = (fallback: string, description: string): SchemaNode => ({
  type: 'string',
  format: 'uri',
  default: fallback,
  description,
});

const object = (properties: Record<string, SchemaNode>): SchemaNode => ({
  type: 'object',
  additionalProperties: false,
  properties,
});

/** The browser's one origin: the gateway, which passes /self-service/* and /sessions/whoami through. */
const gatewayOrigin = 'http://127.0.0.1:4455';

const browserFlow = (name: 'login' | 'registration' | 'settings', uiPath: string): SchemaNode =>
  object({
    ui_url: url(
      `${gatewayOrigin}${uiPath}`,
      `Where a browser is sent (with ?flow=<id>) to show the ${name} form.`,
    ),
    lifespan: duration('1h', `How long a ${name} flow can be completed.`),
  });

const publicListener = listenerSchema(4433, 'The public API port: whoami, the self-service flows, /schemas.');

/** Kratos's own key names, so a Kratos user's config and env vars (SERVE_PUBLIC_PORT, HASHERS_BCRYPT_COST …) work. */
export const identitySchema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dsn: dsnSchema,
    database: databaseSchema,
    dev: {
      type: 'boolean',
      default: false,
      description: 'Development mode: cookies are sent without the Secure attribute, so plain http works.',
    },
    serve: object({
      public: {
        ...publicListener,
        properties: {
          ...publicListener.properties,
          base_url: url(
            `${gatewayOrigin}/`,
            "The public URL browsers reach this API at: every URL in a flow (ui.action, logout_url, schema_url) starts with it; the request's Host is never used.",
          ),
        },
      },
      admin: listenerSchema(4434, 'The admin API port: identities and sessions.'),
    }),
    identity: object({
      default_schema_id: {
        type: 'string',
        default: 'default',
        description: 'The id (in identity.schemas) of the schema new identities get when they name none.',
      },
      schemas: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'url'],
          properties: {
            id: { type: 'string', minLength: 1 },
            url: { type: 'string', pattern: '^(file|base64|https?)://' },
          },
        },
        default: [],
        description:
          'The identity schemas, as a JSON list of {id, url}; url is file://, base64:// or http(s)://, read once at start-up. Empty: one built-in schema "default" (email as password identifier, name.first, name.last).',
      },
    }),
    secrets: object({
      cookie: {
        type: 'array',
        items: { type: 'string', minLength: 16 },
        default: [],
        'x-secret': true,
        description:
          'Secrets (16 characters or more) that sign the session cookie; the first signs, all verify (rotation). Empty: a random secret per process, so cookies die with it.',
      },
    }),
    hashers: object({
      bcrypt: object({
        cost: {
          type: 'integer',
          minimum: 4,
          maximum: 31,
          default: 10,
          description: 'The bcrypt work factor.',
        },
      }),
    }),
    session: object({
      lifespan: duration('24h', 'How long a session stays valid.'),
      cookie: object({
        name: {
          type: 'string',
          pattern: '^[A-Za-z0-9_-]+$',
          default: 'ory_kratos_session',
          description: 'The session cookie name.',
        },
        domain: {
          type: 'string',
          default: '',
          description: 'The cookie Domain attribute; empty means the host that set it.',
        },
        path: { type: 'string', default: '/', description: 'The cookie Path attribute.' },
        same_site: {
          type: 'string',
          enum: ['Lax', 'Strict', 'None'],
          default: 'Lax',
          description: 'The cookie SameSite attribute.',
        },
        persistent: {
          type: 'boolean',
          default: true,
          description: 'Whether the cookie outlives the browser session (Max-Age of session.lifespan).',
        },
      }),
    }),
    selfservice: object({
      default_browser_return_url: url(
        `${gatewayOrigin}/`,
        'Where a browser goes after a completed flow when it asked for no (allowed) return_to.',
      ),
      allowed_return_urls: {
        type: 'array',
        items: { type: 'string', format: 'uri' },
        default: [`${gatewayOrigin}/`],
        description:
          'return_to URLs a flow may redirect to: a URL is allowed when its scheme, host and port equal an entry and its path starts with the entry path.',
      },
      flows: object({
        login: browserFlow('login', '/login'),
        registration: browserFlow('registration', '/registration'),
        settings: object({
          ui_url: url(
            `${gatewayOrigin}/settings`,
            'Where a browser is sent (with ?flow=<id>) to show the settings form.',
          ),
          lifespan: duration('1h', 'How long a settings flow can be completed.'),
          privileged_session_max_age: duration(
            '15m',
            'How recently the session must have logged in to change the password or traits; older sessions get 403 session_refresh_required.',
          ),
        }),
        logout: object({
          after: object({
            default_browser_return_url: url(
              `${gatewayOrigin}/login`,
              'Where a browser goes after logout when return_to is absent or not allowed.',
            ),
          }),
        }),
      }),
    }),
    rate_limit: object({
      enabled: {
        type: 'boolean',
        default: true,
        description: 'Rate limiting of login, registration and settings submissions (not a Kratos feature).',
      },
      per_identifier: object({
        max_failures: {
          type: 'integer',
          minimum: 1,
          default: 10,
          description: 'Failed logins allowed per identifier in the window; more get 429.',
        },
        window: duration('5m', 'The window of the per-identifier count.'),
      }),
      per_address: object({
        max_attempts: {
          type: 'integer',
          minimum: 1,
          default: 60,
          description: 'Credential submissions allowed per client address in the window; more get 429.',
        },
        window: duration('1m', 'The window of the per-address count.'),
      }),
      trusted_proxies: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        default: ['127.0.0.1', '::1'],
        description:
          'Addresses or CIDR ranges of proxies (the gateway) whose X-Forwarded-For names the client; from anyone else the socket address counts.',
      },
    }),
    log: logSchema,
    tracing: tracingSchema,
  },
};

export interface BrowserFlowConfig {
  ui_url: string;
  lifespan: string;
}

export interface IdentityConfig {
  dsn: string;
  database: DatabaseConfig;
  dev: boolean;
  serve: { public: ListenerConfig & { base_url: string }; admin: ListenerConfig };
  identity: { default_schema_id: string; schemas: { id: string; url: string }[] };
  secrets: { cookie: string[] };
  hashers: { bcrypt: { cost: number } };
  session: {
    lifespan: string;
    cookie: {
      name: string;
      domain: string;
      path: string;
      same_site: 'Lax' | 'Strict' | 'None';
      persistent: boolean;
    };
  };
  selfservice: {
    default_browser_return_url: string;
    allowed_return_urls: string[];
    flows: {
      login: BrowserFlowConfig;
      registration: BrowserFlowConfig;
      settings: BrowserFlowConfig & { privileged_session_max_age: string };
      logout: { after: { default_browser_return_url: string } };
    };
  };
  rate_limit: {
    enabled: boolean;
    per_identifier: { max_failures: number; window: string };
    per_address: { max_attempts: number; window: string };
    trusted_proxies: string[];
  };
  log: LogConfig;
  tracing: TracingConfig;
}
