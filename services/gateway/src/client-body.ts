import { HttpError } from '@mesh/server';
import type { IncomingMessage } from 'node:http';
import type { BodyFraming } from './framing';
import { codedError } from './outbound';

/**
 * The most of a client's body the gateway holds in memory for a handler that reads it (the `remote`
 * authorizer). Oathkeeper buffers without a limit; a larger body is refused with 413 before any of it is
 * sent on.
 */
export const maxBufferedBodyBytes = 1024 * 1024;

/**
 * The client's request body, read at most once and only when a handler asks for it. Once read, the proxy
 * sends these bytes upstream (with their Content-Length) instead of streaming the request.
 */
export class ClientBody {
  private reading?: Promise<Buffer>;
  private bytes?: Buffer;

  constructor(
    private readonly request: IncomingMessage,
    private readonly framing: BodyFraming,
    private readonly clientGone: AbortSignal,
  ) {}

  /** The whole body once a handler has read it; undefined while it still streams from the client. */
  get buffered(): Buffer | undefined {
    return this.bytes;
  }

  /**
   * Reads the whole body within `timeoutMs`: 413 beyond `maxBufferedBodyBytes`, 408 when the client does
   * not finish sending it in time, ERR_CLIENT_CLOSED (499) when it goes away.
   */
  read(timeoutMs: number): Promise<Buffer> {
    this.reading ??= this.collect(timeoutMs).then((bytes) => (this.bytes = bytes));
    return this.reading;
  }

  private collect(timeoutMs: number): Promise<Buffer> {
    const { request, framing } = this;
    if (framing.kind === 'none') return Promise.resolve(Buffer.alloc(0));
    if (framing.kind === 'length' && framing.length > maxBufferedBodyBytes) return Promise.reject(tooLarge());
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (error?: Error) => {
        clearTimeout(deadline);
        request.off('data', onData);
        request.off('end', onEnd);
        request.off('error', onGone);
        this.clientGone.removeEventListener('abort', onGone);
        if (error) reject(error);
        else resolve(Buffer.concat(chunks));
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBufferedBodyBytes) {
          request.pause();
          finish(tooLarge());
        } else chunks.push(chunk);
      };
      const onEnd = () => finish();
      const onGone = () => finish(codedError('the client closed the request', 'ERR_CLIENT_CLOSED'));
      const deadline = setTimeout(
        () =>
          finish(
            new HttpError(408, 'Request Timeout', `the client did not send its body within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      if (this.clientGone.aborted) {
        onGone();
        return;
      }
      this.clientGone.addEventListener('abort', onGone, { once: true });
      request.on('data', onData);
      request.on('end', onEnd);
      request.on('error', onGone);
    });
  }
}

const tooLarge = (): HttpError =>
  new HttpError(
    413,
    'Payload Too Large',
    `the request body is larger than the ${maxBufferedBodyBytes} bytes the gateway buffers for the remote authorizer`,
  );
