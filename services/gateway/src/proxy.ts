import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { HttpError } from '@mesh/server';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { ClientBody } from './client-body';
import { frameOutgoing, type BodyFraming } from './framing';
import type { Decision } from './pipeline/decide';
import { clientClosedRequest } from './pipeline/failures';
import { agentFor, codedError, isStaleSocketFailure, requestFor } from './outbound';
import { endToEndHeaders } from './end-to-end-headers';
import { relayAnswer } from './relay';

const tracer = trace.getTracer('gateway');

export interface ProxyTarget {
  request: IncomingMessage;
  response: ServerResponse;
  decision: Decision;
  /** The validated Host authority. */
  host: string;
  framing: BodyFraming;
  /** The client's body; when a handler has read it whole, those bytes are sent instead of the stream. */
  body: ClientBody;
  /** Normalised path plus the original query. */
  pathAndQuery: string;
  /** Headers a client may not send (a mutator sets them). */
  forbiddenHeaders: readonly string[];
  clientProtocol: string;
  /** The deadline for the upstream's response headers. */
  headersTimeoutMs: number;
  /** The longest silence allowed while the upstream's body streams. */
  idleTimeoutMs: number;
  /** Aborted when the client goes away. */
  clientGone: AbortSignal;
}

const bufferedFraming = (bytes: Buffer): BodyFraming =>
  bytes.length === 0 ? { kind: 'none' } : { kind: 'length', length: bytes.length };

/**
 * An upstream that failed before its response headers: Go's reverse proxy under Oathkeeper answers 502
 * for every transport error; a passed header deadline is 504 Gateway Timeout, so "slow" and "broken" can
 * be told apart.
 */
function upstreamFailure(error: unknown): HttpError {
  const code = (error as { code?: string }).code;
  if (code === 'ETIMEDOUT')
    return new HttpError(504, 'the upstream did not answer in time', 'upstream timeout');
  return new HttpError(
    502,
    'the upstream could not be reached or broke the connection',
    'upstream unavailable',
  );
}

/**
 * Streams the request to the rule's upstream and the answer back, under one CLIENT span `upstream`, ended
 * exactly once. An error on either side destroys the other (the body with `stream.pipeline`, the answer
 * with `relayAnswer`): an upstream that breaks mid-body destroys the client's response (the client sees
 * the cut, never a hang), and a client that goes away destroys the upstream request (its socket is not returned to the pool). The http
 * instrumentation is suppressed for this call (its span would sit between `upstream` and the upstream's
 * server span); the context is injected here instead, in every format the propagator knows.
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
  const buffered = target.body.buffered;
  frameOutgoing(headers, buffered ? bufferedFraming(buffered) : target.framing);
  const forwardedFor = request.headers['x-forwarded-for'];
  headers['x-forwarded-for'] =
    `${forwardedFor ? `${String(forwardedFor)}, ` : ''}${request.socket.remoteAddress ?? ''}`;
  headers['x-forwarded-proto'] = target.clientProtocol;
  headers['x-forwarded-host'] = target.host;
  headers.host = upstream.preserveHost ? target.host : url.host;
  for (const [name, value] of Object.entries(decision.mutatedHeaders)) headers[name.toLowerCase()] = value;
  const hasBody = target.framing.kind !== 'none';
  // A body the gateway holds can be sent again; one streamed from the client cannot.
  const replayable = !hasBody || buffered !== undefined;

  return tracer.startActiveSpan(
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
    (span: Span) =>
      new Promise<void>((resolve, reject) => {
        const carrier: Record<string, string> = {};
        propagation.inject(context.active(), carrier);
        Object.assign(headers, carrier);

        let settled = false;
        let clientClosed = false;
        let retried = false;
        let current: ClientRequest | undefined;
        const settle = (error?: Error, status?: HttpError) => {
          if (settled) return;
          settled = true;
          if (error) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
            span.setAttribute('error.type', (error as { code?: string }).code ?? error.name);
          }
          span.end();
          target.clientGone.removeEventListener('abort', onClientGone);
          if (status) reject(status);
          else resolve();
        };
        const onClientGone = () => {
          clientClosed = true;
          const closed = clientClosedRequest();
          current?.destroy(codedError(closed.message, 'ERR_CLIENT_CLOSED'));
          settle(closed, closed);
        };
        if (target.clientGone.aborted) {
          onClientGone();
          return;
        }
        target.clientGone.addEventListener('abort', onClientGone, { once: true });

        const send = (): ClientRequest => {
          const outgoing = context.with(suppressTracing(context.active()), () =>
            requestFor(url)(url, { method: request.method, headers, agent: agentFor(url) }),
          );
          let responded = false;
          const headerDeadline = setTimeout(
            () =>
              outgoing.destroy(
                codedError(`no response headers within ${target.headersTimeoutMs} ms`, 'ETIMEDOUT'),
              ),
            target.headersTimeoutMs,
          );
          outgoing.on('error', (error) => {
            clearTimeout(headerDeadline);
            if (responded || clientClosed) return;
            if (!retried && isStaleSocketFailure(outgoing, error, !replayable)) {
              retried = true;
              span.addEvent('retry', {
                'gateway.retry.reason': 'the pooled connection was closed by the upstream',
              });
              current = send();
              return;
            }
            settle(error, upstreamFailure(error));
          });
          outgoing.on('response', (answer) => {
            responded = true;
            clearTimeout(headerDeadline);
            const status = answer.statusCode ?? 502;
            span.setAttribute('http.response.status_code', status);
            if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
            response.writeHead(status, endToEndHeaders(answer.headers, []));
            // The idle limit: cut an upstream that goes silent mid-body, never one that keeps sending.
            const idle = setTimeout(
              () =>
                answer.destroy(
                  codedError(`the upstream body was silent for ${target.idleTimeoutMs} ms`, 'ETIMEDOUT'),
                ),
              target.idleTimeoutMs,
            );
            answer.on('data', () => idle.refresh());
            relayAnswer(answer, response, (error) => {
              clearTimeout(idle);
              if (error) outgoing.destroy();
              settle(error);
            });
          });
          if (buffered) outgoing.end(buffered);
          else if (hasBody)
            pipeline(request, outgoing, (error) => {
              if (error) outgoing.destroy(error);
            });
          else outgoing.end();
          return outgoing;
        };
        current = send();
      }),
  );
}
