import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { OplParseResult } from './parse';

let queue: Promise<unknown> = Promise.resolve();

function runChild(text: string): Promise<OplParseResult> {
  return new Promise((resolve, reject) => {
    // None of the service's own flags (a profiler's would follow it in): a capped heap is all it needs.
    const child = fork(join(__dirname, 'parse-child.js'), [], {
      execArgv: ['--max-old-space-size=96', '--max-semi-space-size=8'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result: OplParseResult | undefined;
    child.once('message', (message: OplParseResult) => {
      result = message;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (result) resolve(result);
      else reject(new Error(`the OPL parser exited with ${signal ?? `code ${code}`} without an answer`));
    });
    child.send({ text });
  });
}

/**
 * Parses OPL in a child process that exits afterwards. A worker thread was used before, but its
 * allocator arena stayed resident after it exited: 22 MB of the service's RSS, for good. One parse at a
 * time: concurrent syntax checks queue instead of each loading a compiler.
 */
export function parseOplInChild(text: string): Promise<OplParseResult> {
  const next = queue.then(() => runChild(text));
  queue = next.catch(() => undefined);
  return next;
}
