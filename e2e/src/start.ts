import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { demoUsers } from './demo-data';
import { defaultPorts, startMesh, type MeshPorts } from './mesh';
import { seedDemo } from './mesh-client';
import { firstTakenPort } from './port-check';
import { repoRoot } from './service-config';
import { tracingTargetOf, userTracingEnv } from './user-tracing';

/** What listens on each port, for the one-line message when a port is taken. */
const portNames: Record<keyof MeshPorts, string> = {
  gatewayProxy: 'gateway proxy',
  gatewayApi: 'gateway API',
  gatewayPrometheus: 'gateway metrics',
  identityPublic: 'identity public API',
  identityAdmin: 'identity admin API',
  permissionRead: 'permission read API',
  permissionWrite: 'permission write API',
  permissionOpl: 'permission OPL syntax API',
  permissionMetrics: 'permission metrics',
  documents: 'documents',
  documentsAdmin: 'documents admin API',
  oauth2Public: 'oauth2 public API',
  oauth2Admin: 'oauth2 admin API',
  web: 'web app',
  sinkOtlp: 'trace sink OTLP receiver',
  sinkQuery: 'trace sink query API and explorer',
};

/**
 * `npm start`: the six services on SQLite files under `.data/`, plus the local trace sink on Jaeger's
 * ports, with the demo's rules, namespaces and data. With `TRACING_PROVIDER` (and the provider's keys) in
 * the environment, the services trace there instead and no sink starts. One Ctrl-C stops them all; each
 * service flushes its spans before the sink closes.
 */
async function main(): Promise<void> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const userTracing = userTracingEnv(process.env);
  const needed = (Object.keys(defaultPorts) as (keyof MeshPorts)[])
    .filter((key) => !(userTracing && key.startsWith('sink')))
    .map((key) => ({ name: portNames[key], port: defaultPorts[key] }));
  const taken = await firstTakenPort(needed);
  if (taken) {
    process.stderr.write(
      `npm start: port ${taken.port} (${taken.name}) is already in use; stop what listens there (another npm start, or docker compose down) and try again\n`,
    );
    process.exit(1);
  }

  const dataDir = join(repoRoot, '.data');
  mkdirSync(dataDir, { recursive: true });
  print(
    userTracing
      ? 'starting the six services, tracing to your TRACING_PROVIDER (no local sink) …'
      : 'starting the trace sink and the six services …',
  );
  const targets = new Set<string>();
  const options = {
    dsn: (service: string) => `sqlite://${join(dataDir, `${service}.sqlite`)}`,
    onLine: (service: string, line: string) => {
      const target = tracingTargetOf(line);
      if (target) targets.add(target);
      if (/"level":(50|60)/.test(line)) process.stderr.write(`${service}: ${line}\n`);
    },
  };
  const mesh = userTracing ? await startMesh({ ...options, userTracing }) : await startMesh(options);
  const { urls, sink } = mesh;
  const ids = await seedDemo(urls);
  print('');
  print(`gateway     ${urls.gateway}   (api ${urls.gatewayApi})`);
  print(`identity    ${urls.identityPublic}   (admin ${urls.identityAdmin})`);
  print(`permission  ${urls.permissionRead}   (write ${urls.permissionWrite})`);
  print(`documents   ${urls.documents}   (admin ${urls.documentsAdmin})`);
  print(`oauth2      ${urls.oauth2Public}   (admin ${urls.oauth2Admin})`);
  print(`web app     ${urls.gateway}/   (open this: sign in, documents, and each request's trace)`);
  if (sink) print(`trace sink  OTLP ${sink.otlpUrl}/v1/traces, explorer ${sink.queryUrl}/search`);
  print(`traces      ${[...targets].join('; ') || '(no service reported its tracing target)'}`);
  print(`data        ${dataDir}`);
  print(
    `demo users  ${Object.values(demoUsers)
      .map((user) => `${user.email} / ${user.password}`)
      .join(', ')}  (alice ${ids.alice}, bob ${ids.bob})`,
  );
  print('');
  print('Now run `npm run demo` in another terminal. Ctrl-C stops everything.');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    print(`\n${signal}: stopping the services (flushing their spans)${sink ? ' and the sink' : ''} …`);
    mesh.stop().then(
      () => {
        print('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
