import { trace, type Span } from '@opentelemetry/api';
import type { TupleStore } from './store/tuple-store';
import type { RelationTuple, Subject, SubjectSet } from './tuples';

const tracer = trace.getTracer('permission');

const setKey = (set: SubjectSet) => `${set.namespace}:${set.object}#${set.relation}`;

export interface ExpandTree {
  type: 'union' | 'leaf';
  tuple: RelationTuple;
  children?: ExpandTree[];
}

/**
 * Zanzibar-style checks over the tuple store. Depth 1 is the direct lookup of namespace:object#relation;
 * each subject set followed adds one. The effective limit is limit.max_read_depth, lowered (never raised)
 * by a request's max-depth. A set already visited in this check is not followed again, so cycles end.
 */
export class PermissionChecker {
  constructor(
    private readonly store: TupleStore,
    private readonly namespaces: ReadonlySet<string>,
    private readonly maxReadDepth: number,
  ) {}

  hasNamespace(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  effectiveDepth(requested: number | undefined): number {
    return requested && requested > 0 ? Math.min(requested, this.maxReadDepth) : this.maxReadDepth;
  }

  async check(set: SubjectSet, subject: Subject, requestedDepth?: number): Promise<boolean> {
    const maxDepth = this.effectiveDepth(requestedDepth);
    return this.step(set, subject, 1, maxDepth, new Set([setKey(set)]));
  }

  private step(
    set: SubjectSet,
    subject: Subject,
    depth: number,
    maxDepth: number,
    visited: Set<string>,
  ): Promise<boolean> {
    return tracer.startActiveSpan(
      'permission.check',
      {
        attributes: {
          'permission.namespace': set.namespace,
          'permission.object': set.object,
          'permission.relation': set.relation,
          'permission.depth': depth,
        },
      },
      async (span: Span) => {
        try {
          const allowed = await this.evaluate(set, subject, depth, maxDepth, visited);
          span.setAttribute('permission.allowed', allowed);
          return allowed;
        } finally {
          span.end();
        }
      },
    );
  }

  private async evaluate(
    set: SubjectSet,
    subject: Subject,
    depth: number,
    maxDepth: number,
    visited: Set<string>,
  ): Promise<boolean> {
    if (!this.namespaces.has(set.namespace)) return false;
    const rows = await this.store.step(set, 'subject_id' in subject ? subject.subject_id : '');
    const direct = rows.some((row) =>
      'subject_id' in subject
        ? row.subject_id === subject.subject_id
        : row.subject_id === '' &&
          row.subject_set_namespace === subject.subject_set.namespace &&
          row.subject_set_object === subject.subject_set.object &&
          row.subject_set_relation === subject.subject_set.relation,
    );
    if (direct) return true;
    if (depth >= maxDepth) return false;
    for (const row of rows) {
      if (row.subject_id !== '') continue;
      const next = {
        namespace: row.subject_set_namespace,
        object: row.subject_set_object,
        relation: row.subject_set_relation,
      };
      if (visited.has(setKey(next))) continue;
      visited.add(setKey(next));
      if (await this.step(next, subject, depth + 1, maxDepth, visited)) return true;
    }
    return false;
  }

  /** Keto's expand tree: a union per subject set, a leaf per subject id, cut at the depth limit. */
  async expand(set: SubjectSet, requestedDepth?: number): Promise<ExpandTree> {
    return this.expandSet(set, 1, this.effectiveDepth(requestedDepth), new Set([setKey(set)]));
  }

  private async expandSet(
    set: SubjectSet,
    depth: number,
    maxDepth: number,
    visited: Set<string>,
  ): Promise<ExpandTree> {
    const node: ExpandTree = { type: 'union', tuple: { ...set, subject_set: set }, children: [] };
    for (const tuple of await this.store.subjectsOf(set)) {
      if (tuple.subject_id !== undefined || !tuple.subject_set) {
        node.children?.push({ type: 'leaf', tuple });
      } else if (depth < maxDepth && !visited.has(setKey(tuple.subject_set))) {
        visited.add(setKey(tuple.subject_set));
        node.children?.push(await this.expandSet(tuple.subject_set, depth + 1, maxDepth, visited));
      } else {
        node.children?.push({ type: 'leaf', tuple });
      }
    }
    return node;
  }
}
