import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { attributesOf, type OtlpTraces } from '@mesh/testkit';

export interface FixtureRun {
  code: number | null;
  lines: string[];
  /** The JSON lines the fixture or its logger printed. */
  json: Record<string, unknown>[];
}

const fixture = join(__dirname, 'fixtures', 'emit-trace.js');

/**
 * Runs the emit-trace fixture with `env` (on top of a clean env: no inherited TRACING_ or OTEL_ vars).
 * `beforeEmit` runs while the fixture waits on stdin, after tracing started.
 */
export async function runFixture(
  env: Record<string, string>,
  beforeEmit?: () => Promise<void>,
): Promise<FixtureRun> {
  const child = spawn(process.execPath, [fixture], {
    env: { PATH: process.env.PATH ?? '', ...env, FIXTURE_WAIT_STDIN: beforeEmit ? '1' : '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (beforeEmit) {
    try {
      await beforeEmit();
    } finally {
      child.stdin.end();
    }
  } else {
    child.stdin.end();
  }
  const code = await exited;
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const json = lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  return { code, lines, json };
}

export interface FlatSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

export function flattenOtlp(traces: readonly OtlpTraces[]): FlatSpan[] {
  return traces.flatMap((trace) =>
    (trace.resourceSpans ?? []).flatMap((resourceSpans) => {
      const resource = attributesOf(resourceSpans.resource?.attributes);
      return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
        (scope.spans ?? []).map((span) => ({
          name: span.name,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          attributes: attributesOf(span.attributes),
          resource,
        })),
      );
    }),
  );
}
