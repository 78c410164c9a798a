import { Counter } from 'prom-client';
import { registry } from './registry';

/** A counter in the process registry, for a service's own metric (the gateway's decisions). */
export function defineCounter<Label extends string>(
  name: string,
  help: string,
  labelNames: readonly Label[],
): Counter<Label> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}
