import type { IncomingMessage, ServerResponse } from 'node:http';
import { codedError } from './outbound';

/**
 * Streams an upstream's answer body to the client and calls `done` once: with no error when the client's
 * response has finished, else with the failure after destroying both sides. An upstream that breaks
 * mid-body destroys the client's response (the client sees the cut, never a hang); a client that goes
 * away destroys the answer. This is what `stream.pipeline(answer, response)` does, without its cost on
 * every request: Node 20's pipeline creates an AbortController per call and aborts it on completion, and
 * that abort's DOMException (a captured stack) was the largest single gateway frame after the socket
 * writes in the access-off profile.
 */
export function relayAnswer(
  answer: IncomingMessage,
  response: ServerResponse,
  done: (error?: Error) => void,
): void {
  let finished = false;
  const finish = (error?: Error) => {
    if (finished) return;
    finished = true;
    if (error) {
      answer.destroy();
      response.destroy();
    }
    done(error);
  };
  answer.once('error', finish);
  answer.once('close', () => {
    if (!answer.complete)
      finish(codedError('the upstream closed its answer before its end', 'ERR_STREAM_PREMATURE_CLOSE'));
  });
  response.once('error', finish);
  response.once('finish', () => finish());
  response.once('close', () => {
    if (!response.writableFinished)
      finish(
        codedError('the client closed the connection before the answer ended', 'ERR_STREAM_PREMATURE_CLOSE'),
      );
  });
  answer.pipe(response);
}
