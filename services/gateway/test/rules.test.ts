import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '@mesh/config';
import { createLogger } from '@mesh/tracing';
import { gatewaySchema, type GatewayConfig } from '../src/config';
import { compileMatcher } from '../src/rules/matcher';
import { loadRules, RuleRepository } from '../src/rules/repository';
import { compileTemplate, jsonEscape } from '../src/rules/templates';

function ruleFile(rules: unknown[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gateway-rules-')), 'rules.json');
  writeFileSync(file, JSON.stringify(rules));
  return file;
}

function configFor(file: string, strategy: 'regexp' | 'glob' = 'regexp'): GatewayConfig {
  return loadConfig<GatewayConfig>({
    schema: gatewaySchema,
    env: {},
    flags: [`access_rules.repositories=file://${file}`, `access_rules.matching_strategy=${strategy}`],
  });
}

const rule = (id: string, url: string, overrides: Record<string, unknown> = {}) => ({
  id,
  match: { url, methods: ['GET'] },
  authenticators: [{ handler: 'noop' }],
  authorizer: { handler: 'allow' },
  mutators: [{ handler: 'noop' }],
  upstream: { url: 'http://upstream:80' },
  ...overrides,
});

describe('access rules', () => {
  it('regexp and glob strategies capture the <…> parts', () => {
    assert.deepEqual(
      compileMatcher('http://<[^/]+>/documents/<[^/]+>', 'regexp').match('http://h:1/documents/doc-1'),
      ['h:1', 'doc-1'],
    );
    assert.equal(
      compileMatcher('http://<[^/]+>/documents/<[^/]+>', 'regexp').match('http://h/documents/a/b'),
      undefined,
    );
    const glob = compileMatcher('http://<*>/documents/<*>', 'glob');
    assert.deepEqual(glob.match('http://h/documents/doc-1'), ['h', 'doc-1']);
    assert.equal(glob.match('http://h/documents/a/b'), undefined);
  });

  // Oathkeeper's glob (gobwas/glob with '.' and '/' as separators), its documentation's forms.
  const globs: [string, string, string[] | undefined][] = [
    ['http://<*>/documents/<*>', 'http://h/documents/doc-1', ['h', 'doc-1']],
    ['http://<*>/documents/<*>', 'http://h/documents/doc.1', undefined],
    ['http://<*>/documents/<*>', 'http://a.b/documents/x', undefined],
    ['http://<**>/documents/<**>', 'http://a.b/documents/x/y.z', ['a.b', 'x/y.z']],
    ['https://mydomain.com/<{foo,bar}*>', 'https://mydomain.com/food', ['food']],
    ['https://mydomain.com/<{foo,bar}*>', 'https://mydomain.com/baz', undefined],
    ['http://my-app/some-route<**>', 'http://my-app/some-route/foo/bar', ['/foo/bar']],
    ['http://h/<?at>', 'http://h/cat', ['cat']],
    ['http://h/<[!c]at>', 'http://h/cat', undefined],
    ['http://h/<[a-c]at>', 'http://h/bat', ['bat']],
  ];
  for (const [pattern, url, captures] of globs) {
    it(`glob ${pattern} ${captures ? 'matches' : 'does not match'} ${url}`, () => {
      assert.deepEqual(compileMatcher(pattern, 'glob').match(url), captures);
    });
  }

  it('JSON-escapes every value inserted into a payload', () => {
    const template = compileTemplate(
      '{"subject_id":"{{ print .Subject }}","object":"{{ printIndex .MatchContext.RegexpCaptureGroups 0 }}"}',
      'r',
      jsonEscape,
    );
    const rendered = template({ subject: 'a"b\\c\n', extra: {}, captures: ['x","admin":"true'] });
    assert.deepEqual(JSON.parse(rendered), { subject_id: 'a"b\\c\n', object: 'x","admin":"true' });
  });

  const refused: [string, unknown[], RegExp][] = [
    [
      'an unevaluable template',
      [
        rule('r', 'http://<.*>/a', {
          mutators: [{ handler: 'header', config: { headers: { 'X-User': '{{ .Nope }}' } } }],
        }),
      ],
      /cannot be evaluated/,
    ],
    [
      'a capture group the pattern lacks',
      [
        rule('r', 'http://<.*>/a', {
          mutators: [
            {
              handler: 'header',
              config: { headers: { 'X-User': '{{ printIndex .MatchContext.RegexpCaptureGroups 3 }}' } },
            },
          ],
        }),
      ],
      /capture group 3/,
    ],
    [
      'an unknown authenticator',
      [rule('r', 'http://<.*>/a', { authenticators: [{ handler: 'oauth2_magic' }] })],
      /unknown authenticator/,
    ],
    ['two rules with the same match', [rule('a', 'http://<.*>/x'), rule('b', 'http://<.*>/x')], /both match/],
    ['a duplicate id', [rule('a', 'http://<.*>/x'), rule('a', 'http://<.*>/y')], /id a/],
    [
      'a payload that is not JSON once filled',
      [
        rule('r', 'http://<.*>/a', {
          authorizer: {
            handler: 'remote_json',
            config: { remote: 'http://p/check', payload: '{"a": {{ print .Subject }}' },
          },
        }),
      ],
      /not JSON/,
    ],
    ['a rule without upstream', [{ ...rule('r', 'http://<.*>/a'), upstream: undefined }], /upstream/],
  ];
  for (const [name, rules, message] of refused) {
    it(`refuses ${name} when the rules load`, () => {
      assert.throws(() => loadRules(configFor(ruleFile(rules))), message);
    });
  }

  it('reload keeps the last good rules when a file turns bad, and takes a good change', () => {
    const file = ruleFile([rule('first', 'http://<.*>/a')]);
    const repository = new RuleRepository(configFor(file), createLogger('gateway-test', 'silent'));
    assert.deepEqual(
      repository.rules.map((candidate) => candidate.id),
      ['first'],
    );
    writeFileSync(file, 'this: [is not: a rule list');
    repository.reload();
    assert.deepEqual(
      repository.rules.map((candidate) => candidate.id),
      ['first'],
    );
    writeFileSync(file, JSON.stringify([rule('second', 'http://<.*>/b')]));
    repository.reload();
    assert.deepEqual(
      repository.rules.map((candidate) => candidate.id),
      ['second'],
    );
  });
});
