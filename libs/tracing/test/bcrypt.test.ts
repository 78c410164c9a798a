import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { createBcryptHasher, startInMemoryTracing, workFactorOf } from '../src';

const tracing = startInMemoryTracing({ name: 'bcrypt-test', version: '0.0.1' });
after(() => tracing.handle.shutdown());

describe('traced bcrypt in a worker pool', () => {
  it('hash.Generate and hash.Compare carry hash.type and bcrypt.workfactor, never the password', async () => {
    const hasher = createBcryptHasher({ cost: 5, threads: 1 });
    try {
      await tracing.reset();
      const tracer = trace.getTracer('bcrypt-test');
      const { hash, matches, mismatches } = await tracer.startActiveSpan('request', async (span) => {
        const generated = await hasher.generate('correct horse battery');
        const result = {
          hash: generated,
          matches: await hasher.compare('correct horse battery', generated),
          mismatches: await hasher.compare('wrong password', generated),
        };
        span.end();
        return result;
      });
      assert.equal(workFactorOf(hash), 5);
      assert.equal(matches, true);
      assert.equal(mismatches, false);
      const spans = await tracing.spans();
      const request = spans.find((span) => span.name === 'request');
      const generate = spans.filter((span) => span.name === 'hash.Generate');
      const compare = spans.filter((span) => span.name === 'hash.Compare');
      assert.equal(generate.length, 1);
      assert.equal(compare.length, 2);
      for (const span of [...generate, ...compare]) {
        assert.equal(span.parentSpanContext?.spanId, request?.spanContext().spanId);
        assert.equal(span.attributes['hash.type'], 'bcrypt');
        assert.equal(span.attributes['bcrypt.workfactor'], 5);
        assert.notEqual(span.status.code, SpanStatusCode.ERROR, 'a mismatch is an answer, not an error');
        const text = JSON.stringify(span.attributes);
        assert.ok(
          !text.includes('correct horse') && !text.includes('wrong password') && !text.includes(hash),
        );
      }
    } finally {
      await hasher.close();
    }
  });

  it('a cost-12 hash does not block the event loop: a 10 ms timer keeps firing', async () => {
    const hasher = createBcryptHasher({ cost: 12, threads: 1 });
    try {
      let ticks = 0;
      let maxGapMs = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        maxGapMs = Math.max(maxGapMs, now - last);
        last = now;
        ticks += 1;
      }, 10);
      const started = performance.now();
      await hasher.generate('a password of some length');
      const hashMs = performance.now() - started;
      clearInterval(timer);
      assert.ok(hashMs > 100, `cost 12 takes real work (${hashMs.toFixed(0)} ms)`);
      assert.ok(ticks >= (hashMs / 10) * 0.5, `the timer fired ${ticks} times in ${hashMs.toFixed(0)} ms`);
      assert.ok(maxGapMs < 100, `longest event-loop gap ${maxGapMs.toFixed(1)} ms`);
    } finally {
      await hasher.close();
    }
  });

  // Piscina's default puts a task it could not hand over back at the tail of its queue: with one worker, a
  // task could wait behind every later one (a token request took 15-20 s under four concurrent callers).
  for (const { name, warm } of [
    { name: 'while its worker starts', warm: false },
    { name: 'once its worker is running', warm: true },
  ]) {
    it(`runs concurrent comparisons in the order they came, ${name}`, async () => {
      const hasher = createBcryptHasher({ cost: 4, threads: 1 });
      try {
        const hash = '$2a$04$J9cvEqX4eDNfc/2ZW4Py0.kvJ6pg/KX4vq.vcFmqjbzc2sqcgPmQm';
        if (warm) await hasher.compare('warm-up', hash);
        const finished: number[] = [];
        await Promise.all(
          Array.from({ length: 8 }, (_, index) =>
            hasher.compare(`attempt ${index}`, hash).then(() => finished.push(index)),
          ),
        );
        assert.deepEqual(finished, [0, 1, 2, 3, 4, 5, 6, 7]);
      } finally {
        await hasher.close();
      }
    });
  }

  it('four callers in a loop share the worker in turn: every comparison finishes in the order it was asked', async () => {
    const hasher = createBcryptHasher({ cost: 4, threads: 1 });
    try {
      const hash = await hasher.generate('shared');
      let asked = 0;
      const finished: number[] = [];
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let round = 0; round < 5; round += 1) {
            const ticket = asked;
            asked += 1;
            await hasher.compare('shared', hash);
            finished.push(ticket);
          }
        }),
      );
      assert.deepEqual(
        finished,
        Array.from({ length: 20 }, (_, index) => index),
      );
    } finally {
      await hasher.close();
    }
  });
});
