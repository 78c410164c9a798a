import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseOplInChild } from '../src/opl/parse-in-child';

const demoModel = readFileSync(join(__dirname, '../../../../infra/namespaces/namespaces.keto.ts'), 'utf8');

describe('OPL parsing in a child process', () => {
  it("leaves the compiler's memory with the process that ran it", async () => {
    const before = process.memoryUsage.rss();
    for (let parse = 0; parse < 3; parse += 1) {
      const { model, errors } = await parseOplInChild(demoModel);
      assert.deepEqual(errors, []);
      assert.ok(model.namespaces.some((namespace) => namespace.name === 'Document'));
    }
    const grownMb = (process.memoryUsage.rss() - before) / 2 ** 20;
    // In a worker thread, the parse left its allocator arena resident in this process: 20-22 MB.
    assert.ok(grownMb < 8, `RSS grew ${grownMb.toFixed(1)} MB over three parses`);
  });

  it('answers concurrent parses one at a time, each with its own result', async () => {
    const broken = `${demoModel}\nclass Broken implements Namespace { related: { x: Nope[] } }\n`;
    const [good, bad] = await Promise.all([parseOplInChild(demoModel), parseOplInChild(broken)]);
    assert.deepEqual(good.errors, []);
    assert.ok(bad.errors.length > 0, 'the broken model has errors');
  });
});
