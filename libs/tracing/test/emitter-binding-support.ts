import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, describe, test } from 'node:test';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { startInMemoryTracing, type TracingConfig } from '../src';

const key = createContextKey('request');

/**
 * What `tracing.emitter_binding` selects, through the global API the http instrumentation calls: each mode
 * runs in a test file (a process) of its own, since the context manager is registered once per process.
 */
export function describeEmitterBinding(mode: TracingConfig['emitter_binding']): void {
  const tracing = startInMemoryTracing({ name: 'binding-test', version: '0.0.1' }, { emitter_binding: mode });
  after(() => tracing.handle.shutdown());

  describe(`tracing.emitter_binding: ${mode}`, () => {
    test('a bound emitter runs its listeners in the bound context', () => {
      const emitter = context.bind(ROOT_CONTEXT.setValue(key, 'bound'), new EventEmitter());
      let seen: unknown;
      emitter.on('data', () => (seen = context.active().getValue(key)));
      context.with(ROOT_CONTEXT.setValue(key, 'other'), () => emitter.emit('data'));
      assert.equal(seen, 'bound');
    });

    test(
      mode === 'emit'
        ? 'listeners are kept as added, and emit is wrapped once'
        : 'the maintained manager wraps each listener',
      () => {
        const emitter = context.bind(ROOT_CONTEXT, new EventEmitter());
        const listener = () => undefined;
        emitter.on('data', listener);
        const [added] = emitter.rawListeners('data');
        if (mode === 'emit') {
          assert.equal(added, listener);
          assert.ok(Object.hasOwn(emitter, 'emit'));
        } else {
          assert.notEqual(added, listener);
          assert.ok(!Object.hasOwn(emitter, 'emit'));
        }
      },
    );
  });
}
