import { badRequest } from '@mesh/server';
import type { Express } from 'express';
import type { PermissionChecker } from '../check';
import { parseFilterQuery, parsePatchBody, parseTuple } from '../request-schemas';
import type { TupleStore } from '../store/tuple-store';
import { requireKnownNamespaces } from './known-namespaces';
import type { RelationTuple } from '../tuples';

function requireNamespaces(
  checker: PermissionChecker,
  tuple: Pick<RelationTuple, 'namespace' | 'subject_set'>,
): void {
  requireKnownNamespaces(checker, tuple.namespace, tuple.subject_set?.namespace);
}

/** Keto's write API: create (PUT), delete by filter (DELETE), transactional insert/delete (PATCH). */
export function addWriteRoutes(app: Express, checker: PermissionChecker, store: TupleStore): void {
  app.put('/admin/relation-tuples', async (request, response) => {
    const { tuple } = parseTuple(request.body);
    requireNamespaces(checker, tuple);
    await store.insert(tuple);
    response.status(201).json(tuple);
  });

  app.delete('/admin/relation-tuples', async (request, response) => {
    const filter = parseFilterQuery(request.query);
    if (!filter.namespace) throw badRequest('namespace is required to delete relation tuples');
    requireNamespaces(checker, { namespace: filter.namespace });
    await store.deleteMatching(filter);
    response.status(204).end();
  });

  app.patch('/admin/relation-tuples', async (request, response) => {
    const changes = parsePatchBody(request.body).map((change) => {
      const { tuple } = parseTuple(change.relation_tuple);
      requireNamespaces(checker, tuple);
      return { action: change.action, tuple };
    });
    await store.patch(changes);
    response.status(204).end();
  });
}
