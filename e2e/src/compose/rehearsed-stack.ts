import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startHttpRecorder,
  startOtlpHttpReceiver,
  type HttpRecorder,
  type OtlpHttpReceiver,
} from '@mesh/testkit';
import { defaultMeshUrls } from '../mesh-client';
import { startTraceSink, type TraceSink } from '../sink/server';
import { AddressBook } from './address-book';
import { hostPathOf, readComposeFiles, readDockerfile, repoRoot, type ComposeFile } from './compose-file';
import { preparePostgres, type RehearsalPostgres } from './rehearsal-postgres';
import {
  assignServicePorts,
  builtServices,
  makeWritable,
  prepareService,
  startOrder,
  startRehearsedService,
  type RehearsalPlan,
  type RehearsedService,
} from './rehearsal';
import { startZipkinStandIn, type ZipkinStandIn } from './zipkin-stand-in';

/** The local programs that stand in for the images compose pulls. */
export interface StandIns {
  /** Jaeger's OTLP receiver and query API (`jaeger:4318`, `jaeger:16686`). */
  sink: TraceSink;
  /** Jaeger's agent (`jaeger:6831/udp`): the datagrams it got. */
  agent: { socket: Socket; port: number; datagrams: Buffer[] };
  /** Jaeger's remote sampling endpoint (`jaeger:5778`). */
  sampling: HttpRecorder;
  zipkin: ZipkinStandIn;
  /** The OpenTelemetry Collector's OTLP/HTTP receiver (`otel-collector:4318`). */
  collector: OtlpHttpReceiver;
}

export interface RehearsedStack {
  compose: ComposeFile;
  book: AddressBook;
  standIns: StandIns;
  services: RehearsedService[];
  /** The env that points `npm run demo` at this stack instead of the published ports. */
  demoEnv: Record<string, string>;
  /** How long building the image trees (and the dependency stage, when not cached) and starting took. */
  timings: { prepareMs: number; startMs: number };
  /** `http://127.0.0.1:<port>` of what compose publishes on a host port, in this rehearsal. */
  publishedUrl(hostPort: number): string;
  stop(): Promise<void>;
}

export interface RehearsalOptions {
  /** The variables `docker compose` would interpolate (TRACING_PROVIDER …). */
  variables?: Record<string, string>;
  /** `-f` files, relative to the repo; default docker-compose.yml alone. */
  files?: string[];
  /** The server that stands in for compose's postgres (trust auth, a superuser). */
  postgresDsn: string;
  cacheRoot?: string;
}

/** Where the runtime stage's production dependencies are cached between runs on one machine. */
export const defaultCacheRoot = join(repoRoot, 'node_modules', '.cache', 'mesh-compose-rehearsal');

async function startStandIns(): Promise<StandIns> {
  const sink = await startTraceSink({ otlpPort: 0, queryPort: 0 });
  const socket = createSocket('udp4');
  const datagrams: Buffer[] = [];
  socket.on('message', (message) => datagrams.push(message));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const sampling = await startHttpRecorder(() => ({
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify({ strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 1 } }),
  }));
  return {
    sink,
    agent: { socket, port: socket.address().port, datagrams },
    sampling,
    zipkin: await startZipkinStandIn(),
    collector: await startOtlpHttpReceiver(),
  };
}

/** The compose services compose pulls, each `service:port` → its stand-in (no entry: not rehearsed). */
function standInAddresses(book: AddressBook, standIns: StandIns, postgres: RehearsalPostgres): void {
  book.set('jaeger', 4318, standIns.sink.otlpServerAddress);
  book.set('jaeger', 16686, `127.0.0.1:${standIns.sink.queryPort}`);
  book.set('jaeger', 6831, `127.0.0.1:${standIns.agent.port}`);
  book.set('jaeger', 5778, `127.0.0.1:${standIns.sampling.port}`);
  book.set('zipkin', 9411, `127.0.0.1:${standIns.zipkin.port}`);
  book.set('otel-collector', 4318, `127.0.0.1:${standIns.collector.port}`);
  book.set('postgres', 5432, postgres.address);
}

/** The demo's default URLs name published host ports; each maps to the stand-in of what compose publishes there. */
function publishedUrlOf(compose: ComposeFile, book: AddressBook): (hostPort: number) => string {
  return (hostPort) => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const mapping of service.ports ?? []) {
        const [published, container] = mapping.split('/')[0]?.split(':') ?? [];
        if (Number(published) === hostPort) return `http://${book.get(name, Number(container))}`;
      }
    }
    throw new Error(`docker-compose.yml publishes nothing on port ${hostPort}`);
  };
}

/** The env names `npm run demo` reads, with the default URL each overrides. */
const demoUrlEnv: [string, string][] = [
  ['GATEWAY_URL', defaultMeshUrls.gateway],
  ['IDENTITY_ADMIN_URL', defaultMeshUrls.identityAdmin],
  ['PERMISSION_WRITE_URL', defaultMeshUrls.permissionWrite],
  ['DOCUMENTS_ADMIN_URL', defaultMeshUrls.documentsAdmin],
  ['OAUTH2_PUBLIC_URL', defaultMeshUrls.oauth2Public],
  ['OAUTH2_ADMIN_URL', defaultMeshUrls.oauth2Admin],
  ['TRACE_QUERY_URL', 'http://localhost:16686'],
];

function demoEnvOf(compose: ComposeFile, book: AddressBook): Record<string, string> {
  const byHostPort = publishedUrlOf(compose, book);
  return Object.fromEntries(demoUrlEnv.map(([name, url]) => [name, byHostPort(Number(new URL(url).port))]));
}

/**
 * docker-compose.yml's built services, each started from the file tree its Dockerfile target describes,
 * with its mounts, environment and command, in depends_on order, each waited for with its image's
 * HEALTHCHECK; PostgreSQL prepared as compose's postgres service does, the pulled images replaced by
 * local stand-ins.
 */
export async function rehearseStack(options: RehearsalOptions): Promise<RehearsedStack> {
  const compose = readComposeFiles(options.files ?? ['docker-compose.yml'], options.variables);
  const stages = readDockerfile(join(repoRoot, 'infra', 'Dockerfile'));
  const postgresService = compose.services.postgres ?? {};
  const environment = Object.fromEntries(
    Object.entries(postgresService.environment ?? {}).map(([key, value]) => [key, String(value)]),
  );
  const initSql = hostPathOf(postgresService, '/docker-entrypoint-initdb.d/init.sql');
  if (!initSql) throw new Error('the postgres service mounts no init.sql');
  const standIns = await startStandIns();
  const postgres = await preparePostgres(options.postgresDsn, environment, initSql);
  const workDir = mkdtempSync(join(tmpdir(), 'mesh-compose-rehearsal-'));
  const services: RehearsedService[] = [];
  const stop = async () => {
    for (const service of [...services].reverse()) await service.stop();
    await standIns.sink.close();
    standIns.agent.socket.close();
    await standIns.sampling.close();
    await standIns.zipkin.close();
    await standIns.collector.close();
    await postgres.drop();
    makeWritable(workDir);
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const book = new AddressBook(Object.keys(compose.services));
    standInAddresses(book, standIns, postgres);
    await assignServicePorts(compose, stages, book);
    const plan: RehearsalPlan = {
      compose,
      stages,
      context: repoRoot,
      cacheRoot: options.cacheRoot ?? defaultCacheRoot,
      workDir,
      book,
      databases: postgres.databases,
    };
    const preparing = Date.now();
    const launches = new Map(
      builtServices(compose).map(([name, service]) => [name, prepareService(plan, name, service)]),
    );
    const starting = Date.now();
    // As compose does: each service starts once the built services it depends on are healthy.
    const starts = new Map<string, Promise<RehearsedService>>();
    const start = (name: string): Promise<RehearsedService> => {
      const existing = starts.get(name);
      if (existing) return existing;
      const dependencies = Object.keys(compose.services[name]?.depends_on ?? {}).filter((dependency) =>
        launches.has(dependency),
      );
      const launch = launches.get(name);
      if (!launch) throw new Error(`${name} is not built from the Dockerfile`);
      const started = Promise.all(dependencies.map(start)).then(() => startRehearsedService(launch));
      starts.set(name, started);
      return started;
    };
    const results = await Promise.allSettled(startOrder(compose).map(start));
    for (const result of results) if (result.status === 'fulfilled') services.push(result.value);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return {
      compose,
      book,
      standIns,
      services,
      demoEnv: demoEnvOf(compose, book),
      publishedUrl: publishedUrlOf(compose, book),
      timings: { prepareMs: starting - preparing, startMs: Date.now() - starting },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
