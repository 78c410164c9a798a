import { context, type Context } from '@opentelemetry/api';
import type { SubjectSet } from '../tuples';
import type { StepRow, TupleStore } from './tuple-store';

/** The most sets one statement asks for: a level with more takes ceil(n / 100) round trips. */
export const maxSetsPerStatement = 100;

interface Pending {
  set: SubjectSet;
  key: string;
  context: Context;
  resolve: (rows: StepRow[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Batches the check steps one evaluation asks for in the same turn of the event loop: the branches of
 * one level of a rewrite or traversal run concurrently, so their look-ups meet here and go to the
 * database as one statement per 100 sets. The statement runs in the trace context `contextFor` picks
 * from the first step that asked (so its span hangs under that step).
 */
export class TupleLoader {
  private pending: Pending[] = [];

  constructor(
    private readonly store: TupleStore,
    private readonly subjectId: string,
    private readonly contextFor: (requester: Context) => Context,
  ) {}

  load(set: SubjectSet): Promise<StepRow[]> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      const key = `${set.namespace}\u0000${set.object}\u0000${set.relation}`;
      this.pending.push({ set, key, context: context.active(), resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const unique = new Map<string, SubjectSet>();
    for (const request of batch) unique.set(request.key, request.set);
    const sets = [...unique.values()];
    const first = batch[0];
    if (!first) return;
    const chunks: SubjectSet[][] = [];
    for (let i = 0; i < sets.length; i += maxSetsPerStatement)
      chunks.push(sets.slice(i, i + maxSetsPerStatement));
    const queries = chunks.map((chunk) =>
      context.with(this.contextFor(first.context), () => this.store.steps(chunk, this.subjectId)),
    );
    Promise.all(queries).then(
      (results) => {
        const byKey = new Map<string, StepRow[]>();
        for (const row of results.flat()) {
          const key = `${row.namespace}\u0000${row.object}\u0000${row.relation}`;
          const rows = byKey.get(key);
          if (rows) rows.push(row);
          else byKey.set(key, [row]);
        }
        for (const request of batch) request.resolve(byKey.get(request.key) ?? []);
      },
      (error: unknown) => {
        for (const request of batch) request.reject(error);
      },
    );
  }
}
