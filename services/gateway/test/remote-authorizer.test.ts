import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { startInMemoryTracing } from '@mesh/tracing';

// The SDK starts before the gateway loads its http clients, as `gateway serve` does.
const tracing = startInMemoryTracing({ name: 'gateway', version: 'test' });

import { minimalRule } from './support/minimal-rule';
import { send, startRemoteHandlersGateway } from './support/remote-handlers-gateway';

describe('remote authorizer', () => {
  let fixture: Awaited<ReturnType<typeof startRemoteHandlersGateway>>;
  before(async () => {
    fixture = await startRemoteHandlersGateway();
  });
  after(() => fixture.stop());

  it("remote: the client's body and Content-Type reach the authorizer, then the upstream unchanged", async () => {
    const body = JSON.stringify({ amount: 42, note: 'x'.repeat(70_000) });
    const before = fixture.upstream.seen.length;
    const answer = await send(fixture.port, {
      method: 'POST',
      path: '/remote/allow?q=1',
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
      },
      body,
    });
    assert.equal(answer.status, 200, answer.body);
    const asked = fixture.authorizer.seen.at(-1);
    assert.equal(asked?.method, 'POST');
    assert.equal(asked?.url, '/authorize');
    assert.equal(asked?.body, body);
    assert.equal(asked?.headers['content-type'], 'application/json');
    assert.equal(asked?.headers['x-subject'], 'anonymous');
    assert.equal(asked?.headers['x-empty'], undefined, 'a header empty once filled in is not sent');
    assert.equal(fixture.upstream.seen.length, before + 1);
    const forwarded = fixture.upstream.seen.at(-1);
    assert.equal(forwarded?.body, body);
    assert.equal(forwarded?.headers['content-length'], String(body.length));
    assert.equal(forwarded?.url, '/remote/allow?q=1');
    assert.equal(forwarded?.headers['x-foo'], 'from-authorizer', 'forward_response_headers_to_upstream');
    assert.equal(forwarded?.headers['x-other'], undefined, 'a header not listed stays behind');
  });

  it('remote: a chunked body is buffered, sent to the authorizer, and reaches the upstream whole', async () => {
    const parts = [Buffer.from('part-one,'), Buffer.from('part-two')];
    const answer = await send(fixture.port, {
      method: 'PUT',
      path: '/remote/allow',
      headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', authorization: 'Bearer abc' },
      body: parts,
    });
    assert.equal(answer.status, 200);
    const asked = fixture.authorizer.seen.at(-1);
    assert.equal(
      asked?.headers.authorization,
      'Bearer abc',
      "the client's Authorization, as Oathkeeper sends it",
    );
    assert.equal(
      asked?.headers['x-subject'],
      undefined,
      'noop authenticated: the empty subject header is not sent',
    );
    assert.equal(fixture.authorizer.seen.at(-1)?.body, 'part-one,part-two');
    assert.equal(fixture.upstream.seen.at(-1)?.body, 'part-one,part-two');
    assert.equal(fixture.upstream.seen.at(-1)?.headers['transfer-encoding'], undefined);
  });

  it('remote: statuses, retries and the body limit', async () => {
    const table: [string, string, number, string?][] = [
      ['403 denies', '/remote/deny', 403],
      ['429 is passed on', '/remote/busy', 429],
      ['any other status fails closed', '/remote/broken', 502],
      ['a 503 then a 200 is retried and allowed', '/remote/flaky', 200],
      ['give_up_after 0s: no retry', '/remote-noretry/broken', 502],
    ];
    for (const [what, path, status] of table) {
      const answer = await send(fixture.port, { method: 'GET', path });
      assert.equal(answer.status, status, `${what}: ${answer.body}`);
    }
    assert.ok((fixture.attempts.get('broken') ?? 0) >= 3, 'the retrying rule tried the 500 again');
    assert.equal(fixture.attempts.get('flaky'), 2);
    const before = fixture.attempts.get('allow') ?? 0;
    const large = Buffer.alloc(1024 * 1024 + 1, 0x61);
    const tooLarge = await send(fixture.port, {
      method: 'POST',
      path: '/remote/allow',
      headers: { 'content-length': String(large.length) },
      body: large,
    });
    assert.equal(tooLarge.status, 413);
    const chunkedTooLarge = await send(fixture.port, {
      method: 'POST',
      path: '/remote/allow',
      headers: { 'transfer-encoding': 'chunked' },
      body: [large.subarray(0, 600_000), large.subarray(600_000)],
    });
    assert.equal(chunkedTooLarge.status, 413);
    assert.equal(fixture.attempts.get('allow') ?? 0, before, 'the authorizer was not asked');
  });

  it('remote on /decisions: the decision request body goes to the authorizer', async () => {
    const answer = await send(fixture.apiPort, {
      method: 'POST',
      path: '/decisions/remote/allow',
      headers: { 'content-length': '5', 'content-type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(answer.status, 200);
    assert.equal(fixture.authorizer.seen.at(-1)?.body, 'hello');
    assert.equal(answer.headers['x-foo'], 'from-authorizer');
  });

  it('spans: authz.remote and mutate.hydrator, each with its http client span under it; no password anywhere', async () => {
    await tracing.reset();
    assert.equal((await send(fixture.port, { method: 'GET', path: '/remote/allow' })).status, 200);
    assert.equal((await send(fixture.port, { method: 'GET', path: '/hydrate/x' })).status, 200);
    const spans = await tracing.spans();
    for (const name of ['authz.remote', 'mutate.hydrator']) {
      const span = spans.find((candidate) => candidate.name === name);
      assert.ok(span, name);
      const client = spans.find(
        (candidate) =>
          candidate.kind === SpanKind.CLIENT &&
          candidate.parentSpanContext?.spanId === span.spanContext().spanId,
      );
      assert.ok(client, `an http client span under ${name}`);
    }
    const everything = JSON.stringify(spans.map((span) => [span.name, span.attributes, span.events]));
    assert.ok(!everything.includes('hydrator-s3cret'), 'the basic-auth password is in no span');
    assert.ok(!everything.includes(Buffer.from('gateway:hydrator-s3cret').toString('base64')));
  });

  it('remote: a client that does not finish its body within timeouts.handlers gets 408', async () => {
    const started = Date.now();
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(fixture.port, '127.0.0.1', () =>
        socket.write('POST /remote/allow HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 10\r\n\r\n01'),
      );
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
        if (answer.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(answer);
        }
      });
    });
    assert.match(raw, /^HTTP\/1\.1 408 /);
    assert.ok(Date.now() - started < 2_000 + 5_000, 'cut at the handler deadline (2 s), plus slack');
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    [
      'remote without remote',
      { authorizer: { handler: 'remote', config: {} } },
      /authorizer "remote": .*remote is required/,
    ],
    [
      'remote with a non-http URL',
      { authorizer: { handler: 'remote', config: { remote: 'ftp://x' } } },
      /authorizer "remote": remote "ftp:\/\/x" is not an http\(s\) URL/,
    ],
    [
      'remote with an unknown key',
      { authorizer: { handler: 'remote', config: { remote: 'http://x', payload: '{}' } } },
      /authorizer "remote": .*unknown property "payload"/,
    ],
    [
      'remote with a bad retry duration',
      { authorizer: { handler: 'remote', config: { remote: 'http://x', retry: { max_delay: 'soon' } } } },
      /authorizer "remote": .*max_delay/,
    ],
    [
      'remote with a template that cannot be evaluated',
      { authorizer: { handler: 'remote', config: { remote: 'http://x', headers: { A: '{{ .Nope }}' } } } },
      /authorizer "remote": .*cannot be evaluated/,
    ],
  ];
  for (const [what, overrides, message] of refused) {
    it(`refuses ${what} when the rules load`, () => {
      assert.throws(() => fixture.loadRules(fixture.configFor([minimalRule(overrides)])), message);
    });
  }
});
