import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startMesh } from './mesh';
import { repoRoot } from './service-config';

/**
 * `npm start`: the five services on SQLite files under `.data/`, plus the local trace sink on Jaeger's
 * ports, with the demo's rules and namespaces. One Ctrl-C stops them all; each service flushes its spans
 * into the sink before the sink closes.
 */
async function main(): Promise<void> {
  const dataDir = join(repoRoot, '.data');
  mkdirSync(dataDir, { recursive: true });
  const print = (line: string) => process.stdout.write(`${line}\n`);
  print('starting the trace sink and the five services …');
  const mesh = await startMesh({
    dsn: (service) => `sqlite://${join(dataDir, `${service}.sqlite`)}`,
    onLine: (service, line) => {
      if (/"level":(50|60)/.test(line)) process.stderr.write(`${service}: ${line}\n`);
    },
  });
  const { urls, sink } = mesh;
  print('');
  print(`gateway     ${urls.gateway}   (api ${urls.gatewayApi})`);
  print(`identity    ${urls.identityPublic}   (admin ${urls.identityAdmin})`);
  print(`permission  ${urls.permissionRead}   (write ${urls.permissionWrite})`);
  print(`documents   ${urls.documents}`);
  print(`oauth2      ${urls.oauth2Public}   (admin ${urls.oauth2Admin})`);
  print(`trace sink  OTLP ${sink.otlpUrl}/v1/traces, traces ${sink.queryUrl}/api/v3/traces/{trace_id}`);
  print(`data        ${dataDir}`);
  print('');
  print('Now run `npm run demo` in another terminal. Ctrl-C stops everything.');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    print(`\n${signal}: stopping the services (flushing their spans) and the sink …`);
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
