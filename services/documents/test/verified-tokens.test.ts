import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VerifiedTokens } from '../src/verified-tokens';

const t0 = 1_800_000_000_000;
const inSeconds = (ms: number) => Math.floor(ms / 1000);

describe('verified id_tokens', () => {
  const cases: {
    name: string;
    expiresAtMs: number;
    askedAtMs: number;
    expected: string | undefined;
  }[] = [
    {
      name: 'reused right after it was verified',
      expiresAtMs: t0 + 60_000,
      askedAtMs: t0,
      expected: 'alice',
    },
    { name: 'reused until the ttl', expiresAtMs: t0 + 60_000, askedAtMs: t0 + 29_999, expected: 'alice' },
    { name: 'not past the ttl', expiresAtMs: t0 + 60_000, askedAtMs: t0 + 30_000, expected: undefined },
    {
      name: 'not past its exp, before the ttl',
      expiresAtMs: t0 + 10_000,
      askedAtMs: t0 + 10_000,
      expected: undefined,
    },
    { name: 'reused until its exp', expiresAtMs: t0 + 10_000, askedAtMs: t0 + 9_000, expected: 'alice' },
    { name: 'never kept once expired', expiresAtMs: t0 - 1_000, askedAtMs: t0, expected: undefined },
  ];
  for (const { name, expiresAtMs, askedAtMs, expected } of cases) {
    it(name, () => {
      const tokens = new VerifiedTokens(30_000, 10);
      tokens.remember('token-a', 'alice', inSeconds(expiresAtMs), t0);
      assert.equal(tokens.subjectOf('token-a', askedAtMs), expected);
    });
  }

  it('an expired entry is dropped when asked for', () => {
    const tokens = new VerifiedTokens(30_000, 10);
    tokens.remember('token-a', 'alice', inSeconds(t0 + 60_000), t0);
    assert.equal(tokens.size, 1);
    assert.equal(tokens.subjectOf('token-a', t0 + 31_000), undefined);
    assert.equal(tokens.size, 0);
  });

  it('only the exact text is reused: another token is unknown', () => {
    const tokens = new VerifiedTokens(30_000, 10);
    tokens.remember('header.payload.signature', 'alice', inSeconds(t0 + 60_000), t0);
    assert.equal(tokens.subjectOf('header.payload.signaturf', t0), undefined);
    assert.equal(tokens.subjectOf('header.payload.signature', t0), 'alice');
  });

  it('holds at most max_tokens, the oldest going first', () => {
    const tokens = new VerifiedTokens(30_000, 2);
    for (const name of ['a', 'b', 'c']) tokens.remember(`token-${name}`, name, inSeconds(t0 + 60_000), t0);
    assert.equal(tokens.size, 2);
    assert.deepEqual(
      ['a', 'b', 'c'].map((name) => tokens.subjectOf(`token-${name}`, t0)),
      [undefined, 'b', 'c'],
    );
  });
});
