import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OplParseResult } from './parse';

let queue: Promise<unknown> = Promise.resolve();

function runWorker(text: string): Promise<OplParseResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'parse-worker.js'), {
      workerData: { text },
      // Small young generation and a capped heap: the parse needs about 50 MB, the service stays small.
      resourceLimits: { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 8 },
    });
    let result: OplParseResult | undefined;
    worker.once('message', (message: OplParseResult) => {
      result = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`the OPL parser exited with code ${code} without an answer`));
    });
  });
}

/**
 * Parses OPL in a worker thread that exits afterwards, so the compiler's memory is returned and the
 * service stays small. One parse at a time: concurrent syntax checks queue instead of each loading a
 * compiler.
 */
export function parseOplInWorker(text: string): Promise<OplParseResult> {
  const next = queue.then(() => runWorker(text));
  queue = next.catch(() => undefined);
  return next;
}
