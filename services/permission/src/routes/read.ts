import { badRequest, HttpError } from '@mesh/server';
import { requireKnownNamespaces } from './known-namespaces';
import type { Express, Request, Response } from 'express';
import type { PermissionChecker } from '../check';
import {
  parseBatchBody,
  parseFilterQuery,
  parseMaxDepth,
  parsePage,
  parseTuple,
  parseTupleQuery,
  pageTokenAfter,
} from '../request-schemas';
import type { TupleStore } from '../store/tuple-store';
import { Expander } from '../expand';

type CheckInput = (request: Request) => ReturnType<typeof parseTupleQuery>;

/** Keto's read API: check (200/403 and the always-200 openapi form), batch check, list, expand, namespaces. */
export function addReadRoutes(app: Express, checker: PermissionChecker, store: TupleStore): void {
  app.get('/namespaces', (_request, response) => {
    response.json({ namespaces: checker.model.names.map((name) => ({ name })) });
  });

  const checkWith =
    (input: CheckInput, alwaysOk: boolean) => async (request: Request, response: Response) => {
      const { tuple, subject } = input(request);
      const allowed = await checker.check(tuple, subject, parseMaxDepth(request.query));
      response.status(allowed || alwaysOk ? 200 : 403).json({ allowed });
    };
  const fromQuery: CheckInput = (request) => parseTupleQuery(request.query);
  const fromBody: CheckInput = (request) => parseTuple(request.body);

  app.get('/relation-tuples/check', checkWith(fromQuery, false));
  app.post('/relation-tuples/check', checkWith(fromBody, false));
  app.get('/relation-tuples/check/openapi', checkWith(fromQuery, true));
  app.post('/relation-tuples/check/openapi', checkWith(fromBody, true));

  app.post('/relation-tuples/batch/check', async (request, response) => {
    const { tuples } = parseBatchBody(request.body);
    const maxDepth = parseMaxDepth(request.query);
    // Concurrent checks, each with its own span and budget; a malformed tuple fails only its own result.
    const results = await Promise.all(
      tuples.map(async (candidate) => {
        try {
          const { tuple, subject } = parseTuple(candidate);
          return { allowed: await checker.check(tuple, subject, maxDepth) };
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
          return { allowed: false, error: error.reason ?? error.message };
        }
      }),
    );
    response.json({ results });
  });

  app.get('/relation-tuples', async (request, response) => {
    const filter = parseFilterQuery(request.query);
    requireKnownNamespaces(checker, filter.namespace, filter.subject_set?.namespace);
    const { pageSize, after } = parsePage(request.query);
    const page = await store.list(filter, pageSize, after);
    response.json({
      relation_tuples: page.tuples,
      next_page_token: page.nextAfter === undefined ? '' : pageTokenAfter(page.nextAfter),
    });
  });

  app.get('/relation-tuples/expand', async (request, response) => {
    const filter = parseFilterQuery(request.query);
    if (!filter.namespace || !filter.object || filter.relation === undefined) {
      throw badRequest('namespace, object and relation are required');
    }
    const maxDepth = checker.effectiveDepth(parseMaxDepth(request.query));
    requireKnownNamespaces(checker, filter.namespace);
    const set = { namespace: filter.namespace, object: filter.object, relation: filter.relation };
    const expander = new Expander(store, checker.model, maxDepth);
    response.json(await expander.expand(set));
  });
}
