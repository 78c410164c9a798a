import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { floorMsPerRequest, sdkMsPerRequest, type Anchors } from '../src/bench/anchors';
import { commonShape, traceShapeOf } from '../src/bench/trace-shape';

describe('access request shape and the anchors it is priced with', () => {
  const span = (name: string, kind: number, attributes: string[]) => ({
    traceId: 't',
    spanId: name,
    name,
    kind,
    startTimeUnixNano: '0',
    endTimeUnixNano: '0',
    attributes: attributes.map((key) => ({ key, value: { stringValue: 'x' } })),
  });
  const access = (extra: ReturnType<typeof span>[] = []) => ({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              span('GET /documents/:id', 2, ['http.request.method']),
              span('rule.match', 1, []),
              span('GET', 3, ['http.request.method']),
              span('GET /sessions/whoami', 2, ['http.request.method']),
              span('SELECT sessions', 3, ['db.system.name', 'db.query.text']),
              span('upstream', 3, ['http.request.method', 'gateway.rule.id']),
              ...extra,
            ],
          },
        ],
      },
    ],
  });

  test('counts server, HTTP client, SQL and other spans, and whether an id_token was minted', () => {
    assert.deepEqual(traceShapeOf(access()), {
      serverSpans: 2,
      httpClientSpans: 2,
      sqlSpans: 1,
      otherInternalSpans: 1,
      httpSpans: 4,
      internalSpans: 2,
      spans: 6,
      idToken: false,
    });
    assert.equal(traceShapeOf(access([span('mutate.id_token', 1, [])])).idToken, true);
  });

  test('takes the most common shape, so a trace still in a batch does not count', () => {
    const incomplete = {
      resourceSpans: [{ scopeSpans: [{ spans: [span('GET', 2, ['http.request.method'])] }] }],
    };
    const common = commonShape([access(), incomplete, access()]);
    assert.equal(common?.traces, 2);
    assert.equal(common?.shape.spans, 6);
  });

  test('prices the floor from hops, statements and the id_token, and the SDK from span counts', () => {
    const anchors = {
      serverHopMs: 0.02,
      clientHopMs: 0.04,
      sqliteMsPerStatement: 0.005,
      jwtMsPerSignAndVerify: 0.3,
      sdkMsPerHttpSpan: 0.05,
      sdkMsPerInternalSpan: 0.01,
    } as Anchors;
    const shape = traceShapeOf(access());
    assert.equal(floorMsPerRequest(anchors, shape), 2 * 0.02 + 2 * 0.04 + 0.005);
    assert.equal(
      floorMsPerRequest(anchors, traceShapeOf(access([span('mutate.id_token', 1, [])]))),
      2 * 0.02 + 2 * 0.04 + 0.005 + 0.3,
    );
    assert.equal(sdkMsPerRequest(anchors, shape), 4 * 0.05 + 2 * 0.01);
  });
});
