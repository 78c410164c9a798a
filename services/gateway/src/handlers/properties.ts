import { durationPattern, parseDuration, type SchemaNode } from '@mesh/config';
import type { RetryPolicy } from '../outbound';

/** Schema fragments several handlers share, with Oathkeeper's key names. */
export const stringList = (description: string, fallback?: string[]): SchemaNode => ({
  type: 'array',
  items: { type: 'string' },
  description,
  ...(fallback ? { default: fallback } : {}),
});

export const scopeStrategy: SchemaNode = {
  type: 'string',
  enum: ['hierarchic', 'exact', 'wildcard', 'none'],
  default: 'none',
  description: 'How required_scope is matched against the granted scopes.',
};

export const tokenFrom: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: {
    header: { type: 'string', description: 'The header (case-insensitive) that holds the token.' },
    query_parameter: { type: 'string', description: 'The query parameter that holds the token.' },
    cookie: { type: 'string', description: 'The cookie that holds the token.' },
  },
  description:
    'Where the token is read from (one of header, query_parameter, cookie); default Authorization: Bearer.',
};

export const when: SchemaNode = {
  type: 'array',
  description: 'When this error handler answers: error kinds, request Accept/Content-Type, remote IP.',
  items: {
    type: 'object',
    additionalProperties: false,
    properties: {
      error: { type: 'array', items: { type: 'string' } },
      request: {
        type: 'object',
        additionalProperties: false,
        properties: {
          remote_ip: {
            type: 'object',
            additionalProperties: false,
            properties: {
              match: { type: 'array', items: { type: 'string' } },
              respect_forwarded_for_header: { type: 'boolean' },
            },
          },
          header: {
            type: 'object',
            additionalProperties: false,
            properties: {
              content_type: { type: 'array', items: { type: 'string' } },
              accept: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};

export interface TokenFrom {
  header?: string;
  query_parameter?: string;
  cookie?: string;
}

/** Oathkeeper's `retry` block (remote, remote_json, hydrator). */
export interface RetryConfig {
  max_delay?: string;
  give_up_after?: string;
}

/**
 * `always`: the handler retries even without a `retry` block (remote, remote_json), so the defaults are
 * filled in; otherwise (hydrator) a block with no keys means no retries, and the defaults apply to the
 * keys a given block leaves out.
 */
export const retry = (description: string, always: boolean): SchemaNode => ({
  type: 'object',
  ...(always ? { default: {} } : {}),
  additionalProperties: false,
  description,
  properties: {
    max_delay: {
      type: 'string',
      pattern: durationPattern,
      ...(always ? { default: '100ms' } : {}),
      description: 'The longest wait between two attempts (default 100ms).',
    },
    give_up_after: {
      type: 'string',
      pattern: durationPattern,
      ...(always ? { default: '1s' } : {}),
      description:
        'No new attempt starts after this long since the first (default 1s; timeouts.handlers still bounds the whole call).',
    },
  },
});

export const retryPolicy = (config: RetryConfig): RetryPolicy => ({
  maxDelayMs: parseDuration('retry.max_delay', config.max_delay ?? '100ms'),
  giveUpAfterMs: parseDuration('retry.give_up_after', config.give_up_after ?? '1s'),
});
