import { startHttpRecorder } from '@mesh/testkit';
import type { ZipkinSpan } from '../zipkin-trace';

export interface ZipkinStandIn {
  port: number;
  url: string;
  spans(): ZipkinSpan[];
  close(): Promise<void>;
}

/** Zipkin's span intake (`POST /api/v2/spans`, JSON) and trace query (`GET /api/v2/trace/{id}`), in memory. */
export async function startZipkinStandIn(): Promise<ZipkinStandIn> {
  const spans: ZipkinSpan[] = [];
  const recorder = await startHttpRecorder((request) => {
    if (request.method === 'POST' && request.url === '/api/v2/spans') {
      spans.push(...(JSON.parse(request.body.toString('utf8')) as ZipkinSpan[]));
      return { status: 202 };
    }
    const traceId = request.url.match(/^\/api\/v2\/trace\/([0-9a-f]{16,32})$/)?.[1];
    if (request.method === 'GET' && traceId) {
      const found = spans.filter((span) => span.traceId === traceId);
      return found.length === 0
        ? { status: 404, contentType: 'text/plain', body: `trace not found: ${traceId}` }
        : { status: 200, contentType: 'application/json', body: JSON.stringify(found) };
    }
    return { status: 404 };
  });
  return { port: recorder.port, url: recorder.url, spans: () => spans, close: () => recorder.close() };
}
