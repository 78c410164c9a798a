import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJsonExport, decodeProtobufExport, emptyProtobufResponse, InvalidExportError } from './decode';
import type { TracesData } from './otlp-json';
import { TraceStore, type TraceStoreLimits } from './store';
import { queryHandler } from './explorer/routes';

export interface TraceSinkOptions {
  /** OTLP/HTTP receiver port; 0 picks a free one. Default 4318, as Jaeger. */
  otlpPort?: number;
  /** Query API port; 0 picks a free one. Default 16686, as Jaeger. */
  queryPort?: number;
  /** Default 127.0.0.1. */
  host?: string;
  limits?: Partial<TraceStoreLimits>;
  /** Largest accepted export body. */
  maxBodyBytes?: number;
}

export interface TraceSink {
  readonly store: TraceStore;
  readonly otlpPort: number;
  readonly queryPort: number;
  /** `http://host:port`: the services' OTLP endpoint base (they post to `/v1/traces`). */
  readonly otlpUrl: string;
  /** `http://host:port`: the base of `GET /api/v3/traces/{id}`. */
  readonly queryUrl: string;
  /** `host:port` as Ory's `tracing.providers.otlp.server_url` wants it. */
  readonly otlpServerAddress: string;
  /** One trace, or undefined. */
  trace(traceId: string): TracesData | undefined;
  /**
   * `false`: exports are read and answered as accepted, then thrown away undecoded, as the bench's
   * discarding receiver does; `true` (the start): decoded and stored.
   */
  setRecording(recording: boolean): void;
  close(): Promise<void>;
}

export const defaultLimits: TraceStoreLimits = {
  maxTraces: 10_000,
  maxSpans: 200_000,
  maxBytes: 256 * 1024 * 1024,
};
const defaultMaxBodyBytes = 16 * 1024 * 1024;

class BodyTooLargeError extends Error {}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** Jaeger's api_v3 error body (the grpc-gateway shape). */
function sendError(response: ServerResponse, httpCode: number, grpcCode: number, message: string): void {
  sendJson(response, httpCode, { error: { grpcCode, httpCode, message } });
}

function receiver(store: TraceStore, maxBodyBytes: number, isRecording: () => boolean) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/v1/traces') return sendError(response, 404, 5, `no such endpoint: ${path}`);
    if (request.method !== 'POST') return sendError(response, 405, 12, 'only POST is supported');
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    const json = contentType === 'application/json';
    if (!json && contentType !== 'application/x-protobuf') {
      return sendError(response, 415, 3, 'content-type must be application/x-protobuf or application/json');
    }
    try {
      const body = await readBody(request, maxBodyBytes);
      if (isRecording()) store.add(json ? decodeJsonExport(body) : decodeProtobufExport(body));
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendError(response, 413, 8, 'export request too large');
      if (error instanceof InvalidExportError) return sendError(response, 400, 3, error.message);
      throw error;
    }
    if (json) return sendJson(response, 200, {});
    response.writeHead(200, { 'content-type': 'application/x-protobuf' });
    response.end(emptyProtobufResponse());
  };
}

function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function handle(
  handler: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    Promise.resolve(handler(request, response)).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, 13, 'internal error');
      else response.destroy(error instanceof Error ? error : undefined);
    });
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * The local trace sink: an OTLP/HTTP receiver (protobuf and JSON) plus Jaeger v2's trace query endpoint,
 * over one bounded in-memory store, and a trace explorer at Jaeger UI's paths. It stands in for Jaeger where
 * Docker is missing.
 */
export async function startTraceSink(options: TraceSinkOptions = {}): Promise<TraceSink> {
  const host = options.host ?? '127.0.0.1';
  const store = new TraceStore({ ...defaultLimits, ...options.limits });
  let recording = true;
  const otlpServer = createServer(
    handle(receiver(store, options.maxBodyBytes ?? defaultMaxBodyBytes, () => recording)),
  );
  const queryServer = createServer(handle(queryHandler(store)));
  const otlpPort = await listenOn(otlpServer, options.otlpPort ?? 4318, host);
  let queryPort: number;
  try {
    queryPort = await listenOn(queryServer, options.queryPort ?? 16686, host);
  } catch (error) {
    await closeServer(otlpServer);
    throw error;
  }
  const displayHost = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host;
  return {
    store,
    otlpPort,
    queryPort,
    otlpUrl: `http://${displayHost}:${otlpPort}`,
    queryUrl: `http://${displayHost}:${queryPort}`,
    otlpServerAddress: `${displayHost}:${otlpPort}`,
    trace: (traceId) => store.trace(traceId),
    setRecording: (value) => {
      recording = value;
    },
    close: async () => {
      await Promise.all([closeServer(otlpServer), closeServer(queryServer)]);
    },
  };
}
