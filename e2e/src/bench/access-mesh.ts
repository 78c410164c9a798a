import { freeMeshPorts, startMesh, type Mesh, type MeshOptions } from '../mesh';
import type { DemoUser } from '../demo-data';
import { browserLogin, login, seedDemo } from '../mesh-client';
import { runLoad, type LoadOptions } from './load';

/** One fixed load shape for every scenario, so their ratios compare like with like. */
export const benchSettings = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
  durationSeconds: Number(process.env.BENCH_DURATION ?? 10),
  warmupSeconds: Number(process.env.BENCH_WARMUP ?? 3),
  /**
   * The access scenarios' warm-up: a fresh mesh takes 15–20 s of load before its CPU per request levels
   * off; measured after 3 s, access-off and access-on both came out 30–40% above their steady state
   * (README, "A steady-state warm-up").
   */
  accessWarmupSeconds: Number(process.env.BENCH_ACCESS_WARMUP ?? 20),
  /**
   * access-off and access-on are measured in alternating rounds, both meshes running: one window of each
   * per round, each after a short re-warm (README, "Alternating rounds"). A window and its re-warm stay
   * under V8's 8 s memory-reducer delay, so that neither mesh idles long enough for V8 to shrink its heap
   * between its windows.
   */
  rounds: Number(process.env.BENCH_ROUNDS ?? 6),
  /** Measured seconds of an access mesh per round. */
  roundSeconds: Number(process.env.BENCH_ROUND_DURATION ?? 5),
  /** Unmeasured seconds of load just before each measured window of a round. */
  rewarmSeconds: Number(process.env.BENCH_ROUND_REWARM ?? 2),
  /** Rounds of the four anchor chains before the meshes, and as many after. */
  anchorRounds: Number(process.env.BENCH_ANCHOR_ROUNDS ?? 2),
  /** Measured seconds of an anchor chain per round: shorter, since a bare hop serves thousands per second. */
  anchorSeconds: Number(process.env.BENCH_ANCHOR_DURATION ?? 3),
};

export interface BenchMesh {
  mesh: Mesh;
  /** alice's session token. */
  token: string;
  /** alice's signed session cookie from a browser login (`ory_kratos_session=…`). */
  cookie: string;
  ids: Record<DemoUser, string>;
}

/** Start attempts: a free port can be taken by another program before a service binds it. */
const startAttempts = 3;

/** The mesh on in-memory SQLite with the demo's data, and alice logged in; on new ports if a start fails. */
export async function startBenchMesh(
  env: NodeJS.ProcessEnv,
  options: Pick<MeshOptions, 'serviceEnv' | 'nodeFlags'> = {},
): Promise<BenchMesh> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startSeededMesh(env, options);
    } catch (error) {
      if (attempt >= startAttempts) throw error;
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      process.stderr.write(`  the mesh did not start (${reason}); again on new ports\n`);
    }
  }
}

async function startSeededMesh(
  env: NodeJS.ProcessEnv,
  options: Pick<MeshOptions, 'serviceEnv' | 'nodeFlags'>,
): Promise<BenchMesh> {
  const mesh = await startMesh({
    ports: await freeMeshPorts(),
    dsn: () => 'memory',
    env: { LOG_LEVEL: 'warn', ...env },
    ...options,
    // The bench measures bcrypt and the access path, not identity's rate limits: lift them.
    serviceEnv: {
      ...options.serviceEnv,
      identity: { RATE_LIMIT_ENABLED: 'false', ...options.serviceEnv?.identity },
    },
    // The sink stands in for Jaeger, which would run elsewhere: it keeps few traces, so that the heap it
    // retains does not make this process (which also drives the load) a garbage-collection cost on the mesh.
    sinkLimits: { maxTraces: 1_000 },
    // The machine is shared: under other load a service can take longer than a test's 15 s to start.
    readyTimeoutMs: 90_000,
  });
  try {
    const ids = await seedDemo(mesh.urls);
    const { sessionToken } = await login(mesh.urls.gateway, 'alice');
    const { cookie } = await browserLogin(mesh.urls.gateway, 'alice');
    return { mesh, token: sessionToken, cookie, ids };
  } catch (error) {
    await mesh.stop();
    throw error;
  }
}

/** The allowed access request: alice reads doc-1 through the gateway. */
export const accessLoad = (bench: BenchMesh): LoadOptions => ({
  url: `${bench.mesh.urls.gateway}/documents/doc-1`,
  connections: benchSettings.connections,
  durationSeconds: benchSettings.durationSeconds,
  headers: { cookie: bench.cookie },
});

/** The access load, measured after the access scenarios' longer warm-up. */
export const warmedAccess = (bench: BenchMesh) => ({
  warmup: () => runLoad({ ...accessLoad(bench), durationSeconds: benchSettings.accessWarmupSeconds }),
  run: () => runLoad(accessLoad(bench)),
});

/** The measured load after an unmeasured warm-up of the same shape. */
export const warmed = (options: LoadOptions) => ({
  warmup: () => runLoad({ ...options, durationSeconds: benchSettings.warmupSeconds }),
  run: () => runLoad(options),
});
