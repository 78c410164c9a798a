import type { Logger } from '@mesh/tracing';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { oryError } from './errors';

/** Headers above this get 431, as the quality rules fix it (Node's own default is the same 16 KB). */
export const maxHeaderBytes = 16 * 1024;

function rawResponse(status: number, statusText: string, body: object): string {
  const json = JSON.stringify(body);
  return `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`;
}

export interface ListenOptions {
  port: number;
  host?: string;
  log: Logger;
  /** Which port this is (public, admin, read, …), for logs. */
  name: string;
}

/**
 * Starts one HTTP server. Oversized headers and garbage that is not HTTP get 431/400 in the Ory shape
 * (the parser rejects them before any handler runs). Keep-alive outlives the callers' pool timeouts so a
 * pooled connection is never closed under a request.
 */
export function listen(handler: RequestListener, options: ListenOptions): Promise<Server> {
  const server = createServer({ maxHeaderSize: maxHeaderBytes }, handler);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    if (error.code === 'HPE_HEADER_OVERFLOW') {
      socket.end(
        rawResponse(
          431,
          'Request Header Fields Too Large',
          oryError(431, 'The request headers are larger than 16 KB', 'header overflow'),
        ),
      );
    } else if (error.code === 'ECONNRESET') {
      socket.destroy();
    } else {
      socket.end(
        rawResponse(
          400,
          'Bad Request',
          oryError(400, 'The request is not valid HTTP', error.code ?? 'parse error'),
        ),
      );
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host || undefined, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      options.log.info({ port, listener: options.name }, `listening on ${options.name} port ${port}`);
      resolve(server);
    });
  });
}

/** The port a server listens on (tests listen on port 0). */
export const portOf = (server: Server): number => (server.address() as AddressInfo).port;

/** Stops accepting, lets in-flight requests finish, then closes idle keep-alive connections. */
export async function closeServers(servers: readonly Server[], deadlineMs = 10_000): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.closeAllConnections();
            resolve();
          }, deadlineMs);
          timer.unref();
          // A keep-alive connection turns idle when its in-flight request is answered; close it then,
          // rather than waiting out the keep-alive timeout.
          const idleSweeper = setInterval(() => server.closeIdleConnections(), 50);
          idleSweeper.unref();
          server.close(() => {
            clearTimeout(timer);
            clearInterval(idleSweeper);
            resolve();
          });
          server.closeIdleConnections();
        }),
    ),
  );
}
