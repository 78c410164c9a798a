import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';

const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 30_000 });
const maxAnswerBytes = 4 * 1024 * 1024;

/** One call to another service: its status, parsed JSON body (or text), and how long it took. */
export interface Answer {
  method: string;
  /** The URL without its query, for the page's request log. */
  target: string;
  status: number;
  body: unknown;
  ms: number;
}

/**
 * An HTTP call over node:http: the http instrumentation makes the client span and injects the trace
 * context, so every call is part of the page's trace (fetch is not instrumented here).
 */
export function call(
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  options: { headers?: OutgoingHttpHeaders; json?: unknown; timeoutMs?: number } = {},
): Promise<Answer> {
  const started = performance.now();
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(target, {
      method,
      agent,
      timeout: options.timeoutMs ?? 10_000,
      headers: {
        accept: 'application/json',
        ...options.headers,
        ...(body === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
      },
    });
    outgoing.on('timeout', () =>
      outgoing.destroy(new Error(`${method} ${target.origin}${target.pathname}: no answer in time`)),
    );
    outgoing.on('error', reject);
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxAnswerBytes) outgoing.destroy(new Error(`${target.pathname}: answer too large`));
        else chunks.push(chunk);
      });
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        resolve({
          method,
          target: `${target.origin}${target.pathname}`,
          status: response.statusCode ?? 0,
          body: parsed,
          ms: performance.now() - started,
        });
      });
    });
    outgoing.end(body);
  });
}
