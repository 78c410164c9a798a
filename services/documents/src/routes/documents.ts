import { notFound, schemaParser } from '@mesh/server';
import type { Express } from 'express';
import type { DocumentRecord, DocumentStore } from '../store/document-store';

const parseDocumentBody = schemaParser<{ title: string; body: string; owner?: string }>({
  type: 'object',
  required: ['title', 'body'],
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 500 },
    body: { type: 'string', maxLength: 100_000 },
    owner: { type: 'string', maxLength: 256 },
  },
});

const parseId = schemaParser<{ id: string }>({
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 256 } },
});

const view = (record: DocumentRecord, viewedBy: string | undefined) => ({
  id: record.id,
  title: record.title,
  body: record.body,
  owner: record.owner,
  viewed_by: viewedBy ?? null,
});

/** The protected app: it trusts X-User because only the gateway can reach it and the gateway strips a forged one. */
export function addDocumentRoutes(app: Express, store: DocumentStore): void {
  app.get('/documents', async (request, response) => {
    const viewer = request.get('x-user');
    response.json((await store.list()).map((record) => view(record, viewer)));
  });

  app.get('/documents/:id', async (request, response) => {
    const { id } = parseId(request.params);
    const record = await store.find(id);
    if (!record) throw notFound(`document ${id} does not exist`);
    response.json(view(record, request.get('x-user')));
  });

  app.put('/documents/:id', async (request, response) => {
    const { id } = parseId(request.params);
    const body = parseDocumentBody(request.body);
    const created = await store.upsert({
      id,
      title: body.title,
      body: body.body,
      owner: body.owner ?? request.get('x-user') ?? '',
    });
    const record = await store.find(id);
    response.status(created ? 201 : 200).json(view(record as DocumentRecord, request.get('x-user')));
  });
}
