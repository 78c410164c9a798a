import { demoRequests, type DemoUser } from './demo-data';
import { runMachineDemo } from './demo-machine';
import { browserLogin, defaultMeshUrls, getDocument, seedDemo, type MeshUrls } from './mesh-client';
import { pollTrace, type TraceQueryApi } from './trace-query';
import { renderWaterfall } from './waterfall';

/**
 * `npm run demo`: seeds the demo data, logs alice and bob in through the gateway, makes the access
 * requests, then the machine part (an OAuth2 token and the seed's duplicate POST /admin/clients), and prints
 * each one's status, trace id, Jaeger link and waterfall (fetched from the trace backend's query API). Every URL can be overridden by env (GATEWAY_URL, IDENTITY_ADMIN_URL,
 * PERMISSION_WRITE_URL, DOCUMENTS_ADMIN_URL, OAUTH2_PUBLIC_URL, OAUTH2_ADMIN_URL, TRACE_QUERY_URL, JAEGER_UI_URL), e.g. for other hosts.
 * With TRACING_PROVIDER=zipkin it reads Zipkin's API (`/api/v2/trace/{id}`, default http://localhost:9411).
 */
const env = (name: string, fallback: string) => (process.env[name] || fallback).replace(/\/$/, '');

function urlsFromEnv(): MeshUrls {
  return {
    ...defaultMeshUrls,
    gateway: env('GATEWAY_URL', defaultMeshUrls.gateway),
    identityAdmin: env('IDENTITY_ADMIN_URL', defaultMeshUrls.identityAdmin),
    permissionWrite: env('PERMISSION_WRITE_URL', defaultMeshUrls.permissionWrite),
    documentsAdmin: env('DOCUMENTS_ADMIN_URL', defaultMeshUrls.documentsAdmin),
    oauth2Public: env('OAUTH2_PUBLIC_URL', defaultMeshUrls.oauth2Public),
    oauth2Admin: env('OAUTH2_ADMIN_URL', defaultMeshUrls.oauth2Admin),
  };
}

async function main(): Promise<void> {
  const urls = urlsFromEnv();
  // With TRACING_PROVIDER=zipkin (the compose zipkin profile) the traces are in Zipkin, not Jaeger.
  const api: TraceQueryApi = process.env.TRACING_PROVIDER === 'zipkin' ? 'zipkin' : 'jaeger';
  const backend = api === 'zipkin' ? 'http://localhost:9411' : 'http://localhost:16686';
  const queryUrl = env('TRACE_QUERY_URL', backend);
  const uiUrl = env(api === 'zipkin' ? 'ZIPKIN_UI_URL' : 'JAEGER_UI_URL', backend);
  const traceLink = (traceId: string) =>
    api === 'zipkin' ? `${uiUrl}/zipkin/traces/${traceId}` : `${uiUrl}/trace/${traceId}`;
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const width = Math.min(process.stdout.columns || Number(process.env.COLUMNS) || 120, 160);
  const print = (line = '') => process.stdout.write(`${line}\n`);
  const showTrace = async (traceId: string | undefined) => {
    if (!traceId) {
      print('  no traceresponse header: is tracing on?');
      return;
    }
    print(`  trace ${traceId}`);
    print(`  ${traceLink(traceId)}`);
    try {
      const spans = await pollTrace(queryUrl, traceId, { api });
      print(renderWaterfall(spans, { color, width }).trimEnd());
    } catch (error) {
      print(`  ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  print(`seeding the demo data (gateway ${urls.gateway}, traces from ${queryUrl})`);
  const ids = await seedDemo(urls);
  print(`  alice = ${ids.alice}\n  bob   = ${ids.bob}`);

  // A browser's login: the signed session cookie, which the gateway's cookie_session authenticator checks.
  const cookies: Partial<Record<DemoUser, string>> = {};
  for (const user of ['alice', 'bob'] as const) {
    const result = await browserLogin(urls.gateway, user);
    cookies[user] = result.cookie;
    print(
      `login ${user}: ${result.status}  trace ${result.traceId ?? '(tracing off)'}${result.traceId ? `  ${traceLink(result.traceId)}` : ''}`,
    );
  }

  let failures = 0;
  for (const request of demoRequests) {
    const cookie = request.who === 'anonymous' ? undefined : cookies[request.who];
    const response = await getDocument(urls.gateway, request.document, undefined, cookie ? { cookie } : {});
    const ok = response.status === request.expect;
    if (!ok) failures += 1;
    print();
    print(
      `${ok ? '✔' : '✘'} ${request.who} → GET /documents/${request.document}: ${response.status}${ok ? '' : ` (expected ${request.expect})`}`,
    );
    await showTrace(response.traceId);
  }
  failures += await runMachineDemo(urls, { print, showTrace });
  print();
  print(
    failures === 0
      ? 'every request got the expected status'
      : `${failures} request(s) got an unexpected status`,
  );
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.stderr.write('Is the mesh running? Start it with `npm start` (or `docker compose up --build`).\n');
  process.exit(1);
});
