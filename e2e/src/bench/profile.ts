import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ServiceName } from '@mesh/testkit';
import { repoRoot } from '../service-config';
import { startBenchMesh, warmedAccess } from './access-mesh';
import { isCpuProfile, summarizeProfile } from './profile-summary';

const services: readonly ServiceName[] = ['gateway', 'identity', 'permission', 'documents'];
const profileDir = process.env.BENCH_PROFILE_DIR ?? join(repoRoot, 'bench', 'profiles');
/** `off` profiles the access-off scenario instead: what a request costs with no tracing at all. */
const tracingOff = process.env.BENCH_PROFILE_TRACING === 'off';

/**
 * `npm run bench:profile`: the access-on scenario with every service under `node --cpu-prof`, then each
 * service's self time by category. The profiles (open them in Chrome DevTools or VS Code) are written when
 * the services exit.
 */
async function main(): Promise<void> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  const nodeFlags = Object.fromEntries(
    services.map((service) => [
      service,
      ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${service}.cpuprofile`],
    ]),
  );
  const bench = await startBenchMesh(tracingOff ? { TRACING_PROVIDER: '' } : {}, { nodeFlags });
  // The bench's warm-up of the access scenarios: the profile is of the steady state, not of the JIT.
  const load = warmedAccess(bench);
  await load.warmup();
  const result = await load.run();
  await bench.mesh.stop();

  print(
    `${tracingOff ? 'access-off' : 'access-on'} under the profiler: ${result.requestsPerSecond} req/s, ${result.errors} errors (the profiler slows every service)`,
  );
  for (const service of services) {
    const path = join(profileDir, `${service}.cpuprofile`);
    const profile: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!isCpuProfile(profile)) throw new Error(`${path} is not a V8 CPU profile`);
    print(`\n${service} (${relative(process.cwd(), path)}), self time as % of busy time:`);
    for (const share of summarizeProfile(profile))
      print(`  ${share.percent.toFixed(1).padStart(5)}%  ${share.category}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`profile failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
