import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { SpanKind } from '@opentelemetry/api';
import { startInMemoryTracing } from '@mesh/tracing';

// The SDK starts before express and http are loaded, as in a service.
const tracing = startInMemoryTracing({ name: 'header-properties', version: '0.0.1' });

let server: Server;
let baseUrl: string;

before(async () => {
  const { createApp, listen, portOf } = await import('../src');
  const { createLogger } = await import('@mesh/tracing');
  const log = createLogger('header-properties', 'silent');
  const app = createApp({ log, version: '0' }, (routes) => {
    routes.get('/ping', (_request, response) => {
      response.json({ ok: true });
    });
  });
  server = await listen(app, { port: 0, log, name: 'test' });
  baseUrl = `http://127.0.0.1:${portOf(server)}`;
});

after(async () => {
  const { closeServers } = await import('../src');
  await closeServers([server]);
  await tracing.handle.shutdown();
});

const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));
/** Header values a client can send: printable ASCII, no CR/LF (fetch refuses those itself). */
const headerText = fc.stringMatching(/^[\x20-\x7e]{0,200}$/);
const nearlyValid = {
  traceparent: fc.oneof(
    headerText,
    fc
      .tuple(fc.constantFrom('00', 'ff', '0g', '01'), hex(32), hex(16), fc.constantFrom('00', '01', 'zz'))
      .map((parts) => parts.join('-')),
  ),
  'uber-trace-id': fc.oneof(
    headerText,
    fc
      .tuple(hex(32), hex(16), fc.constantFrom('0', 'x'), fc.constantFrom('1', '0', '99'))
      .map((parts) => parts.join(':')),
  ),
  b3: fc.oneof(
    headerText,
    fc.tuple(hex(32), hex(16), fc.constantFrom('1', '0', 'd', 'q')).map((parts) => parts.join('-')),
  ),
  baggage: fc.oneof(
    headerText,
    fc
      .array(fc.tuple(headerText, headerText), { maxLength: 5 })
      .map((pairs) => pairs.map(([key, value]) => `${key}=${value}`).join(',')),
  ),
};

describe('every trace-header parser, against arbitrary input', () => {
  for (const [header, values] of Object.entries(nearlyValid)) {
    it(`${header}: the request is served, and its span is a fresh root or a child of a well-formed caller`, async () => {
      await fc.assert(
        fc.asyncProperty(values, async (value) => {
          await tracing.reset();
          const response = await fetch(`${baseUrl}/ping`, { headers: { [header]: value } });
          assert.equal(response.status, 200);
          await response.arrayBuffer();
          const span = (await tracing.spans()).find((candidate) => candidate.kind === SpanKind.SERVER);
          if (!span) {
            // Only a well-formed context whose sampled flag is 0 may suppress the span.
            assert.ok(
              /-00$|:0$|:00$|-0$|-d$/.test(value) || header === 'b3',
              `no span for ${header}: ${value}`,
            );
            return;
          }
          const context = span.spanContext();
          assert.match(context.traceId, /^[0-9a-f]{32}$/);
          assert.notEqual(context.traceId, '0'.repeat(32));
          if (span.parentSpanContext) {
            assert.match(span.parentSpanContext.spanId, /^[0-9a-f]{16}$/);
            assert.notEqual(span.parentSpanContext.spanId, '0'.repeat(16));
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});
