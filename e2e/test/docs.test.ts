import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configKeys, renderMarkdownTable } from '@mesh/config';
import { tracingKeysMarkdown } from '@mesh/tracing';
import type { ServiceName } from '@mesh/testkit';
import { repoRoot, serviceSchema } from '../src/service-config';

/** A Markdown table with its cells trimmed, so a formatter's column padding does not count. */
const normaliseTable = (table: string): string =>
  table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/^:?-{3,}:?$/, '---'))
        .join('|'),
    )
    .join('\n');

function between(text: string, start: string, end: string): string {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  assert.ok(from >= 0 && to > from, `${start} … ${end} markers`);
  return normaliseTable(text.slice(from + start.length, to));
}

describe('the docs are generated from the schemas', () => {
  it('the README documents every tracing key, as the schema says', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const expected = tracingKeysMarkdown(serviceSchema('identity'));
    assert.equal(
      between(readme, '<!-- tracing-config:start -->', '<!-- tracing-config:end -->'),
      normaliseTable(expected),
    );
  });

  for (const service of ['identity', 'permission', 'gateway', 'documents', 'oauth2', 'web'] as ServiceName[]) {
    it(`docs/${service}.md documents every one of its own keys`, () => {
      const doc = readFileSync(join(repoRoot, 'docs', `${service}.md`), 'utf8');
      const keys = configKeys(serviceSchema(service)).filter((key) => !key.path.startsWith('tracing.'));
      assert.equal(
        between(doc, '<!-- config:start -->', '<!-- config:end -->'),
        normaliseTable(renderMarkdownTable(keys)),
      );
    });
  }
});
