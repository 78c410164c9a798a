import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function decodeChunked(raw: string): string {
  let rest = raw;
  let body = '';
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd < 0) return body;
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) return body;
    body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

/** Parses one response read to the end of a `Connection: close` exchange (no pipelining). */
export function parseResponse(raw: string, method: string): RawResponse {
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (headerEnd < 0) throw new Error(`no complete response in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine = '', ...lines] = raw.slice(0, headerEnd).split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = raw.slice(headerEnd + 4);
  let body = rest;
  if (method === 'HEAD' || status === 204 || status === 304) body = '';
  else if (headers['transfer-encoding'] === 'chunked') body = decodeChunked(rest);
  else if (headers['content-length'] !== undefined) body = rest.slice(0, Number(headers['content-length']));
  return { status, headers, body };
}

/**
 * Writes `raw` bytes exactly as given on a fresh TCP connection and reads until the server closes it.
 * No client library touches the request line, the headers or the framing.
 */
export function sendRaw(port: number, raw: string | Buffer, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`no end of response within ${timeoutMs} ms: ${Buffer.concat(chunks).toString('latin1')}`),
      );
    }, timeoutMs);
    socket.on('connect', () => socket.write(raw));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      // A server that answers and resets is still an answer.
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(error);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      socket.end();
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

/** One request on its own connection: `Connection: close` and the given headers, body written verbatim. */
export async function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: readonly [string, string][],
  body = '',
): Promise<RawResponse> {
  const head = [`${method} ${target} HTTP/1.1`, ...headers.map(([name, value]) => `${name}: ${value}`)];
  if (!headers.some(([name]) => name.toLowerCase() === 'connection')) head.push('Connection: close');
  return parseResponse(await sendRaw(port, `${head.join('\r\n')}\r\n\r\n${body}`), method);
}

/** A body in chunked framing, one chunk. */
export const chunked = (body: string): string =>
  `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
