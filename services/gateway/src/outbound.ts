import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * Keep-alive pools for every outbound hop (identity, permission, upstreams). Free sockets are dropped
 * before the services' own keep-alive timeout, so a pooled socket is never one the server just closed.
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

export interface HandlerAnswer {
  status: number;
  body: string;
}

/** Larger answers from a session check or an authorizer are refused: they are not what the gateway asked for. */
const maxAnswerBytes = 1024 * 1024;

/**
 * One call of a session check or remote authorizer over the keep-alive pool, bounded by `timeoutMs`.
 * Plain node:http rather than an HTTP client library: the profile of the access path showed axios's
 * per-request work as the gateway's largest single cost. The http instrumentation still makes the
 * client span and injects the trace context.
 */
export function callHandler(
  method: 'GET' | 'POST',
  url: URL,
  headers: OutgoingHttpHeaders,
  body: string | undefined,
  timeoutMs: number,
): Promise<HandlerAnswer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
      agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
      timeout: timeoutMs,
    });
    request.on('timeout', () =>
      request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxAnswerBytes)
          request.destroy(Object.assign(new Error('answer too large'), { code: 'ERR_ANSWER_TOO_LARGE' }));
        else chunks.push(chunk);
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    request.end(body);
  });
}
