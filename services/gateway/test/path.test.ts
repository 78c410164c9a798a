import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HttpError } from '@mesh/server';
import { normalisePath } from '../src/path';
import { compileMatcher } from '../src/rules/matcher';

describe('path normalisation', () => {
  const normalised: [string, string][] = [
    ['/documents/doc-1', '/documents/doc-1'],
    ['/documents/./doc-1', '/documents/doc-1'],
    ['/documents//doc-1', '/documents/doc-1'],
    ['/self-service/../documents/doc-1', '/documents/doc-1'],
    ['/a/b/../../documents/doc-1/', '/documents/doc-1/'],
    ['/', '/'],
    ['/documents/doc%20one', '/documents/doc%20one'],
  ];
  for (const [input, expected] of normalised) {
    it(`${input} → ${expected}`, () => assert.equal(normalisePath(input), expected));
  }

  const refused = [
    '/documents/%2e%2e/admin',
    '/documents/%2E%2E/admin',
    '/documents/..%2fadmin',
    '/documents/..%2Fadmin',
    '/documents/%252e%252e/admin',
    '/documents/..%5cadmin',
    '/documents\\..\\admin',
    '/documents/doc-1%00',
    '/documents/\u0001',
    '/../etc/passwd',
    '/documents/%E0%A4%A',
    'documents/doc-1',
  ];
  for (const input of refused) {
    it(`refuses ${JSON.stringify(input)} with 400`, () => {
      assert.throws(
        () => normalisePath(input),
        (error: unknown) => error instanceof HttpError && error.status === 400,
      );
    });
  }
});

const segment = fc.oneof(
  fc.constantFrom(
    '.',
    '..',
    '',
    'documents',
    'doc-1',
    'admin',
    '%2e',
    '%2E%2e',
    '%2f',
    '%5c',
    '%25',
    '%00',
    '..%2f',
    'self-service',
  ),
  fc.stringMatching(/^[A-Za-z0-9._~%-]{0,8}$/),
);
const rawPath = fc.array(segment, { maxLength: 8 }).map((segments) => `/${segments.join('/')}`);

describe('path normalisation and rule matching (properties)', () => {
  const documentsRule = compileMatcher('http://<[^/]+>/documents/<[^/]+>', 'regexp');

  it('a normalised path is canonical: no dot segments, no empty segments, idempotent', () => {
    fc.assert(
      fc.property(rawPath, (path) => {
        let result: string;
        try {
          result = normalisePath(path);
        } catch (error) {
          return error instanceof HttpError && error.status === 400;
        }
        const segments = result.split('/').slice(1, result.endsWith('/') && result !== '/' ? -1 : undefined);
        return (
          result.startsWith('/') &&
          segments.every((part) => part !== '.' && part !== '..' && (part !== '' || result === '/')) &&
          !/%(2e|2f|5c|25|00)/i.test(result) &&
          normalisePath(result) === result
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it('only a path whose normal form is /documents/<one segment> matches the documents rule', () => {
    fc.assert(
      fc.property(rawPath, (path) => {
        let result: string;
        try {
          result = normalisePath(path);
        } catch {
          return true;
        }
        const captures = documentsRule.match(`http://gateway${result}`);
        const expected = /^\/documents\/[^/]+$/.test(result);
        return (
          (captures !== undefined) === expected &&
          (!captures || captures[1] === result.slice('/documents/'.length))
        );
      }),
      { numRuns: 2_000 },
    );
  });
});
