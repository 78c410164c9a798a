import { badRequest } from '@mesh/server';
import type { Membership } from './check-trace';
import { CheckTrace } from './check-trace';
import type { ModelIndex, Rewrite } from './opl/model';
import { TupleLoader } from './store/tuple-loader';
import type { StepRow, TupleStore } from './store/tuple-store';
import type { Subject, SubjectSet } from './tuples';

export const setKey = (set: SubjectSet): string => `${set.namespace}:${set.object}#${set.relation}`;

/** The sets on the path from the root to a step: a cycle is a set already on its own path. */
interface Path {
  key: string;
  parent?: Path;
}

function onPath(path: Path | undefined, key: string): boolean {
  for (let node = path; node; node = node.parent) if (node.key === key) return true;
  return false;
}

/** A branch of a union or intersection; once its parent has its answer, the other branches stop. */
class Branch {
  done = false;
  constructor(private readonly parent?: Branch) {}
  get alive(): boolean {
    return !this.done && (this.parent?.alive ?? true);
  }
}

type Task = (branch: Branch) => Promise<Membership>;

/**
 * Runs the branches concurrently (their look-ups batch into one statement per level), stops the others
 * once one decides, and waits for all to settle so that every span ends inside its parent.
 */
async function combine(parent: Branch, tasks: readonly Task[], decisive: Membership): Promise<Membership> {
  const branch = new Branch(parent);
  let decided = false;
  let unknown = false;
  await Promise.all(
    tasks.map(async (task) => {
      const result = await task(branch);
      if (result === decisive) {
        decided = true;
        branch.done = true;
      } else if (result === 'unknown') unknown = true;
    }),
  );
  if (decided) return decisive;
  if (unknown) return 'unknown';
  return decisive === 'member' ? 'not_member' : 'member';
}

const subjectSetOf = (row: StepRow): SubjectSet => ({
  namespace: row.subject_set_namespace,
  object: row.subject_set_object,
  relation: row.subject_set_relation,
});

/**
 * One check: Keto's evaluation of stored tuples and OPL rewrites. Depth 1 is the look-up of the checked
 * set; following a subject set or a traversal adds one, a computed subject set (`this.permits.P`,
 * `this.related.R.includes`) does not, as in Keto. A set already on the path from the root is a cycle
 * (unknown); a set reached by another branch is evaluated again, so no branch blocks a shallower one.
 */
class Evaluation {
  readonly trace: CheckTrace;
  private readonly loader: TupleLoader;

  constructor(
    private readonly model: ModelIndex,
    store: TupleStore,
    private readonly subject: Subject,
    private readonly maxDepth: number,
    maxSpans: number,
  ) {
    this.trace = new CheckTrace(maxSpans);
    const subjectId = 'subject_id' in subject ? subject.subject_id : '';
    this.loader = new TupleLoader(store, subjectId, (requester) => this.trace.contextForStatement(requester));
  }

  private matches(row: StepRow): boolean {
    const subject = this.subject;
    if ('subject_id' in subject) return row.subject_id === subject.subject_id;
    return (
      row.subject_id === '' &&
      row.subject_set_namespace === subject.subject_set.namespace &&
      row.subject_set_object === subject.subject_set.object &&
      row.subject_set_relation === subject.subject_set.relation
    );
  }

  root(set: SubjectSet): Promise<Membership> {
    return this.trace.step(
      'permission.check',
      { ...set, depth: 1 },
      () => this.node(set, 1, undefined, new Branch()),
      true,
    );
  }

  private async node(
    set: SubjectSet,
    depth: number,
    path: Path | undefined,
    branch: Branch,
  ): Promise<Membership> {
    if (!branch.alive || !this.model.hasNamespace(set.namespace)) return 'not_member';
    if (!this.model.hasRelation(set.namespace, set.relation))
      throw badRequest(`relation ${JSON.stringify(set.relation)} does not exist`);
    if (depth > this.maxDepth) {
      this.trace.markDepthLimit();
      return 'unknown';
    }
    const key = setKey(set);
    if (onPath(path, key)) return 'unknown';
    const here = { key, parent: path };
    const rewrite = this.model.rewriteOf(set.namespace, set.relation);
    return rewrite ? this.rewrite(rewrite, set, depth, here, branch) : this.stored(set, depth, here, branch);
  }

  /** A stored relation: the subject itself, or any subject set its tuples name. */
  private async stored(set: SubjectSet, depth: number, path: Path, branch: Branch): Promise<Membership> {
    const rows = await this.loader.load(set);
    if (rows.some((row) => this.matches(row))) return 'member';
    const sets = rows.filter((row) => row.subject_id === '').map(subjectSetOf);
    if (sets.length === 0 || !branch.alive) return 'not_member';
    if (depth + 1 > this.maxDepth) {
      this.trace.markDepthLimit();
      return 'unknown';
    }
    return combine(
      branch,
      sets.map(
        (next) => (child) =>
          this.trace.step('permission.subject_set', { ...next, depth: depth + 1, rewrite: 'this' }, () =>
            this.node(next, depth + 1, path, child),
          ),
      ),
      'member',
    );
  }

  private async rewrite(
    rewrite: Rewrite,
    set: SubjectSet,
    depth: number,
    path: Path,
    branch: Branch,
  ): Promise<Membership> {
    switch (rewrite.op) {
      case 'or':
      case 'and':
        return combine(
          branch,
          rewrite.children.map((child) => (sub) => this.rewrite(child, set, depth, path, sub)),
          rewrite.op === 'or' ? 'member' : 'not_member',
        );
      case 'not': {
        const result = await this.rewrite(rewrite.child, set, depth, path, branch);
        return result === 'member' ? 'not_member' : result === 'not_member' ? 'member' : 'unknown';
      }
      case 'computed': {
        const target = { namespace: set.namespace, object: set.object, relation: rewrite.relation };
        if (!this.model.rewriteOf(target.namespace, target.relation))
          return this.node(target, depth, path, branch);
        return this.trace.step(
          'permission.permit',
          { ...target, depth, rewrite: 'computed_subject_set' },
          () => this.node(target, depth, path, branch),
        );
      }
      case 'traverse': {
        const rows = await this.loader.load({ ...set, relation: rewrite.relation });
        const parents = rows.filter((row) => row.subject_id === '').map(subjectSetOf);
        if (parents.length === 0 || !branch.alive) return 'not_member';
        if (depth + 1 > this.maxDepth) {
          this.trace.markDepthLimit();
          return 'unknown';
        }
        return combine(
          branch,
          parents.map((parent) => (child) => {
            const target = { namespace: parent.namespace, object: parent.object, relation: rewrite.computed };
            return this.trace.step(
              'permission.traverse',
              { ...target, depth: depth + 1, rewrite: 'tuple_to_subject_set' },
              () => this.node(target, depth + 1, path, child),
            );
          }),
          'member',
        );
      }
    }
  }
}

export interface CheckLimits {
  maxReadDepth: number;
  maxSpans: number;
}

/** Checks against the current model; the model may be swapped by a reload between two checks. */
export class PermissionChecker {
  constructor(
    private readonly store: TupleStore,
    private readonly modelOf: () => ModelIndex,
    private readonly limits: CheckLimits,
  ) {}

  get model(): ModelIndex {
    return this.modelOf();
  }

  effectiveDepth(requested: number | undefined): number {
    return requested && requested > 0
      ? Math.min(requested, this.limits.maxReadDepth)
      : this.limits.maxReadDepth;
  }

  async check(set: SubjectSet, subject: Subject, requestedDepth?: number): Promise<boolean> {
    const evaluation = new Evaluation(
      this.modelOf(),
      this.store,
      subject,
      this.effectiveDepth(requestedDepth),
      this.limits.maxSpans,
    );
    return (await evaluation.root(set)) === 'member';
  }
}
