import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { HttpError } from '@mesh/server';
import {
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Decision } from './pipeline/decide';
import { dependencyFailure } from './pipeline/failures';
import { httpAgent, httpsAgent } from './outbound';
import { frameOutgoing, type BodyFraming } from './framing';
import { isPropagationHeader } from './trace-headers';

const tracer = trace.getTracer('gateway');

/** RFC 9110 hop-by-hop headers: they describe one connection and never travel further. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
]);

function endToEndHeaders(headers: IncomingMessage['headers'], drop: readonly string[]): OutgoingHttpHeaders {
  const listed = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (
      value === undefined ||
      hopByHop.has(name) ||
      listed.includes(name) ||
      drop.includes(name) ||
      isPropagationHeader(name)
    )
      continue;
    result[name] = value;
  }
  return result;
}

export interface ProxyTarget {
  request: IncomingMessage;
  response: ServerResponse;
  decision: Decision;
  /** The validated Host authority. */
  host: string;
  framing: BodyFraming;
  /** Normalised path plus the original query. */
  pathAndQuery: string;
  /** Headers a client may not send (a mutator sets them). */
  forbiddenHeaders: readonly string[];
  clientProtocol: string;
  timeoutMs: number;
}

/**
 * Streams the request to the rule's upstream and the answer back, under one CLIENT span `upstream`. The
 * http instrumentation is suppressed for this call (its span would sit between `upstream` and the
 * upstream's server span); the context is injected here instead, in every format the propagator knows.
 */
export function proxyToUpstream(target: ProxyTarget): Promise<void> {
  const { request, response, decision } = target;
  const upstream = decision.rule.upstream;
  const stripped =
    upstream.stripPath && target.pathAndQuery.startsWith(upstream.stripPath)
      ? target.pathAndQuery.slice(upstream.stripPath.length) || '/'
      : target.pathAndQuery;
  const basePath = upstream.url.pathname.replace(/\/$/, '');
  const url = new URL(`${basePath}${stripped}`, upstream.url);

  const headers = endToEndHeaders(request.headers, target.forbiddenHeaders);
  frameOutgoing(headers, target.framing);
  const originalHost = target.host;
  const forwardedFor = request.headers['x-forwarded-for'];
  headers['x-forwarded-for'] =
    `${forwardedFor ? `${String(forwardedFor)}, ` : ''}${request.socket.remoteAddress ?? ''}`;
  headers['x-forwarded-proto'] = target.clientProtocol;
  headers['x-forwarded-host'] = originalHost;
  headers.host = upstream.preserveHost ? originalHost : url.host;
  for (const [name, value] of Object.entries(decision.mutatedHeaders)) headers[name.toLowerCase()] = value;

  return new Promise((resolve, reject) => {
    tracer.startActiveSpan(
      'upstream',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': request.method ?? 'GET',
          'server.address': url.hostname,
          'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
          'url.full': `${url.origin}${url.pathname}`,
          'gateway.rule.id': decision.rule.id,
        },
      },
      (span: Span) => {
        const carrier: Record<string, string> = {};
        propagation.inject(context.active(), carrier);
        Object.assign(headers, carrier);
        const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
        const finish = (error?: HttpError) => {
          if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
          span.end();
          if (error) reject(error);
          else resolve();
        };
        const outgoing = context.with(suppressTracing(context.active()), () =>
          send(url, {
            method: request.method,
            headers,
            agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
            timeout: target.timeoutMs,
          }),
        );
        outgoing.on('timeout', () =>
          outgoing.destroy(Object.assign(new Error('upstream timeout'), { code: 'ETIMEDOUT' })),
        );
        outgoing.on('error', (error) => {
          if (response.headersSent) {
            response.destroy(error);
            finish();
          } else finish(dependencyFailure('the upstream', error));
        });
        outgoing.on('response', (answer) => {
          span.setAttribute('http.response.status_code', answer.statusCode ?? 0);
          if ((answer.statusCode ?? 0) >= 500)
            span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${answer.statusCode}` });
          response.writeHead(answer.statusCode ?? 502, endToEndHeaders(answer.headers, []));
          answer.pipe(response);
          answer.on('end', () => finish());
          answer.on('error', () => finish());
        });
        if (target.framing.kind === 'none') outgoing.end();
        else request.pipe(outgoing);
      },
    );
  });
}
