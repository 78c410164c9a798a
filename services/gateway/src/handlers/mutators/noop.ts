import type { MutatorDefinition } from '../definition';

export const noopMutator: MutatorDefinition = {
  name: 'noop',
  description: 'Changes nothing.',
  properties: {},
  compile: () => ({ setsHeaders: [], mutate: () => Promise.resolve() }),
};
