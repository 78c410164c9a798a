import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startService, type RunningProcess, type ServiceName } from '@mesh/testkit';
import { configKeys } from '@mesh/config';
import { parse as parseYaml } from 'yaml';
import { envOf, hasKey, portKeys, repoRoot, serviceSchema } from './service-config';
import { startTraceSink, type TraceSink } from './sink/server';
import type { TraceStoreLimits } from './sink/store';
import type { MeshUrls } from './mesh-client';
import { RecentLines } from './recent-lines';

/** Every port of the mesh and its trace sink. */
export interface MeshPorts {
  gatewayProxy: number;
  gatewayApi: number;
  gatewayPrometheus: number;
  identityPublic: number;
  identityAdmin: number;
  permissionRead: number;
  permissionWrite: number;
  permissionMetrics: number;
  permissionOpl: number;
  documents: number;
  documentsAdmin: number;
  oauth2Public: number;
  oauth2Admin: number;
  web: number;
  sinkOtlp: number;
  sinkQuery: number;
}

/** Ory's default ports and Jaeger's: what `npm start` uses, so the demo's defaults work. */
export const defaultPorts: MeshPorts = {
  gatewayProxy: 4455,
  gatewayApi: 4456,
  gatewayPrometheus: 9000,
  identityPublic: 4433,
  identityAdmin: 4434,
  permissionRead: 4466,
  permissionWrite: 4467,
  permissionMetrics: 4468,
  permissionOpl: 4469,
  documents: 4480,
  documentsAdmin: 4481,
  oauth2Public: 4444,
  oauth2Admin: 4445,
  web: 4490,
  sinkOtlp: 4318,
  sinkQuery: 16686,
};

/** Free ports for every listener: tests run beside `npm start` and each other. */
export async function freeMeshPorts(): Promise<MeshPorts> {
  const entries = await Promise.all(
    Object.keys(defaultPorts).map(async (key) => [key, await freePort()] as const),
  );
  return Object.fromEntries(entries) as unknown as MeshPorts;
}

export interface MeshOptions {
  ports?: MeshPorts;
  /** The DSN of each service's database (`memory`, `sqlite://…`, `postgres://…`). */
  dsn: (service: ServiceName) => string;
  /** Extra env for every service, after the mesh's own (e.g. `TRACING_PROVIDER: ''`). */
  env?: NodeJS.ProcessEnv;
  /** Extra env per service. */
  serviceEnv?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  /** The bcrypt cost of identity (hashers.bcrypt.cost) and oauth2 (oauth2.hashers.bcrypt.cost); the default 10 when unset. */
  bcryptCost?: number;
  /** The trace sink's bounds; its defaults keep 10,000 traces. */
  sinkLimits?: Partial<TraceStoreLimits>;
  /** More `node` flags per service (the benchmark's profiler). */
  nodeFlags?: Partial<Record<ServiceName, readonly string[]>>;
  /** Every log line of every service, as it arrives. */
  onLine?: (service: ServiceName, line: string) => void;
  /** How many recent log lines `logLines()` keeps, over all services (default 20,000). */
  maxLogLines?: number;
  /**
   * The user's own tracing env (`TRACING_PROVIDER`, `TRACING_PROVIDERS_*`, …) for every service in place of
   * the local sink's; no sink starts.
   */
  userTracing?: NodeJS.ProcessEnv;
  /** How long each service may take to answer /health/ready (default 60 s). */
  readyTimeoutMs?: number;
}

export interface Mesh {
  urls: MeshUrls;
  ports: MeshPorts;
  sink: TraceSink;
  processes: Map<ServiceName, RunningProcess>;
  /** The most recent log lines (at most `maxLogLines`), by service. */
  logLines(): { service: ServiceName; line: string }[];
  /** Starts a service that was stopped (fault tests), with the same env. */
  restart(service: ServiceName): Promise<RunningProcess>;
  /** SIGTERM to each service (they flush their spans), wait, then close the sink. */
  stop(): Promise<void>;
}

const listenerPorts = (ports: MeshPorts): Record<ServiceName, Record<string, number>> => ({
  identity: { public: ports.identityPublic, admin: ports.identityAdmin },
  permission: {
    read: ports.permissionRead,
    write: ports.permissionWrite,
    opl: ports.permissionOpl,
    metrics: ports.permissionMetrics,
  },
  documents: { public: ports.documents, admin: ports.documentsAdmin },
  gateway: { proxy: ports.gatewayProxy, api: ports.gatewayApi, prometheus: ports.gatewayPrometheus },
  oauth2: { public: ports.oauth2Public, admin: ports.oauth2Admin },
  web: { public: ports.web },
});

const readyPath: Record<ServiceName, keyof MeshPorts> = {
  identity: 'identityAdmin',
  permission: 'permissionRead',
  documents: 'documents',
  gateway: 'gatewayApi',
  oauth2: 'oauth2Admin',
  web: 'web',
};

/** Env a service must not inherit from the shell: it would override what the mesh sets. */
const inheritedEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !/^(TRACING_|OTEL_|SERVE_|DD_|ELASTIC_APM_|INSTANA_|HASHERS_|ACCESS_RULES_|NAMESPACES|LOG_|OAUTH2_|URLS_|STRATEGIES_|TTL_)/.test(
          name,
        ) && name !== 'DSN',
    ),
  );

/**
 * Points every service address in a text at this mesh: the infra files and the config defaults name Ory's
 * default ports (and the compose stack's host names); a test's free ports differ.
 */
function localAddresses(ports: MeshPorts): (text: string) => string {
  const byDefaultPort = new Map<number, number>(
    (Object.keys(defaultPorts) as (keyof MeshPorts)[]).map((key) => [defaultPorts[key], ports[key]]),
  );
  return (text) =>
    text.replace(
      /(https?:\/\/)(?:127\.0\.0\.1|localhost|gateway|identity|permission|documents|oauth2|web):(\d+)/g,
      (match, scheme: string, port: string) => {
        const local = byDefaultPort.get(Number(port));
        return local === undefined ? match : `${scheme}127.0.0.1:${local}`;
      },
    );
}

/** Where the compose stack mounts infra/keys in the gateway's container; the rules name its files there. */
const containerKeysPath = 'file:///etc/mesh/keys/';

/**
 * The demo's access rules, namespaces and the id_token key set from infra/, with local addresses (and the
 * key set's local path for its container path), in a fresh directory.
 */
function localInfraCopy(rewrite: (text: string) => string): string {
  const directory = mkdtempSync(join(tmpdir(), 'mesh-infra-'));
  const local = (text: string) =>
    rewrite(text).replaceAll(containerKeysPath, `file://${join(directory, 'keys')}/`);
  for (const folder of ['rules', 'permission', 'namespaces', 'keys']) {
    copyTree(join(repoRoot, 'infra', folder), join(directory, folder), local);
  }
  return directory;
}

function copyTree(source: string, target: string, rewrite: (text: string) => string): void {
  let entries: string[];
  try {
    entries = readdirSync(source);
  } catch {
    return;
  }
  mkdirSync(target, { recursive: true });
  for (const entry of entries) {
    const from = join(source, entry);
    const to = join(target, entry);
    if (statSync(from).isDirectory()) copyTree(from, to, rewrite);
    else writeFileSync(to, rewrite(readFileSync(from, 'utf8')));
  }
}

/**
 * The namespaces in infra/permission (a YAML or JSON file holding Keto's list of {id, name}, or a
 * permission config with a `namespaces` key); undefined when there is none (the service's default holds).
 */
function demoNamespaces(directory: string): unknown[] | undefined {
  let files: string[];
  try {
    files = readdirSync(directory).filter((file) => /\.(ya?ml|json)$/.test(file));
  } catch {
    return undefined;
  }
  for (const file of files) {
    const parsed: unknown = parseYaml(readFileSync(join(directory, file), 'utf8'));
    if (Array.isArray(parsed)) return parsed;
    if (
      parsed &&
      typeof parsed === 'object' &&
      Array.isArray((parsed as { namespaces?: unknown }).namespaces)
    ) {
      return (parsed as { namespaces: unknown[] }).namespaces;
    }
  }
  return undefined;
}

/** Tracing to the local sink: OTLP/HTTP, plaintext. */
const sinkTracing = (sink: TraceSink): NodeJS.ProcessEnv => ({
  TRACING_PROVIDER: 'otel',
  TRACING_PROVIDERS_OTLP_SERVER_URL: sink.otlpServerAddress,
  TRACING_PROVIDERS_OTLP_INSECURE: 'true',
});

/** The env of one service: its ports, database, tracing, and the demo's rules and namespaces. */
function serviceEnv(
  service: ServiceName,
  options: MeshOptions,
  ports: MeshPorts,
  tracing: NodeJS.ProcessEnv,
  infra: string,
  rewrite: (text: string) => string,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...inheritedEnv(),
    LOG_LEVEL: 'info',
    DSN: options.dsn(service),
    ...tracing,
  };
  // Defaults that name another service (the gateway's check_session_url, remote, documents' trusted
  // issuers, …) follow the ports.
  for (const key of configKeys(serviceSchema(service))) {
    if (typeof key.default === 'string' && rewrite(key.default) !== key.default)
      env[key.env] = rewrite(key.default);
    if (Array.isArray(key.default) && rewrite(JSON.stringify(key.default)) !== JSON.stringify(key.default))
      env[key.env] = rewrite(JSON.stringify(key.default));
  }
  const wanted = listenerPorts(ports)[service];
  for (const [listener, key] of portKeys(service)) {
    const port = wanted[listener];
    if (port === undefined)
      throw new Error(`${service}: no port planned for listener ${listener} (${key.path})`);
    env[key.env] = String(port);
    const host = key.path.replace(/port$/, 'host');
    if (hasKey(service, host)) env[envOf(service, host)] = '127.0.0.1';
  }
  if (service === 'identity' && options.bcryptCost !== undefined) {
    env[envOf(service, 'hashers.bcrypt.cost')] = String(options.bcryptCost);
  }
  if (service === 'identity') {
    // The demo's identity schema, and plain-http cookies: the browser reaches the mesh at http://127.0.0.1.
    env[envOf(service, 'identity.schemas')] = JSON.stringify([
      {
        id: 'default',
        url: `file://${join(repoRoot, 'infra', 'identity', 'schemas', 'identity.schema.json')}`,
      },
    ]);
    env[envOf(service, 'dev')] = 'true';
    // The web app's pages are on the gateway's origin: a flow may return there (return_to).
    env[envOf(service, 'selfservice.allowed_return_urls')] = JSON.stringify([
      `http://127.0.0.1:${ports.gatewayProxy}/`,
    ]);
  }
  if (service === 'oauth2' && options.bcryptCost !== undefined) {
    env[envOf(service, 'oauth2.hashers.bcrypt.cost')] = String(options.bcryptCost);
  }
  if (service === 'permission') {
    const namespaces = demoNamespaces(join(infra, 'permission'));
    if (namespaces) env[envOf(service, 'namespaces')] = JSON.stringify(namespaces);
    // The demo's OPL model (infra/namespaces) wins over a legacy list.
    const opl = join(infra, 'namespaces', 'namespaces.keto.ts');
    if (existsSync(opl)) env[envOf(service, 'namespaces')] = `file://${opl}`;
  }
  if (service === 'gateway' && hasKey(service, 'access_rules.repositories')) {
    const rules = readdirSync(join(infra, 'rules')).filter((file) => /\.(ya?ml|json)$/.test(file));
    env[envOf(service, 'access_rules.repositories')] = rules
      .map((file) => `file://${join(infra, 'rules', file)}`)
      .join(',');
  }
  return { ...env, ...options.env, ...options.serviceEnv?.[service] };
}

/** The mesh when the services trace to the user's backend: there is no sink. */
export type MeshWithoutSink = Omit<Mesh, 'sink'> & { sink: undefined };

/**
 * The whole mesh as local processes: the trace sink (in this process), then identity, permission,
 * documents and oauth2, then the gateway in front of them. Used by `npm start`, the end-to-end tests, the
 * benchmark and the fault tests. With `userTracing`, the services trace there and no sink starts.
 */
export async function startMesh(
  options: MeshOptions & { userTracing: NodeJS.ProcessEnv },
): Promise<MeshWithoutSink>;
export async function startMesh(options: MeshOptions): Promise<Mesh>;
export async function startMesh(options: MeshOptions): Promise<Mesh | MeshWithoutSink> {
  const ports = options.ports ?? defaultPorts;
  const sink = options.userTracing
    ? undefined
    : await startTraceSink({
        otlpPort: ports.sinkOtlp,
        queryPort: ports.sinkQuery,
        limits: options.sinkLimits,
      });
  const tracing = options.userTracing ?? sinkTracing(sink as TraceSink);
  const rewrite = localAddresses(ports);
  const infra = localInfraCopy(rewrite);
  const processes = new Map<ServiceName, RunningProcess>();
  const lines = new RecentLines<{ service: ServiceName; line: string }>(options.maxLogLines ?? 20_000);
  const envs = new Map<ServiceName, NodeJS.ProcessEnv>();
  const start = async (service: ServiceName) => {
    const env = envs.get(service) ?? serviceEnv(service, options, ports, tracing, infra, rewrite);
    envs.set(service, env);
    const running = await startService(service, {
      env,
      nodeFlags: options.nodeFlags?.[service],
      readyUrl: `http://127.0.0.1:${ports[readyPath[service]]}/health/ready`,
      readyTimeoutMs: options.readyTimeoutMs,
      onLine: (line) => {
        lines.push({ service, line });
        options.onLine?.(service, line);
      },
    });
    processes.set(service, running);
    return running;
  };
  const stop = async () => {
    await Promise.all([...processes.values()].map((running) => running.stop()));
    await sink?.close();
    rmSync(infra, { recursive: true, force: true });
  };
  try {
    await Promise.all((['identity', 'permission', 'documents'] as const).map(start));
    // oauth2 and web start beside the gateway, not in the first wave: five cold starts at once on a small machine
    // push the first ones past their readiness deadline.
    await Promise.all((['gateway', 'oauth2', 'web'] as const).map(start));
  } catch (error) {
    await stop();
    throw error;
  }
  const url = (port: number) => `http://127.0.0.1:${port}`;
  return {
    urls: {
      gateway: url(ports.gatewayProxy),
      gatewayApi: url(ports.gatewayApi),
      identityPublic: url(ports.identityPublic),
      identityAdmin: url(ports.identityAdmin),
      permissionRead: url(ports.permissionRead),
      permissionWrite: url(ports.permissionWrite),
      documents: url(ports.documents),
      documentsAdmin: url(ports.documentsAdmin),
      oauth2Public: url(ports.oauth2Public),
      oauth2Admin: url(ports.oauth2Admin),
    },
    ports,
    sink,
    processes,
    logLines: () => lines.toArray(),
    restart: start,
    stop,
  };
}
