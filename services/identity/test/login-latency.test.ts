import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

describe('login at the default bcrypt cost', () => {
  it('keeps the event loop free: a 10 ms timer keeps firing during logins (latency reported)', async (t) => {
    const [{ loadConfig }, { identitySchema }, { serve }, { portOf }, { createLogger }] = await Promise.all([
      import('@mesh/config'),
      import('../src/config'),
      import('../src/serve'),
      import('@mesh/server'),
      import('@mesh/tracing'),
    ]);
    const config = loadConfig<import('../src/config').IdentityConfig>({
      schema: identitySchema,
      env: {},
      flags: ['serve.public.port=0', 'serve.admin.port=0'],
    });
    assert.equal(config.hashers.bcrypt.cost, 10, 'the default cost');
    const servers = await serve(config, { log: createLogger('identity', 'silent') });
    const publicUrl = `http://127.0.0.1:${portOf(servers.publicServer)}`;
    const adminUrl = `http://127.0.0.1:${portOf(servers.adminServer)}`;
    const json = { 'content-type': 'application/json' };
    try {
      await fetch(`${adminUrl}/admin/identities`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          traits: { email: 'lat@example.com' },
          credentials: { password: { config: { password: 'latency-pass' } } },
        }),
      });
      let maxGapMs = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        maxGapMs = Math.max(maxGapMs, now - last);
        last = now;
      }, 10);
      const latencies: number[] = [];
      for (let index = 0; index < 20; index += 1) {
        const flow = (await (await fetch(`${publicUrl}/self-service/login/api`)).json()) as { id: string };
        const started = performance.now();
        const response = await fetch(`${publicUrl}/self-service/login?flow=${flow.id}`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({
            method: 'password',
            identifier: 'lat@example.com',
            password: 'latency-pass',
          }),
        });
        assert.equal(response.status, 200);
        latencies.push(performance.now() - started);
      }
      clearInterval(timer);
      latencies.sort((a, b) => a - b);
      const median = latencies[Math.floor(latencies.length / 2)] ?? 0;
      t.diagnostic(
        `login latency at cost 10: median ${median.toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms`,
      );
      t.diagnostic(`longest event-loop gap during logins: ${maxGapMs.toFixed(1)} ms`);
      assert.ok(median > 20, 'cost 10 is real work');
      assert.ok(maxGapMs < 100, `the event loop stalled for ${maxGapMs.toFixed(1)} ms`);
    } finally {
      await servers.stop();
    }
  });
});
