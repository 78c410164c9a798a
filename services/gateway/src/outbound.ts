import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * Keep-alive pools for every outbound hop (identity, permission, upstreams). Free sockets are dropped
 * before the services' own keep-alive timeout, so a pooled socket is rarely one the server just closed;
 * when it is, an idempotent request without a body is retried once (see `isStaleSocketFailure`).
 */
export const httpAgent = new HttpAgent({
  keepAlive: true,
  maxSockets: 256,
  maxFreeSockets: 64,
  timeout: 60_000,
});
export const httpsAgent = new HttpsAgent({
  keepAlive: true,
  maxSockets: 256,
  maxFreeSockets: 64,
  timeout: 60_000,
});

export const agentFor = (url: URL): HttpAgent => (url.protocol === 'https:' ? httpsAgent : httpAgent);
export const requestFor = (url: URL): typeof httpRequest =>
  url.protocol === 'https:' ? httpsRequest : httpRequest;

/** RFC 9110 §9.2.2: a request that can be repeated without changing the outcome. */
const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * A request that failed because it was written onto a pooled keep-alive socket the peer had just closed:
 * nothing of it was processed, so an idempotent one without a body (nothing consumed) may be sent again.
 */
export function isStaleSocketFailure(request: ClientRequest, error: unknown, hasBody: boolean): boolean {
  const code = (error as { code?: string }).code;
  return (
    request.reusedSocket &&
    !hasBody &&
    idempotentMethods.has(request.method) &&
    (code === 'ECONNRESET' || code === 'EPIPE')
  );
}

/** An error with the `code` the failure mapping reads. */
export const codedError = (message: string, code: string): Error =>
  Object.assign(new Error(message), { code });

export interface HandlerAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Larger answers from a session check or an authorizer are refused: they are not what the gateway asked for. */
const maxAnswerBytes = 1024 * 1024;

export interface HandlerCall {
  method: string;
  url: URL;
  headers: OutgoingHttpHeaders;
  /** Sent with its Content-Length, never unframed. */
  body?: string | Buffer;
  /** The deadline for the whole call: connect, headers and body. */
  timeoutMs: number;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

/**
 * One call of a session check, authorizer, introspection or hydrator over the keep-alive pool, with a real
 * deadline for the whole exchange (a peer that trickles a byte at a time is cut when it passes). Plain
 * node:http rather than an HTTP client library: the profile of the access path showed axios's per-request
 * work as the gateway's largest single cost. The http instrumentation makes the client span and injects
 * the trace context.
 */
export function callHandler(call: HandlerCall): Promise<HandlerAnswer> {
  return new Promise((resolve, reject) => {
    if (call.signal?.aborted) {
      reject(codedError('the client closed the request', 'ERR_CLIENT_CLOSED'));
      return;
    }
    let retried = false;
    let settled = false;
    const deadline = setTimeout(
      () => current.destroy(codedError(`no complete answer within ${call.timeoutMs} ms`, 'ETIMEDOUT')),
      call.timeoutMs,
    );
    const onAbort = () => current.destroy(codedError('the client closed the request', 'ERR_CLIENT_CLOSED'));
    const settle = (error: Error | undefined, answer?: HandlerAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      call.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(answer as HandlerAnswer);
    };
    const send = (): ClientRequest => {
      const headers =
        call.body === undefined
          ? call.headers
          : { ...call.headers, 'content-length': Buffer.byteLength(call.body) };
      const request = requestFor(call.url)(call.url, {
        method: call.method,
        headers,
        agent: agentFor(call.url),
      });
      let responded = false;
      request.on('error', (error) => {
        if (!responded && !retried && isStaleSocketFailure(request, error, call.body !== undefined)) {
          retried = true;
          current = send();
          return;
        }
        settle(error);
      });
      request.on('response', (response) => {
        responded = true;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxAnswerBytes)
            request.destroy(codedError('answer larger than 1 MB', 'ERR_ANSWER_TOO_LARGE'));
          else chunks.push(chunk);
        });
        response.on('end', () =>
          settle(undefined, {
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', (error) => settle(error));
      });
      request.end(call.body);
      return request;
    };
    let current = send();
    call.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
