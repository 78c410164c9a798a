import { describeEmitterBinding } from './emitter-binding-support';

describeEmitterBinding('opentelemetry');
