import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { callHandler } from '../src/outbound';

/** What the dependency does with its n-th request (0-based): answer with a status, or never answer. */
type Script = (attempt: number) => number | 'hang';

describe('callHandler: retries against the call deadline', () => {
  let script: Script = () => 200;
  let attempts = 0;
  const hanging: ServerResponse[] = [];
  const server = createServer((_request, response) => {
    const step = script(attempts);
    attempts += 1;
    if (step === 'hang') hanging.push(response);
    else response.writeHead(step).end();
  });
  let url: URL;

  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/check`);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const cases: { name: string; script: Script; expected: number | RegExp; attempts: number }[] = [
    {
      // The deadline cuts the retry, not the dependency's answer: its 500 is the outcome, never a timeout.
      name: 'a 500, then a retry that never answers: the 500 stands',
      script: (attempt) => (attempt === 0 ? 500 : 'hang'),
      expected: 500,
      attempts: 2,
    },
    {
      name: 'a 503, a 500, then a retry that never answers: the last complete answer (500) stands',
      script: (attempt) => (attempt === 0 ? 503 : attempt === 1 ? 500 : 'hang'),
      expected: 500,
      attempts: 3,
    },
    {
      name: 'a first attempt that never answers is the timeout',
      script: () => 'hang',
      expected: /no complete answer within 300 ms/,
      attempts: 1,
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, async () => {
      script = testCase.script;
      attempts = 0;
      const call = callHandler({
        method: 'GET',
        url,
        headers: {},
        timeoutMs: 300,
        retry: { maxDelayMs: 10, giveUpAfterMs: 10_000 },
      });
      if (typeof testCase.expected === 'number') {
        const answer = await call;
        assert.equal(answer.status, testCase.expected);
      } else {
        await assert.rejects(call, (error: Error & { code?: string }) => {
          assert.match(error.message, testCase.expected as RegExp);
          assert.equal(error.code, 'ETIMEDOUT');
          return true;
        });
      }
      assert.equal(attempts, testCase.attempts);
      for (const response of hanging.splice(0)) response.destroy();
    });
  }
});
