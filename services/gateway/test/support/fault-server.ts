import { createServer, type Server, type Socket } from 'node:net';

export interface FaultRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** What the misbehaving peer does with one parsed request on its raw socket. */
export type Fault = (socket: Socket, request: FaultRequest) => void;

export interface FaultServer {
  port: number;
  server: Server;
  /** Sockets currently open to this peer. */
  open: Set<Socket>;
  /** Connections whose request path ends in `/hold` (never answered), and how many the gateway has since closed. */
  held: Set<Socket>;
  closedWhileHeld: number;
  close(): Promise<void>;
}

const trickleTimers = new Set<NodeJS.Timeout>();

/** Writes `bytes` one at a time, every `everyMs`, then calls `done`. */
export function trickle(socket: Socket, bytes: string, everyMs: number, done?: () => void): void {
  let index = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) {
      clearInterval(timer);
      trickleTimers.delete(timer);
      return;
    }
    socket.write(bytes[index] ?? '');
    index += 1;
    if (index >= bytes.length) {
      clearInterval(timer);
      trickleTimers.delete(timer);
      done?.();
    }
  }, everyMs);
  trickleTimers.add(timer);
}

/**
 * A real TCP peer that speaks just enough HTTP/1.1 to misbehave on purpose: it parses request heads and
 * Content-Length bodies (keep-alive included) and hands each request to `choose`, which picks the fault.
 */
export async function startFaultServer(
  choose: (request: FaultRequest, server: FaultServer) => Fault,
): Promise<FaultServer> {
  const state: FaultServer = {
    port: 0,
    server: createServer(),
    open: new Set(),
    held: new Set(),
    closedWhileHeld: 0,
    async close() {
      for (const timer of trickleTimers) clearInterval(timer);
      for (const socket of state.open) socket.destroy();
      await new Promise<void>((resolve) => state.server.close(() => resolve()));
    },
  };
  state.server.on('connection', (socket) => {
    state.open.add(socket);
    socket.on('close', () => {
      state.open.delete(socket);
      if (state.held.delete(socket)) state.closedWhileHeld += 1;
    });
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const headEnd = buffer.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const [requestLine = '', ...lines] = buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const [method = '', path = ''] = requestLine.split(' ');
        // A held request is held from its head on: a client may abort before its body is complete.
        if (path.endsWith('/hold')) state.held.add(socket);
        const length = Number(headers['content-length'] ?? 0);
        if (buffer.length < headEnd + 4 + length) return;
        const body = buffer.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
        buffer = buffer.subarray(headEnd + 4 + length);
        const request = { method, path, headers, body };
        choose(request, state)(socket, request);
      }
    });
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.port = (state.server.address() as { port: number }).port;
  return state;
}

export const respond =
  (status: number, body: string, extra = ''): Fault =>
  (socket) => {
    socket.write(
      `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
    );
  };

const head = 'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n';

/** The fault table: each misbehaviour the gateway must survive, on any outbound path. */
export const faults = {
  midBodyClose: ((socket) => {
    socket.write(`${head}0123456789`);
    socket.end();
  }) as Fault,
  midBodyReset: ((socket) => {
    socket.write(`${head}0123456789`, () => socket.resetAndDestroy());
  }) as Fault,
  trickleStatus: ((socket) => trickle(socket, head, 400)) as Fault,
  silentMidBody: ((socket) => socket.write(`${head}0123456789`)) as Fault,
  reset: ((socket) => socket.resetAndDestroy()) as Fault,
  never: (() => undefined) as Fault,
  /** A body that keeps flowing, slower than every limit in total but never silent for long. */
  slowFlowing: ((socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n');
    trickle(socket, 'still-flowed', 100);
  }) as Fault,
  /** 100 MB with a Content-Length, written with back-pressure. */
  huge: ((socket) => {
    const total = 100 * 1024 * 1024;
    const block = Buffer.alloc(1024 * 1024, 0x61);
    socket.write(
      `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${total}\r\n\r\n`,
    );
    let sent = 0;
    const pump = () => {
      while (sent < total && !socket.destroyed) {
        sent += block.length;
        if (!socket.write(block)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  }) as Fault,
};
