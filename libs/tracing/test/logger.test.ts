import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

describe('pino logger', () => {
  it('puts trace_id and span_id on every line inside a span, and none outside', () => {
    const script = `
      const { startInMemoryTracing, createLogger } = require(${JSON.stringify(require.resolve('../src'))});
      const { trace } = require('@opentelemetry/api');
      startInMemoryTracing({ name: 'log-test', version: '0' });
      const log = createLogger('log-test');
      log.info('outside');
      trace.getTracer('t').startActiveSpan('work', (span) => {
        log.info('inside');
        process.stderr.write(JSON.stringify(span.spanContext()) + '\\n');
        span.end();
      });
      process.exit(0);
    `;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: __dirname });
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const context = JSON.parse(result.stderr.trim().split('\n').pop() ?? '{}') as {
      traceId: string;
      spanId: string;
    };
    const outside = lines.find((line) => line.msg === 'outside');
    const inside = lines.find((line) => line.msg === 'inside');
    assert.equal(outside?.trace_id, undefined);
    assert.equal(inside?.trace_id, context.traceId);
    assert.equal(inside?.span_id, context.spanId);
    assert.equal(inside?.trace_flags, '01');
  });
});
