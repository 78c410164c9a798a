import type { IncomingMessage, ServerResponse } from 'node:http';
import { flattenSpans, type TraceQueryResponse, type TracesData } from '../otlp-json';
import type { TraceStore } from '../store';
import { renderWaterfall } from '../../waterfall';
import { serviceGraph } from './dependencies';
import { dependenciesPage } from './dependencies-page';
import { parseDuration } from './format';
import { html, type Html } from '@mesh/html';
import { page } from './layout';
import { TraceIndex, type TraceQuery } from './model';
import { formOf, searchPage } from './search-page';
import { tracePage } from './trace-page';

const traceIdPattern = /^[0-9a-f]{32}$/i;
const spanIdPattern = /^[0-9a-f]{16}$/i;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** Jaeger's api_v3 error body (the grpc-gateway shape). */
export function sendError(
  response: ServerResponse,
  httpCode: number,
  grpcCode: number,
  message: string,
): void {
  sendJson(response, httpCode, { error: { grpcCode, httpCode, message } });
}

function sendHtml(response: ServerResponse, status: number, body: Html): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    // Inline styles and the one inline script are the page's own; nothing else runs.
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });
  response.end(body.markup);
}

const notFoundPage = (message: string) =>
  page(
    'Not found',
    'search',
    html`<h1>Not found</h1>
      <p>${message}</p>
      <p><a href="/search">Search traces</a></p>`,
  );

/** `GET /api/v3/traces`: Jaeger's parameters, checked as Jaeger checks them. */
function apiQueryOf(params: URLSearchParams): { query: TraceQuery } | { problem: string } {
  const query: TraceQuery = { limit: 20 };
  const service = params.get('query.service_name');
  const operation = params.get('query.operation_name');
  if (service) query.service = service;
  if (operation) query.operation = operation;
  const timeMin = params.get('query.start_time_min');
  const timeMax = params.get('query.start_time_max');
  if (!timeMin || !timeMax) return { problem: 'query.start_time_min and query.start_time_max are required' };
  for (const [name, text, target] of [
    ['query.start_time_min', timeMin, 'startMinNs'],
    ['query.start_time_max', timeMax, 'startMaxNs'],
  ] as const) {
    const ms = Date.parse(text);
    if (!/^\d{4}-\d\d-\d\dT/.test(text) || Number.isNaN(ms)) {
      return { problem: `malformed parameter ${name}: not an RFC 3339 time: ${JSON.stringify(text)}` };
    }
    query[target] = BigInt(ms) * 1_000_000n;
  }
  const depth = params.get('query.num_traces') ?? params.get('query.search_depth');
  if (depth) {
    const limit = Number(depth);
    if (!Number.isInteger(limit) || limit < 1)
      return { problem: `malformed parameter query.num_traces: ${depth}` };
    query.limit = limit;
  }
  for (const [name, target] of [
    ['query.duration_min', 'minDurationMs'],
    ['query.duration_max', 'maxDurationMs'],
  ] as const) {
    const text = params.get(name);
    if (!text) continue;
    const ms = parseDuration(text);
    if (ms === undefined)
      return { problem: `malformed parameter ${name}: not a duration: ${JSON.stringify(text)}` };
    query[target] = ms;
  }
  const attributes = params.get('query.attributes');
  if (attributes) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(attributes);
    } catch {
      parsed = undefined;
    }
    if (
      !parsed ||
      typeof parsed !== 'object' ||
      Array.isArray(parsed) ||
      Object.values(parsed).some((value) => typeof value !== 'string')
    ) {
      return {
        problem:
          'malformed parameter query.attributes: a JSON object of strings, e.g. {"http.response.status_code":"403"}',
      };
    }
    query.attributes = parsed as Record<string, string>;
  }
  return { query };
}

/** The traces of a search as one OTLP/JSON document, as Jaeger's `GET /api/v3/traces` answers. */
function mergedTraces(store: TraceStore, traceIds: string[]): TracesData {
  return { resourceSpans: traceIds.flatMap((traceId) => store.trace(traceId)?.resourceSpans ?? []) };
}

/**
 * The query port: Jaeger v2's query API (`/api/v3/…`) and, at Jaeger's UI paths, a server-rendered trace
 * explorer: `/search`, `/trace/{id}`, `/dependencies`.
 */
export function queryHandler(store: TraceStore) {
  const index = new TraceIndex(store);
  return (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://sink');
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return sendError(response, 405, 12, 'only GET is supported');
    const path = url.pathname;
    const api = path.match(/^\/api\/v3\/traces\/([^/]+)$/);
    const tracePath = path.match(/^\/trace\/([^/]+)$/);
    if (api || tracePath) {
      const traceId = decodeURIComponent(api?.[1] ?? tracePath?.[1] ?? '');
      if (!traceIdPattern.test(traceId)) {
        return sendError(response, 400, 3, `malformed trace id: ${JSON.stringify(traceId)} (32 hex digits)`);
      }
      const trace = store.trace(traceId);
      const wantsHtml = (request.headers.accept ?? '').includes('text/html');
      if (!trace) {
        if (tracePath && wantsHtml)
          return sendHtml(
            response,
            404,
            notFoundPage(
              `No trace ${traceId} in this sink (yet): traces arrive a few seconds after the request, and the oldest are evicted.`,
            ),
          );
        return sendError(response, 404, 5, 'trace not found');
      }
      if (api) {
        const body: TraceQueryResponse = { result: trace };
        return sendJson(response, 200, body);
      }
      if (!wantsHtml) {
        // curl and other non-browsers get the terminal waterfall.
        response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(renderWaterfall(flattenSpans(trace), { color: false, width: 140 }));
        return;
      }
      const selected = url.searchParams.get('span') ?? undefined;
      const spans = store.storedSpans(traceId) ?? [];
      return sendHtml(
        response,
        200,
        tracePage(
          traceId.toLowerCase(),
          spans,
          selected && spanIdPattern.test(selected) ? selected.toLowerCase() : undefined,
          index.services(),
        ),
      );
    }
    switch (path) {
      case '/':
        response.writeHead(302, { location: '/search' });
        response.end();
        return;
      case '/search': {
        const { status, body } = searchPage(index, formOf(url.searchParams));
        return sendHtml(response, status, body);
      }
      case '/dependencies':
        return sendHtml(
          response,
          200,
          dependenciesPage(serviceGraph(store), url.searchParams.get('service') ?? ''),
        );
      case '/api/v3/services':
        return sendJson(response, 200, { services: index.services() });
      case '/api/v3/operations':
        return sendJson(response, 200, {
          operations: index.operations(
            url.searchParams.get('service') || undefined,
            url.searchParams.get('span_kind') || undefined,
          ),
        });
      case '/api/v3/traces': {
        const parsed = apiQueryOf(url.searchParams);
        if ('problem' in parsed) return sendError(response, 400, 3, parsed.problem);
        const found = index.search(parsed.query).map(({ summary }) => summary.traceId);
        const body: TraceQueryResponse = { result: mergedTraces(store, found) };
        return sendJson(response, 200, body);
      }
    }
    if (path.startsWith('/api/')) {
      return sendError(
        response,
        404,
        5,
        `not found: ${path}; this sink serves /api/v3/traces/{trace_id}, /api/v3/traces, /api/v3/services and /api/v3/operations`,
      );
    }
    return sendHtml(response, 404, notFoundPage(`There is no page ${path}.`));
  };
}
