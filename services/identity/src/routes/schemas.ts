import { notFound } from '@mesh/server';
import type { Express } from 'express';
import type { IdentitySchemas } from '../schemas/identity-schemas';

/** listIdentitySchemas and getIdentitySchema, on the public port and (as Kratos) under /admin on the admin port. */
export function addSchemaRoutes(app: Express, schemas: IdentitySchemas, prefix: '' | '/admin'): void {
  app.get(`${prefix}/schemas`, (_request, response) => {
    response.json(schemas.all().map((schema) => ({ id: schema.id, schema: schema.document })));
  });
  app.get(`${prefix}/schemas/:id`, (request, response) => {
    const schema = schemas.find(request.params.id);
    if (!schema) throw notFound(`Identity schema \`${request.params.id}\` could not be found.`);
    response.json(schema.document);
  });
}
