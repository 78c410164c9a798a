import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExpiringMap } from '../src';

type Step = ['set', key: string, untilMs: number, nowMs: number] | ['get', key: string, nowMs: number];

describe('ExpiringMap', () => {
  const cases: {
    name: string;
    maxEntries: number;
    steps: Step[];
    expected: (string | undefined)[];
    size: number;
  }[] = [
    {
      name: 'an entry is returned until its deadline, not at it',
      maxEntries: 10,
      steps: [
        ['set', 'a', 1_000, 0],
        ['get', 'a', 999],
        ['get', 'a', 1_000],
      ],
      expected: ['a@1000', undefined],
      size: 0,
    },
    {
      name: 'an expired entry is dropped when it is looked up',
      maxEntries: 10,
      steps: [
        ['set', 'a', 1_000, 0],
        ['set', 'b', 5_000, 0],
        ['get', 'a', 2_000],
      ],
      expected: [undefined],
      size: 1,
    },
    {
      name: 'a deadline already passed keeps nothing, and removes what the key held',
      maxEntries: 10,
      steps: [
        ['set', 'a', 1_000, 0],
        ['set', 'a', 500, 500],
        ['get', 'a', 600],
      ],
      expected: [undefined],
      size: 0,
    },
    {
      name: 'when full, the entry set longest ago goes first',
      maxEntries: 2,
      steps: [
        ['set', 'a', 9_000, 0],
        ['set', 'b', 9_000, 1],
        ['set', 'c', 9_000, 2],
        ['get', 'a', 3],
        ['get', 'b', 3],
        ['get', 'c', 3],
      ],
      expected: [undefined, 'b@9000', 'c@9000'],
      size: 2,
    },
    {
      name: 'setting a key again makes it the newest, with its new deadline',
      maxEntries: 2,
      steps: [
        ['set', 'a', 9_000, 0],
        ['set', 'b', 9_000, 1],
        ['set', 'a', 4_000, 2],
        ['set', 'c', 9_000, 3],
        ['get', 'a', 3_999],
        ['get', 'b', 4],
      ],
      expected: ['a@4000', undefined],
      size: 2,
    },
    {
      name: 'an Infinity deadline never expires',
      maxEntries: 1,
      steps: [
        ['set', 'a', Infinity, 0],
        ['get', 'a', Number.MAX_SAFE_INTEGER],
      ],
      expected: ['a@Infinity'],
      size: 1,
    },
    {
      name: 'a map of no entries keeps nothing',
      maxEntries: 0,
      steps: [
        ['set', 'a', 9_000, 0],
        ['get', 'a', 1],
      ],
      expected: [undefined],
      size: 0,
    },
  ];
  for (const { name, maxEntries, steps, expected, size } of cases) {
    test(name, () => {
      const map = new ExpiringMap<string>(maxEntries);
      const got: (string | undefined)[] = [];
      for (const step of steps) {
        if (step[0] === 'set') map.set(step[1], `${step[1]}@${step[2]}`, step[2], step[3]);
        else got.push(map.get(step[1], step[2]));
      }
      assert.deepEqual(got, expected);
      assert.equal(map.size, size);
    });
  }

  test('reads the clock when no time is given', () => {
    const map = new ExpiringMap<number>(1);
    map.set('a', 1, Date.now() + 60_000);
    map.set('b', 2, Date.now() - 1);
    assert.equal(map.get('a'), 1);
    assert.equal(map.get('b'), undefined);
  });
});
