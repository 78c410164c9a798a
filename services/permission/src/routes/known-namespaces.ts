import { notFound } from '@mesh/server';
import type { PermissionChecker } from '../check';

/** Keto's answer to a namespace it does not know, on list, expand and every write. */
export function requireKnownNamespaces(
  checker: PermissionChecker,
  ...namespaces: (string | undefined)[]
): void {
  for (const namespace of namespaces) {
    if (namespace !== undefined && !checker.model.hasNamespace(namespace))
      throw notFound(`Unknown namespace with name ${JSON.stringify(namespace)}.`);
  }
}
