import { trace } from '@opentelemetry/api';
import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';

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
export function isStaleSocketFailure(
  request: ClientRequest,
  error: unknown,
  bodyNotReplayable: boolean,
): boolean {
  const code = (error as { code?: string }).code;
  return (
    request.reusedSocket &&
    !bodyNotReplayable &&
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

/** Oathkeeper's `retry` block, as durations in ms. */
export interface RetryPolicy {
  /** The longest wait between two attempts (`max_delay`). */
  maxDelayMs: number;
  /** No attempt starts after this much time since the first (`give_up_after`). */
  giveUpAfterMs: number;
}

export interface HandlerCall {
  method: string;
  url: URL;
  headers: OutgoingHttpHeaders;
  /** Sent with its Content-Length, never unframed. */
  body?: string | Buffer;
  /** The deadline for the whole call: connect, headers and body, every attempt included. */
  timeoutMs: number;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /** Retried on a connection failure before any answer, and on a 429 or 5xx (not 501) answer. */
  retry?: RetryPolicy;
}

/** The first wait between attempts; each next one doubles, up to `max_delay`. */
const firstRetryDelayMs = 50;

/** Failures that a new attempt can cure: the peer was not reached, or dropped the connection before answering. */
const retryableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
/** The code of a call that the deadline (`timeoutMs`) cut: mapped to 503 "did not answer in time". */
const deadlineCode = 'ETIMEDOUT';
const retryableStatus = (status: number): boolean => status === 429 || (status >= 500 && status !== 501);
const answerStarted = new WeakSet<Error>();

/**
 * One call of a session check, authorizer, introspection, hydrator or JWKS fetch over the keep-alive pool,
 * with a real deadline for the whole exchange, retries included (a peer that trickles a byte at a time is
 * cut when it passes). With a `retry` policy, attempts follow Oathkeeper's resilient client: a failure
 * before the answer's headers, or a 429/5xx answer, is tried again after a doubling wait capped at
 * `maxDelayMs`, until `giveUpAfterMs` has passed since the first attempt; the last outcome stands. Plain
 * node:http rather than an HTTP client library: the profile of the access path showed axios's per-request
 * work as the gateway's largest single cost. The http instrumentation makes one client span per attempt
 * and injects the trace context.
 */
export async function callHandler(call: HandlerCall): Promise<HandlerAnswer> {
  const started = Date.now();
  const deadlineAt = started + call.timeoutMs;
  let previousAnswer: HandlerAnswer | undefined;
  let previousFailure: Error | undefined;
  for (let attempt = 0; ; attempt += 1) {
    let answer: HandlerAnswer | undefined;
    let failure: Error | undefined;
    try {
      answer = await exchangeOnce(call, deadlineAt);
    } catch (error) {
      failure = error as Error;
    }
    // A retry that the call's deadline cut short has no outcome of its own: the last complete attempt's
    // stands. Otherwise a dependency that keeps answering 500 would read as a timeout (503) or as its 500
    // (502) depending on whether the deadline fell during a wait or during an attempt.
    if (attempt > 0 && (failure as { code?: string } | undefined)?.code === deadlineCode) {
      if (previousFailure) throw previousFailure;
      return previousAnswer as HandlerAnswer;
    }
    previousAnswer = answer;
    previousFailure = failure;
    const { retry } = call;
    const retryable = failure
      ? !answerStarted.has(failure) && retryableCodes.has((failure as { code?: string }).code ?? '')
      : retryableStatus(answer?.status ?? 0);
    const wait = retry ? Math.min(retry.maxDelayMs, firstRetryDelayMs * 2 ** attempt) : 0;
    const now = Date.now();
    if (
      !retry ||
      !retryable ||
      call.signal?.aborted ||
      now + wait - started > retry.giveUpAfterMs ||
      now + wait >= deadlineAt
    ) {
      if (failure) throw failure;
      return answer as HandlerAnswer;
    }
    // The handler's span (each attempt has its own client span under it) records why it tried again.
    trace.getActiveSpan()?.addEvent('retry', {
      'gateway.retry.reason': failure
        ? ((failure as { code?: string }).code ?? 'failure')
        : `status ${answer?.status}`,
    });
    try {
      await delay(wait, undefined, { signal: call.signal });
    } catch {
      throw codedError('the client closed the request', 'ERR_CLIENT_CLOSED');
    }
  }
}

function exchangeOnce(call: HandlerCall, deadlineAt: number): Promise<HandlerAnswer> {
  return new Promise((resolve, reject) => {
    if (call.signal?.aborted) {
      reject(codedError('the client closed the request', 'ERR_CLIENT_CLOSED'));
      return;
    }
    let retried = false;
    let settled = false;
    const deadline = setTimeout(
      () => current.destroy(codedError(`no complete answer within ${call.timeoutMs} ms`, deadlineCode)),
      Math.max(0, deadlineAt - Date.now()),
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
        if (responded) answerStarted.add(error);
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
        response.on('error', (error) => {
          answerStarted.add(error);
          settle(error);
        });
      });
      request.end(call.body);
      return request;
    };
    let current = send();
    call.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
