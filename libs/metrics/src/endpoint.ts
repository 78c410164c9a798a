import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderMetrics } from './registry';

/**
 * Answers a scrape: the registry in the OpenMetrics text format. GET and HEAD only; the caller routes the
 * path. Runs in no span: the services exclude their metrics paths and ports from tracing.
 */
export async function serveMetrics(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        error: { code: 405, status: 'Method Not Allowed', message: 'The metrics endpoint answers GET only' },
      }),
    );
    return;
  }
  const { contentType, body } = await renderMetrics();
  response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(request.method === 'HEAD' ? undefined : body);
}
