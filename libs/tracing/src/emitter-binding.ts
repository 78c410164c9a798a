import type { Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { EventEmitter } from 'node:events';

/** The context an emitter was bound to; the first binding wins, as with the maintained manager. */
const boundContext = Symbol('mesh.tracing.boundContext');

type BoundEmitter = EventEmitter & { [boundContext]?: Context };

/**
 * OpenTelemetry's AsyncLocalStorage context manager, except for how it binds an EventEmitter to a context
 * (the http instrumentation binds every incoming request and response, every outgoing request and its
 * response). The maintained manager replaces the emitter's eight listener methods with closures and then
 * wraps every listener added afterwards in a closure of its own (with an `Object.defineProperty` for its
 * `length`) kept in a map for `removeListener`: Node's http internals, express, body-parser and the metrics
 * add a dozen listeners per request and service. This one wraps the emitter's `emit` once, so that its
 * listeners run in the bound context, and leaves listeners as they are.
 *
 * The one difference: listeners added before the binding also run in the bound context (the maintained
 * manager leaves them in whatever context emits). The instrumentation binds each emitter before the
 * service adds a listener, so these are only Node's own. `tracing.emitter_binding: opentelemetry`
 * selects the maintained manager.
 */
export class EmitBindingContextManager extends AsyncLocalStorageContextManager {
  override bind<T>(context: Context, target: T): T {
    if (!(target instanceof EventEmitter)) return super.bind(context, target);
    const emitter = target as BoundEmitter;
    if (emitter[boundContext]) return target;
    emitter[boundContext] = context;
    const emit = emitter.emit;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrapper's `this` is the emitter
    const manager = this;
    emitter.emit = function boundEmit(this: EventEmitter, ...args: Parameters<EventEmitter['emit']>) {
      if (manager.active() === context) return emit.apply(this, args);
      return manager.with(context, () => emit.apply(this, args));
    };
    return target;
  }
}
