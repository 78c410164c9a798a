import { Gauge, Histogram } from 'prom-client';
import { exemplarOf } from './exemplar';
import { observeHistogram } from './observe';
import { registry } from './registry';

/** Cost 10 takes some 50 ms on one core; a queue behind a saturated pool takes seconds. */
const bcryptDuration = new Histogram({
  name: 'bcrypt_duration_seconds',
  help: 'Duration of a bcrypt hash or compare, from the call (including the wait for a worker) until its result.',
  labelNames: ['bcrypt_operation'],
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  enableExemplars: true,
  registers: [registry],
});

const queues = new Set<() => number>();

new Gauge({
  name: 'bcrypt_queue_depth',
  help: 'Hash and compare tasks waiting for a bcrypt worker thread.',
  registers: [registry],
  collect() {
    let depth = 0;
    for (const queued of queues) depth += queued();
    this.set(depth);
  },
});

export function recordBcrypt(operation: 'generate' | 'compare', seconds: number): void {
  observeHistogram(bcryptDuration, { bcrypt_operation: operation }, seconds, exemplarOf());
}

/** Adds a worker pool's queue to `bcrypt_queue_depth` until the returned function is called. */
export function observeBcryptQueue(queued: () => number): () => void {
  queues.add(queued);
  return () => queues.delete(queued);
}
