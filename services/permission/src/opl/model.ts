/**
 * The permission model as Keto holds it after reading OPL: namespaces, their relations (with the types a
 * tuple's subject may have) and their permits (relations with a rewrite). A model from the legacy inline
 * namespace list has namespaces without relations: any relation name is then a plain stored relation.
 * The model is plain JSON so that the parse worker can post it to the service.
 */
export type Rewrite =
  | { op: 'or' | 'and'; children: Rewrite[] }
  | { op: 'not'; child: Rewrite }
  /** `this.related.R.includes(ctx.subject)` or `this.permits.R(ctx)`: relation R on the same object. */
  | { op: 'computed'; relation: string }
  /** `this.related.R.traverse((p) => p.permits.P(ctx))`: P on every object that R's tuples point to. */
  | { op: 'traverse'; relation: string; computed: string };

export interface RelationType {
  namespace: string;
  relation?: string;
}

export interface RelationModel {
  name: string;
  /** The subject types of a `related` relation. */
  types?: RelationType[];
  /** The rewrite of a permit. */
  rewrite?: Rewrite;
}

export interface NamespaceModel {
  name: string;
  /** Null for a namespace from the legacy inline list: every relation is a stored one. */
  relations: Record<string, RelationModel> | null;
}

export interface PermissionModel {
  namespaces: NamespaceModel[];
}

export function legacyModel(names: readonly string[]): PermissionModel {
  return { namespaces: names.map((name) => ({ name, relations: null })) };
}

/** Fast look-ups over a model; swapped as a whole when the OPL file is reloaded. */
export class ModelIndex {
  private readonly byName: Map<string, NamespaceModel>;

  constructor(readonly model: PermissionModel) {
    this.byName = new Map(model.namespaces.map((namespace) => [namespace.name, namespace]));
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  hasNamespace(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * Keto's rule: with relations declared, a relation must be one of them; '', the legacy list and a
   * namespace that declares none (`class User implements Namespace {}`) allow any.
   */
  hasRelation(namespace: string, relation: string): boolean {
    const relations = this.byName.get(namespace)?.relations;
    return (
      !relations ||
      relation === '' ||
      Object.keys(relations).length === 0 ||
      Object.hasOwn(relations, relation)
    );
  }

  /** The rewrite of namespace#relation if it is a permit; undefined for a stored relation. */
  rewriteOf(namespace: string, relation: string): Rewrite | undefined {
    const relations = this.byName.get(namespace)?.relations;
    if (!relations || !Object.hasOwn(relations, relation)) return undefined;
    return relations[relation]?.rewrite;
  }
}
