import { demoMachine } from './demo-data';
import { flattenSpans } from './sink/otlp-json';
import type { Mesh } from './mesh';

export interface Leak {
  where: string;
  secret: string;
}

/**
 * Secrets recognised by their form, whoever made them: an oauth2 opaque access token (`ory_at_…`) has no
 * business in any span or log line, even one the scan was not told about.
 */
const secretForms: readonly RegExp[] = [/ory_at_[A-Za-z0-9_-]{16,}/];

/** The demo machine's secrets: its client secret, as sent in the form and in HTTP Basic, and its tokens. */
export function machineSecrets(accessTokens: readonly string[]): string[] {
  return [
    demoMachine.secret,
    Buffer.from(`${demoMachine.clientId}:${demoMachine.secret}`).toString('base64'),
    ...accessTokens,
  ];
}

function leaksIn(text: string, secrets: readonly string[]): string[] {
  return [
    ...new Set([
      ...secrets.filter((secret) => text.includes(secret)),
      ...secretForms.flatMap((form) => text.match(form) ?? []),
    ]),
  ];
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
    for (const secret of leaksIn(text, secrets))
      leaks.push({ where: `${span.service} span ${span.name}`, secret });
  }
  const lines = mesh.logLines();
  for (const { service, line } of lines) {
    for (const secret of leaksIn(line, secrets))
      leaks.push({ where: `${service} log: ${line.slice(0, 80)}`, secret });
  }
  return { leaks, spansScanned: spans.length, linesScanned: lines.length };
}
