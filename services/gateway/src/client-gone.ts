import type { ServerResponse } from 'node:http';

/**
 * Aborted when the client's connection closes before its response is complete, including when it closed
 * while the request was still waiting to be handled (the `close` event has then already passed). A
 * half-close after a complete request is not a close: the answer is still written.
 */
export function clientGoneSignal(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  if (response.destroyed || response.socket?.destroyed !== false) controller.abort();
  else
    response.once('close', () => {
      if (!response.writableFinished) controller.abort();
    });
  return controller.signal;
}
