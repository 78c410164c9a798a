import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { serviceNodeFlags } from '@mesh/testkit';
import { benchSettings, warmed } from './access-mesh';
import type { LoadResult } from './load';
import { ProcessSampler } from './process-stats';
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
  /** CPU ms per request of the front process (a server hop plus a client hop) and of the back one. */
  cpuMsPerRequest: { front: number; back: number };
}

async function runChain(
  variant: ChainVariant,
  receiverAddress: string,
  durationSeconds: number,
): Promise<ChainRun> {
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
  const front = await spawnListening(
    'anchor-hop.js',
    anchorEnv({ ...tracingEnv, ANCHOR_ROLE: 'front', ANCHOR_NEXT: back.url }),
    serviceNodeFlags,
  );
  try {
    const load = warmed({
      url: `${front.url}/documents/doc-1`,
      connections: benchSettings.connections,
      durationSeconds,
    });
    await load.warmup();
    const sampler = new ProcessSampler(
      () =>
        new Map([
          ['front', front.child.pid ?? 0],
          ['back', back.child.pid ?? 0],
        ]),
    );
    sampler.start();
    const result: LoadResult = await load.run();
    const { cpuMs } = sampler.stop();
    const perRequest = (ms = 0) => (result.requests === 0 ? 0 : ms / result.requests);
    return {
      variant,
      requestsPerSecond: result.requestsPerSecond,
      non2xx: result.errors,
      cpuMsPerRequest: { front: perRequest(cpuMs.front), back: perRequest(cpuMs.back) },
    };
  } finally {
    await Promise.all([stopChild(front.child), stopChild(back.child)]);
  }
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

async function runMicro(): Promise<
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
 * The anchors of this run: a bare 2-hop node:http chain, the same chain with the project's tracing setup
 * (sampled, unsampled, and with INTERNAL spans), and the SQLite and JWT microbenchmarks. Each chain run has
 * its own warm-up; `progress` is told which one runs.
 */
export async function measureAnchors(progress: (line: string) => void): Promise<Anchors> {
  const durationSeconds = benchSettings.anchorSeconds;
  const receiver = await startDiscardingReceiver();
  const chain = {} as Record<ChainVariant, ChainRun>;
  try {
    for (const variant of ['bare', 'sampled', 'unsampled', 'internal-spans'] as const) {
      progress(`  anchor: 2-hop chain, ${variant} …`);
      chain[variant] = await runChain(variant, receiver.address, durationSeconds);
    }
  } finally {
    receiver.server.closeAllConnections();
    receiver.server.close();
  }
  progress('  anchor: SQLite statement, JWT sign + verify …');
  const micro = await runMicro();
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
