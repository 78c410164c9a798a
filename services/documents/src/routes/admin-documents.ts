import { notFound } from '@mesh/server';
import type { Express } from 'express';
import type { DocumentRecord, DocumentStore } from '../store/document-store';
import { parseDocumentBody, parseId } from './document-input';

const view = (record: DocumentRecord) => ({
  id: record.id,
  title: record.title,
  body: record.body,
  owner: record.owner,
});

/**
 * The admin port, like Kratos's admin API: seeding and operators, no token. No access rule points at it:
 * the gateway's upstream is the public port, so nothing here is reachable through the gateway.
 */
export function addAdminDocumentRoutes(app: Express, store: DocumentStore): void {
  app.get('/documents', async (_request, response) => {
    response.json((await store.list()).map(view));
  });

  app.get('/documents/:id', async (request, response) => {
    const { id } = parseId(request.params);
    const record = await store.find(id);
    if (!record) throw notFound(`document ${id} does not exist`);
    response.json(view(record));
  });

  app.put('/documents/:id', async (request, response) => {
    const { id } = parseId(request.params);
    const body = parseDocumentBody(request.body);
    const created = await store.upsert({ id, title: body.title, body: body.body, owner: body.owner ?? '' });
    const record = await store.find(id);
    if (!record) throw notFound(`document ${id} does not exist`);
    response.status(created ? 201 : 200).json(view(record));
  });

  app.delete('/documents/:id', async (request, response) => {
    const { id } = parseId(request.params);
    if (!(await store.remove(id))) throw notFound(`document ${id} does not exist`);
    response.status(204).end();
  });
}
