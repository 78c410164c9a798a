import { schemaParser } from '@mesh/server';

/** A document as an operator writes it on the admin port. */
export const parseDocumentBody = schemaParser<{ title: string; body: string; owner?: string }>({
  type: 'object',
  required: ['title', 'body'],
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 500 },
    body: { type: 'string', maxLength: 100_000 },
    owner: { type: 'string', maxLength: 256 },
  },
});

export const parseId = schemaParser<{ id: string }>({
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 256 } },
});
