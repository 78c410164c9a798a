import type ts from 'typescript';
import type { NamespaceModel } from './model';

/**
 * Keto's reference checks, run once every class is read so that classes may refer to ones declared
 * later: namespaces and relations named in types, permits and traversals must exist.
 */
export class ReferenceChecks {
  constructor(
    private readonly namespaces: readonly NamespaceModel[],
    private readonly report: (node: ts.Node, message: string) => void,
  ) {}

  private find(namespace: string): NamespaceModel | undefined {
    return this.namespaces.find((candidate) => candidate.name === namespace);
  }

  checkNamespace(node: ts.Node, namespace: string): boolean {
    if (this.find(namespace)) return true;
    this.report(node, `namespace "${namespace}" was not declared`);
    return false;
  }

  checkRelation(namespaceNode: ts.Node, namespace: string, relationNode: ts.Node, relation: string): void {
    const found = this.find(namespace);
    if (!found) this.report(namespaceNode, `namespace "${namespace}" was not declared`);
    else if (!found.relations || !Object.hasOwn(found.relations, relation))
      this.report(relationNode, `namespace "${namespace}" did not declare relation "${relation}"`);
  }

  checkOwnRelation(namespace: string, node: ts.Node, relation: string): boolean {
    const relations = this.find(namespace)?.relations;
    if (relations && Object.hasOwn(relations, relation)) return true;
    this.report(node, `namespace "${namespace}" did not declare relation "${relation}"`);
    return false;
  }

  /** Keto's check that every type a traversed relation may point to has the relation the traversal asks for. */
  checkTypesHaveRelation(
    node: ts.Node,
    namespace: string,
    relationType: string,
    relation: string,
    depth: number,
  ): void {
    if (depth < 0) {
      this.report(node, 'could not typecheck deeply nested SubjectSet further');
      return;
    }
    const declared = this.find(namespace)?.relations?.[relationType];
    if (!declared) {
      this.report(node, `relation "${relationType}" was not declared in namespace "${namespace}"`);
      return;
    }
    for (const type of declared.types ?? []) {
      if (type.relation === undefined) {
        const target = this.find(type.namespace)?.relations;
        if (!target || !Object.hasOwn(target, relation))
          this.report(node, `relation "${relation}" was not declared in namespace "${type.namespace}"`);
      } else {
        this.checkTypesHaveRelation(node, type.namespace, type.relation, relation, depth - 1);
      }
    }
  }
}
