import { flattenSpans } from './sink/otlp-json';
import type { Mesh } from './mesh';

export interface Leak {
  where: string;
  secret: string;
}

/** Every exported span (name, attributes, events, status, resource) and every log line that contains a secret. */
export function findLeaks(
  mesh: Mesh,
  secrets: readonly string[],
): { leaks: Leak[]; spansScanned: number; linesScanned: number } {
  const leaks: Leak[] = [];
  const spans = flattenSpans(mesh.sink.store.all());
  for (const span of spans) {
    const text = JSON.stringify([span.name, span.attributes, span.events, span.statusMessage, span.resource]);
    for (const secret of secrets)
      if (text.includes(secret)) leaks.push({ where: `${span.service} span ${span.name}`, secret });
  }
  const lines = mesh.logLines();
  for (const { service, line } of lines) {
    for (const secret of secrets)
      if (line.includes(secret)) leaks.push({ where: `${service} log: ${line.slice(0, 80)}`, secret });
  }
  return { leaks, spansScanned: spans.length, linesScanned: lines.length };
}
