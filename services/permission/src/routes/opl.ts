import express, { type Express } from 'express';
import { parseOplInChild } from '../opl/parse-in-child';

/**
 * Keto's OPL syntax API: the file as text/plain, answered with `{errors:[{message, start, end}]}`
 * (Keto omits `errors` when there are none). Type errors (unknown namespaces, relations, permits) are
 * reported too, as Keto's parser does.
 */
export function addOplRoutes(app: Express): void {
  app.post(
    '/opl/syntax/check',
    express.text({ type: () => true, limit: '1mb' }),
    async (request, response) => {
      const text = typeof request.body === 'string' ? request.body : '';
      const { errors } = await parseOplInChild(text);
      response.json(errors.length > 0 ? { errors } : {});
    },
  );
}
