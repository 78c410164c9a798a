import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { EmitBindingContextManager } from '../src/emitter-binding';

const key = createContextKey('request');
const requestContext = ROOT_CONTEXT.setValue(key, 'bound');
const otherContext = ROOT_CONTEXT.setValue(key, 'other');

describe('EmitBindingContextManager', () => {
  const manager = new EmitBindingContextManager().enable();

  test('listeners of a bound emitter run in its context, whatever context emits', () => {
    const emitter = manager.bind(requestContext, new EventEmitter());
    const seen: unknown[] = [];
    emitter.on('data', () => seen.push(manager.active().getValue(key)));
    emitter.once('end', () => seen.push(manager.active().getValue(key)));
    manager.with(otherContext, () => {
      emitter.emit('data');
      emitter.emit('end');
    });
    emitter.emit('data');
    assert.deepEqual(seen, ['bound', 'bound', 'bound']);
    // The context the emitter was called in is back once emit returns.
    manager.with(otherContext, () => {
      emitter.emit('data');
      assert.equal(manager.active().getValue(key), 'other');
    });
  });

  test('listeners stay the functions that were added: listeners() and removeListener see them', () => {
    const emitter = manager.bind(requestContext, new EventEmitter());
    const listener = () => undefined;
    emitter.on('data', listener);
    assert.deepEqual(emitter.listeners('data'), [listener]);
    emitter.removeListener('data', listener);
    assert.equal(emitter.listenerCount('data'), 0);
    // The maintained manager wraps each listener, which is the per-listener cost this one avoids.
    const maintained = new AsyncLocalStorageContextManager().enable();
    const wrapped = maintained.bind(requestContext, new EventEmitter());
    wrapped.on('data', listener);
    assert.notEqual(wrapped.rawListeners('data')[0], listener);
  });

  test('the first binding wins, as with the maintained manager', () => {
    const emitter = manager.bind(requestContext, new EventEmitter());
    manager.bind(otherContext, emitter);
    let seen: unknown;
    emitter.on('data', () => (seen = manager.active().getValue(key)));
    emitter.emit('data');
    assert.equal(seen, 'bound');
  });

  test('functions are bound as by the maintained manager', () => {
    const bound = manager.bind(requestContext, () => manager.active().getValue(key));
    assert.equal(
      manager.with(otherContext, () => bound()),
      'bound',
    );
  });
});
