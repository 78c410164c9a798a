import axios, { type AxiosInstance } from 'axios';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

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

/** The client of the session checks and remote authorizers: bounded by `timeoutMs`, never throws on a status. */
export function handlerClient(timeoutMs: number): AxiosInstance {
  return axios.create({
    timeout: timeoutMs,
    httpAgent,
    httpsAgent,
    maxRedirects: 0,
    maxContentLength: 1024 * 1024,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
  });
}
