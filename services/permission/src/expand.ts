import type { ModelIndex, Rewrite } from './opl/model';
import type { TupleStore } from './store/tuple-store';
import type { RelationTuple, SubjectSet } from './tuples';
import { setKey } from './check';

/** Keto's expand tree node; `not` is Keto's node type for an inverted rewrite. */
export interface ExpandTree {
  type: 'union' | 'intersection' | 'not' | 'leaf';
  tuple: RelationTuple;
  children?: ExpandTree[];
}

const setNode = (type: ExpandTree['type'], set: SubjectSet, children: ExpandTree[]): ExpandTree => ({
  type,
  tuple: { ...set, subject_set: set },
  children,
});

/**
 * Keto's expand: a union per stored subject set, a leaf per subject id, cut at the depth limit and on
 * cycles (a set already on the path becomes a leaf). Beyond Keto, a permit is expanded through its
 * rewrite: `||` a union, `&&` an intersection, `!` a not, a traversal a union of the parents' permits.
 */
export class Expander {
  constructor(
    private readonly store: TupleStore,
    private readonly model: ModelIndex,
    private readonly maxDepth: number,
  ) {}

  expand(set: SubjectSet): Promise<ExpandTree> {
    return this.set(set, 1, new Set());
  }

  private async set(set: SubjectSet, depth: number, path: ReadonlySet<string>): Promise<ExpandTree> {
    const here = new Set(path).add(setKey(set));
    const rewrite = this.model.rewriteOf(set.namespace, set.relation);
    if (rewrite) return this.rewrite(rewrite, set, depth, here);
    const children: ExpandTree[] = [];
    for (const tuple of await this.store.subjectsOf(set)) {
      const next = tuple.subject_set;
      if (next && depth < this.maxDepth && !here.has(setKey(next)))
        children.push(await this.set(next, depth + 1, here));
      else children.push({ type: 'leaf', tuple });
    }
    return setNode('union', set, children);
  }

  private async follow(set: SubjectSet, depth: number, path: ReadonlySet<string>): Promise<ExpandTree> {
    if (depth > this.maxDepth || path.has(setKey(set)))
      return { type: 'leaf', tuple: { ...set, subject_set: set } };
    return this.set(set, depth, path);
  }

  private async rewrite(
    rewrite: Rewrite,
    set: SubjectSet,
    depth: number,
    path: ReadonlySet<string>,
  ): Promise<ExpandTree> {
    switch (rewrite.op) {
      case 'or':
      case 'and': {
        const children: ExpandTree[] = [];
        for (const child of rewrite.children) children.push(await this.rewrite(child, set, depth, path));
        return setNode(rewrite.op === 'or' ? 'union' : 'intersection', set, children);
      }
      case 'not':
        return setNode('not', set, [await this.rewrite(rewrite.child, set, depth, path)]);
      case 'computed':
        return this.follow({ ...set, relation: rewrite.relation }, depth, path);
      case 'traverse': {
        const relation = { ...set, relation: rewrite.relation };
        const children: ExpandTree[] = [];
        for (const tuple of await this.store.subjectsOf(relation)) {
          const parent = tuple.subject_set;
          if (!parent) continue;
          children.push(
            await this.follow(
              { namespace: parent.namespace, object: parent.object, relation: rewrite.computed },
              depth + 1,
              path,
            ),
          );
        }
        return setNode('union', relation, children);
      }
    }
  }
}
