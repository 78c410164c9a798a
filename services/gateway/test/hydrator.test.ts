import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { minimalRule } from './support/minimal-rule';
import { send, startRemoteHandlersGateway } from './support/remote-handlers-gateway';

describe('hydrator mutator', () => {
  let fixture: Awaited<ReturnType<typeof startRemoteHandlersGateway>>;
  before(async () => {
    fixture = await startRemoteHandlersGateway();
  });
  after(() => fixture.stop());

  it('hydrator: gets the session JSON; a later header mutator reads what it added to Extra', async () => {
    const answer = await send(fixture.port, {
      method: 'GET',
      path: '/hydrate/doc-9?a=1&b=2',
      headers: { 'x-client': 'c-1' },
    });
    assert.equal(answer.status, 200, answer.body);
    const asked = fixture.hydrator.seen.at(-1);
    assert.equal(asked?.method, 'POST');
    assert.equal(asked?.url, '/hydrate?a=1&b=2', "the client's query, as Oathkeeper sends it");
    assert.equal(asked?.headers['content-type'], 'application/json');
    assert.equal(asked?.headers['x-client'], 'c-1', "the client's headers are forwarded");
    const session = JSON.parse(asked?.body ?? '{}') as {
      subject: string;
      header: Record<string, string[]>;
      match_context: {
        regexp_capture_groups: string[];
        url: { Scheme: string; Host: string; Path: string; RawQuery: string };
        method: string;
        header: Record<string, string[]>;
      };
    };
    assert.equal(session.subject, 'anonymous');
    assert.deepEqual(session.header, { 'X-User': ['anonymous'] }, 'what the earlier header mutator set');
    assert.deepEqual(session.match_context.regexp_capture_groups, ['gateway.test', 'doc-9']);
    assert.equal(session.match_context.method, 'GET');
    assert.deepEqual(
      [session.match_context.url.Scheme, session.match_context.url.Host, session.match_context.url.Path],
      ['http', 'gateway.test', '/hydrate/doc-9'],
    );
    assert.equal(session.match_context.url.RawQuery, 'a=1&b=2');
    assert.deepEqual(session.match_context.header['X-Client'], ['c-1']);
    const forwarded = fixture.upstream.seen.at(-1)?.headers;
    assert.equal(forwarded?.['x-group'], 'admins', 'the later header mutator read .Extra.group');
    assert.equal(forwarded?.['x-hydrated'], 'yes', 'a header the hydrator added');
    assert.equal(forwarded?.['x-user'], 'anonymous');
  });

  it('hydrator: failures fail closed; the cache answers a repeated session', async () => {
    const table: [string, string, number][] = [
      ['another subject in the answer', '/hydrate-other-subject/x', 502],
      ['a 500', '/hydrate-broken/x', 502],
      ['a 401 for wrong credentials', '/hydrate-wrong-password/x', 502],
    ];
    for (const [what, path, status] of table)
      assert.equal((await send(fixture.port, { method: 'GET', path })).status, status, what);
    const before = fixture.hydrator.seen.length;
    assert.equal((await send(fixture.port, { method: 'GET', path: '/hydrate-cached/x' })).status, 200);
    assert.equal((await send(fixture.port, { method: 'GET', path: '/hydrate-cached/x' })).status, 200);
    assert.equal(fixture.hydrator.seen.length - before, 1, 'the second request was answered from the cache');
  });

  it('hydrator retry: without api.retry a 503 fails closed; with it the call is tried again', async () => {
    fixture.flaky.hydrations = 0;
    assert.equal((await send(fixture.port, { method: 'GET', path: '/hydrate-flaky/x' })).status, 502);
    assert.equal(fixture.flaky.hydrations, 1, 'no retry without api.retry');
    fixture.flaky.hydrations = 0;
    assert.equal((await send(fixture.port, { method: 'GET', path: '/hydrate-flaky-retried/x' })).status, 200);
    assert.equal(fixture.flaky.hydrations, 2, 'the 503 was retried once');
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    [
      'hydrator without api.url',
      { mutators: [{ handler: 'hydrator', config: { api: {} } }] },
      /mutator "hydrator": api.url is required/,
    ],
    [
      'hydrator with a username but no password',
      {
        mutators: [
          { handler: 'hydrator', config: { api: { url: 'http://x', auth: { basic: { username: 'u' } } } } },
        ],
      },
      /mutator "hydrator": api.auth.basic needs both username and password/,
    ],
    [
      'hydrator with an unknown cache key',
      { mutators: [{ handler: 'hydrator', config: { api: { url: 'http://x' }, cache: { size: 1 } } }] },
      /mutator "hydrator": .*unknown property "size"/,
    ],
  ];
  for (const [what, overrides, message] of refused) {
    it(`refuses ${what} when the rules load`, () => {
      assert.throws(() => fixture.loadRules(fixture.configFor([minimalRule(overrides)])), message);
    });
  }
});
