import { HttpError, notFound } from '@mesh/server';
import type { Express, Request, Response } from 'express';
import { bearerChallenge } from '../id-token';
import type { DocumentRecord, DocumentStore } from '../store/document-store';
import { parseId } from './document-input';

const view = (record: DocumentRecord, viewedBy: string) => ({
  id: record.id,
  title: record.title,
  body: record.body,
  owner: record.owner,
  viewed_by: viewedBy,
});

/**
 * The public port, the gateway's upstream: reads only, each for the subject of a verified id_token. Nothing
 * here trusts a header the client could have set: a request that bypasses the gateway has no valid token.
 */
export function addDocumentRoutes(
  app: Express,
  store: DocumentStore,
  subjectOf: (authorization: string | undefined) => Promise<string>,
): void {
  const viewer = async (request: Request, response: Response): Promise<string> => {
    try {
      return await subjectOf(request.get('authorization'));
    } catch (error) {
      if (error instanceof HttpError && error.status === 401)
        response.set('www-authenticate', bearerChallenge(error));
      throw error;
    }
  };

  app.get('/documents', async (request, response) => {
    const subject = await viewer(request, response);
    response.json((await store.list()).map((record) => view(record, subject)));
  });

  app.get('/documents/:id', async (request, response) => {
    const subject = await viewer(request, response);
    const { id } = parseId(request.params);
    const record = await store.find(id);
    if (!record) throw notFound(`document ${id} does not exist`);
    response.json(view(record, subject));
  });
}
