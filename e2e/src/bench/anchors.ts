import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { serviceNodeFlags } from '@mesh/testkit';
import { benchSettings } from './access-mesh';
import { runLoad } from './load';
import type { RoundSubject, RoundTotals } from './rounds';
import type { TraceShape } from './trace-shape';

/** How many INTERNAL spans the back hop records per request to price one (more spans, less noise). */
export const internalSpansPerRequest = 10;

export interface Listening {
  child: ChildProcess;
  url: string;
}

/** Starts a bench child process and waits for its `{"listening": port}` line. */
export async function spawnListening(
  script: string,
  env: NodeJS.ProcessEnv,
  nodeFlags: readonly string[] = [],
): Promise<Listening> {
  const child = spawn(process.execPath, [...nodeFlags, join(__dirname, script)], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${script} exited with ${String(code)} before listening`);
    }),
  ])) as [string];
  const { listening } = JSON.parse(line) as { listening: number };
  return { child, url: `http://127.0.0.1:${listening}` };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** An OTLP/HTTP receiver that reads every export and throws it away: the cheapest backend there is. */
async function startDiscardingReceiver(): Promise<{ server: Server; address: string }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, {
        'content-type': request.headers['content-type'] ?? 'application/x-protobuf',
      });
      response.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The env of an anchor process: nothing of the caller's tracing env, only what the variant sets. */
function anchorEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(TRACING_|OTEL_|LOG_LEVEL$)/.test(name)),
  );
  return { ...env, ...extra };
}

export type ChainVariant = 'bare' | 'sampled' | 'unsampled' | 'internal-spans';

export interface ChainRun {
  variant: ChainVariant;
  requestsPerSecond: number;
  non2xx: number;
  /** Measured windows pooled into this run (alternating rounds, before and after the mesh). */
  windows: number;
  /** CPU ms per request of the front process (a server hop plus a client hop) and of the back one. */
  cpuMsPerRequest: { front: number; back: number };
}

interface RunningChain {
  variant: ChainVariant;
  front: Listening;
  back: Listening;
}

async function startChain(variant: ChainVariant, receiverAddress: string): Promise<RunningChain> {
  const tracingEnv: NodeJS.ProcessEnv =
    variant === 'bare'
      ? { TRACING_PROVIDER: '' }
      : {
          TRACING_PROVIDER: 'otel',
          TRACING_PROVIDERS_OTLP_SERVER_URL: receiverAddress,
          TRACING_PROVIDERS_OTLP_INSECURE: 'true',
          TRACING_PROVIDERS_OTLP_SAMPLING_SAMPLING_RATIO: variant === 'unsampled' ? '0' : '1',
        };
  const back = await spawnListening(
    'anchor-hop.js',
    anchorEnv({
      ...tracingEnv,
      ANCHOR_ROLE: 'back',
      ANCHOR_INTERNAL_SPANS: variant === 'internal-spans' ? String(internalSpansPerRequest) : '0',
    }),
    serviceNodeFlags,
  );
  try {
    const front = await spawnListening(
      'anchor-hop.js',
      anchorEnv({ ...tracingEnv, ANCHOR_ROLE: 'front', ANCHOR_NEXT: back.url }),
      serviceNodeFlags,
    );
    return { variant, front, back };
  } catch (error) {
    await stopChild(back.child);
    throw error;
  }
}

const chainVariants = ['bare', 'sampled', 'unsampled', 'internal-spans'] as const;

/** The four anchor chains, running side by side, so that the bench can measure them in alternating rounds. */
export interface AnchorChains {
  /** One round subject per variant, named by the variant; its processes are `front` and `back`. */
  subjects: RoundSubject[];
  stop(): Promise<void>;
}

/** Starts the discarding receiver and every chain variant, and warms each chain up (unmeasured). */
export async function startAnchorChains(progress: (line: string) => void): Promise<AnchorChains> {
  const receiver = await startDiscardingReceiver();
  const chains: RunningChain[] = [];
  const stop = async () => {
    await Promise.all(chains.flatMap((chain) => [stopChild(chain.front.child), stopChild(chain.back.child)]));
    receiver.server.closeAllConnections();
    receiver.server.close();
  };
  try {
    for (const variant of chainVariants) {
      progress(`  anchor: 2-hop chain, ${variant}, starts and warms up …`);
      const chain = await startChain(variant, receiver.address);
      chains.push(chain);
      await runLoad({
        url: `${chain.front.url}/documents/doc-1`,
        connections: benchSettings.connections,
        durationSeconds: benchSettings.warmupSeconds,
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    subjects: chains.map((chain) => ({
      name: chain.variant,
      pids: () =>
        new Map([
          ['front', chain.front.child.pid ?? 0],
          ['back', chain.back.child.pid ?? 0],
        ]),
      load: {
        url: `${chain.front.url}/documents/doc-1`,
        connections: benchSettings.connections,
        durationSeconds: benchSettings.anchorSeconds,
      },
    })),
    stop,
  };
}

function chainRun(variant: ChainVariant, totals: RoundTotals): ChainRun {
  const { load, stats, windows } = totals.get(variant);
  const perRequest = (ms = 0) => (load.requests === 0 ? 0 : ms / load.requests);
  return {
    variant,
    requestsPerSecond: load.requestsPerSecond,
    non2xx: load.errors,
    windows,
    cpuMsPerRequest: { front: perRequest(stats.cpuMs.front), back: perRequest(stats.cpuMs.back) },
  };
}

export interface Anchors {
  chain: Record<ChainVariant, ChainRun>;
  /** CPU ms of one bare node:http server hop (the back process). */
  serverHopMs: number;
  /** CPU ms of one bare node:http client hop (front minus back). */
  clientHopMs: number;
  /** CPU ms the tracing setup adds per HTTP span, sampled and exported (3 spans per chain request). */
  sdkMsPerHttpSpan: number;
  /** The same with the root unsampled: propagation and instrumentation only (informational). */
  unsampledMsPerHttpSpan: number;
  /** CPU ms the tracing setup adds per INTERNAL span with a few attributes, sampled and exported. */
  sdkMsPerInternalSpan: number;
  sqliteMsPerStatement: number;
  jwtMsPerSignAndVerify: number;
  jwtAlgorithm: string;
}

export async function measureMicro(): Promise<
  Pick<Anchors, 'sqliteMsPerStatement' | 'jwtMsPerSignAndVerify' | 'jwtAlgorithm'>
> {
  const child = spawn(process.execPath, [...serviceNodeFlags, join(__dirname, 'anchor-micro.js')], {
    env: anchorEnv({}),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  await once(child, 'exit');
  const measured = JSON.parse(line) as {
    sqliteMsPerStatement: number;
    jwtMsPerSignAndVerify: number;
    algorithm: string;
  };
  return {
    sqliteMsPerStatement: measured.sqliteMsPerStatement,
    jwtMsPerSignAndVerify: measured.jwtMsPerSignAndVerify,
    jwtAlgorithm: measured.algorithm,
  };
}

const rounded = (ms: number) => Math.round(ms * 10_000) / 10_000;

/**
 * The anchors of this run from the chains' pooled rounds (see `startAnchorChains`) and the SQLite and JWT
 * microbenchmarks (`measureMicro`).
 */
export function anchorsFrom(
  totals: RoundTotals,
  micro: Pick<Anchors, 'sqliteMsPerStatement' | 'jwtMsPerSignAndVerify' | 'jwtAlgorithm'>,
): Anchors {
  const chain = Object.fromEntries(
    chainVariants.map((variant) => [variant, chainRun(variant, totals)]),
  ) as Record<ChainVariant, ChainRun>;
  const sum = (run: ChainRun) => run.cpuMsPerRequest.front + run.cpuMsPerRequest.back;
  return {
    chain,
    serverHopMs: rounded(chain.bare.cpuMsPerRequest.back),
    clientHopMs: rounded(chain.bare.cpuMsPerRequest.front - chain.bare.cpuMsPerRequest.back),
    sdkMsPerHttpSpan: rounded((sum(chain.sampled) - sum(chain.bare)) / 3),
    unsampledMsPerHttpSpan: rounded((sum(chain.unsampled) - sum(chain.bare)) / 3),
    sdkMsPerInternalSpan: rounded(
      (chain['internal-spans'].cpuMsPerRequest.back - chain.sampled.cpuMsPerRequest.back) /
        internalSpansPerRequest,
    ),
    sqliteMsPerStatement: rounded(micro.sqliteMsPerStatement),
    jwtMsPerSignAndVerify: rounded(micro.jwtMsPerSignAndVerify),
    jwtAlgorithm: micro.jwtAlgorithm,
  };
}

/** The machine's floor for one request of the given shape: its hops, its statements, and its id_token. */
export function floorMsPerRequest(anchors: Anchors, shape: TraceShape): number {
  return rounded(
    shape.serverSpans * anchors.serverHopMs +
      shape.httpClientSpans * anchors.clientHopMs +
      shape.sqlSpans * anchors.sqliteMsPerStatement +
      (shape.idToken ? anchors.jwtMsPerSignAndVerify : 0),
  );
}

/** What the SDK itself would charge for the spans of one request of the given shape. */
export function sdkMsPerRequest(anchors: Anchors, shape: TraceShape): number {
  return rounded(
    shape.httpSpans * anchors.sdkMsPerHttpSpan + shape.internalSpans * anchors.sdkMsPerInternalSpan,
  );
}
