import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { repoRoot } from '../service-config';
import {
  accessLoad,
  benchSettings,
  startBenchMesh,
  warmed,
  warmedAccess,
  type BenchMesh,
} from './access-mesh';
import { runLoad, type LoadOptions, type LoadResult } from './load';
import { loginConnections, loginLoad } from './login-load';
import {
  anchorsFrom,
  floorMsPerRequest,
  measureMicro,
  sdkMsPerRequest,
  spawnListening,
  startAnchorChains,
} from './anchors';
import { measureInRounds, warmUpInTurns, type RoundSubject, type RoundTotals } from './rounds';
import { measured, pidsOf, pooledScenario, table, type ScenarioResult } from './scenario';
import { scrapeEverySecond } from './scraper';
import { commonShape } from './trace-shape';
import { introspectionLoad, tokenLoad } from './oauth2-load';
import { machineToken, seedMachine } from '../machine-client';

const {
  connections,
  durationSeconds,
  warmupSeconds,
  accessWarmupSeconds,
  rounds,
  roundSeconds,
  rewarmSeconds,
  anchorRounds,
  anchorSeconds,
} = benchSettings;
const outputPath = process.env.BENCH_OUTPUT ?? join(repoRoot, 'bench', 'results.json');

const round3 = (value: number) => Math.round(value * 1000) / 1000;
const ratio = (a: number, b: number) => (b === 0 ? 0 : round3(a / b));

async function main(): Promise<void> {
  const results: ScenarioResult[] = [];
  const print = (line: string) => process.stdout.write(`${line}\n`);
  print(
    `benchmark: ${connections} connections, ${durationSeconds} s per scenario after ${warmupSeconds} s warm-up; access-off and access-on in ${rounds} alternating rounds of ${roundSeconds} s after ${accessWarmupSeconds} s warm-up, the anchor chains in ${anchorRounds} rounds of ${anchorSeconds} s before them and ${anchorRounds} after; every window after ${rewarmSeconds} s re-warm`,
  );

  const baseline = await spawnListening('baseline-server.js', process.env);
  results.push(
    await measured(
      'baseline',
      () => new Map([['baseline', baseline.child.pid ?? 0]]),
      warmed({ url: `${baseline.url}/`, connections, durationSeconds }),
    ),
  );
  baseline.child.kill('SIGTERM');

  // The anchors bracket the access measurement: rounds before it and as many after, pooled, so that a
  // drift of the machine's speed between the two weighs on anchors and meshes alike.
  const chains = await startAnchorChains(print);
  const anchorSettings = { rounds: anchorRounds, windowSeconds: anchorSeconds, rewarmSeconds };
  let anchorTotals: RoundTotals;
  let on: BenchMesh;
  let accessTotals: RoundTotals;
  try {
    print(`  anchors: ${anchorRounds} alternating rounds before the meshes …`);
    anchorTotals = await measureInRounds(chains.subjects, anchorSettings);

    const off = await startBenchMesh({ TRACING_PROVIDER: '' });
    on = await startBenchMesh({});
    const scrapes = [scrapeEverySecond(off.mesh), scrapeEverySecond(on.mesh)];
    // The anchor chains export to a receiver that discards; in the measured windows the meshes' sinks do
    // the same. The sink runs in this process, beside autocannon: decoding every span there took CPU from
    // the two cores the services share and held up the load's own event loop. The access shape is read
    // from the traces of the re-warms in between (README, "Benchmark").
    const discardWhileMeasured = (bench: BenchMesh) => (measuring: boolean) =>
      bench.mesh.sink.setRecording(!measuring);
    const access: RoundSubject[] = [
      {
        name: 'access-off',
        pids: pidsOf(off.mesh),
        load: accessLoad(off),
        measuring: discardWhileMeasured(off),
      },
      { name: 'access-on', pids: pidsOf(on.mesh), load: accessLoad(on), measuring: discardWhileMeasured(on) },
    ];
    print(`  access-off and access-on: ${accessWarmupSeconds} s warm-up each, in turns …`);
    await warmUpInTurns(access, accessWarmupSeconds, roundSeconds);
    print(`  access-off and access-on: ${rounds} alternating rounds …`);
    accessTotals = await measureInRounds(access, {
      rounds,
      windowSeconds: roundSeconds,
      rewarmSeconds,
    });
    await Promise.all(scrapes.map((scraping) => scraping.stop()));
    await off.mesh.stop();
    results.push(pooledScenario('access-off', accessTotals), pooledScenario('access-on', accessTotals));

    print(`  anchors: ${anchorRounds} alternating rounds after the meshes …`);
    await measureInRounds(chains.subjects, anchorSettings, anchorTotals);
  } finally {
    await chains.stop();
  }
  print('  anchor: SQLite statement, JWT sign + verify …');
  const anchors = anchorsFrom(anchorTotals, await measureMicro());

  const pids = pidsOf(on.mesh);
  // The access request's shape, from the traces this run produced (before the next scenarios evict them).
  const sink = on.mesh.sink;
  const shaped = commonShape(sink.store.traceIds().flatMap((id) => sink.trace(id) ?? []));
  if (!shaped) throw new Error('access-on left no trace in the sink');
  const shape = shaped.shape;
  const whoami: LoadOptions = {
    url: `${on.mesh.urls.identityPublic}/sessions/whoami`,
    connections,
    durationSeconds,
    headers: { 'x-session-token': on.token },
  };
  results.push(await measured('whoami', pids, warmed(whoami)));
  results.push(
    await measured(
      'check',
      pids,
      warmed({
        url: `${on.mesh.urls.permissionRead}/relation-tuples/check`,
        connections,
        durationSeconds,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // bob → doc-2 follows the subject set Group:engineering#members: a two-step traversal.
        body: JSON.stringify({
          namespace: 'Document',
          object: 'doc-2',
          relation: 'view',
          subject_id: on.ids.bob,
        }),
      }),
    ),
  );
  results.push(
    await measured(
      'check-deep-folder',
      pids,
      warmed({
        url: `${on.mesh.urls.permissionRead}/relation-tuples/check`,
        connections,
        durationSeconds,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // bob → doc-3 only through its folder chain: three traversals of Folder#parents, then a subject set.
        body: JSON.stringify({
          namespace: 'Document',
          object: 'doc-3',
          relation: 'view',
          subject_id: on.ids.bob,
        }),
      }),
    ),
  );
  let logins: LoadResult | undefined;
  results.push(
    await measured('login-contention', pids, {
      run: async () => {
        const [whoamiUnderLogins, loginResult] = await Promise.all([
          runLoad(whoami),
          runLoad(loginLoad(on.mesh.urls.identityPublic)),
        ]);
        logins = loginResult;
        return whoamiUnderLogins;
      },
    }),
  );
  // oauth2 alone: the token endpoint (bcrypt-bound, like a login) and introspection (one indexed lookup).
  // The token load warms up with single requests: a timed warm-up would leave bcrypt jobs queued behind it.
  await seedMachine(on.mesh.urls);
  const { accessToken } = await machineToken(on.mesh.urls);
  results.push(
    await measured('oauth2-token', pids, {
      warmup: () => Promise.all(Array.from({ length: loginConnections }, () => machineToken(on.mesh.urls))),
      run: () => runLoad(tokenLoad(on.mesh.urls, loginConnections)),
    }),
  );
  results.push(
    await measured('oauth2-introspect', pids, warmed(introspectionLoad(on.mesh.urls, accessToken))),
  );
  await on.mesh.stop();

  // Informational: tracing on, but the gateway samples no root trace, so no span is recorded or exported
  // anywhere. What remains is the instrumentation itself (context propagation, header injection and
  // extraction): the floor of what tracing costs short of removing it.
  const unsampled = await startBenchMesh(
    {},
    { serviceEnv: { gateway: { TRACING_PROVIDERS_OTLP_SAMPLING_SAMPLING_RATIO: '0' } } },
  );
  results.push(await measured('access-unsampled', pidsOf(unsampled.mesh), warmedAccess(unsampled)));
  await unsampled.mesh.stop();

  const byName = (name: string) => results.find((result) => result.scenario === name) as ScenarioResult;
  const peakByService: Record<string, number> = {};
  for (const result of results) {
    for (const [service, mb] of Object.entries(result.peakRssMb))
      peakByService[service] = Math.max(peakByService[service] ?? 0, mb);
  }
  const cpuOf = (name: string) => {
    const byService = byName(name).cpuMsPerRequest;
    return { byService, sum: round3(Object.values(byService).reduce((total, ms) => total + ms, 0)) };
  };
  const cpuMsPerAccessRequest = {
    'access-off': cpuOf('access-off'),
    'access-on': cpuOf('access-on'),
    'access-unsampled': cpuOf('access-unsampled'),
  };
  const floor = floorMsPerRequest(anchors, shape);
  const sdk = sdkMsPerRequest(anchors, shape);
  const ratios = {
    tracingOverheadVsSdk: ratio(
      cpuMsPerAccessRequest['access-on'].sum - cpuMsPerAccessRequest['access-off'].sum,
      sdk,
    ),
    offVsFloor: ratio(cpuMsPerAccessRequest['access-off'].sum, floor),
    'access-on / access-off': ratio(
      byName('access-on').requestsPerSecond,
      byName('access-off').requestsPerSecond,
    ),
    'access-on / baseline': ratio(
      byName('access-on').requestsPerSecond,
      byName('baseline').requestsPerSecond,
    ),
    'whoami p99 under logins / alone': ratio(byName('login-contention').p99Ms, byName('whoami').p99Ms),
    'access-unsampled / access-off': ratio(
      byName('access-unsampled').requestsPerSecond,
      byName('access-off').requestsPerSecond,
    ),
  };
  // Each round's own ratios (its access-off and access-on windows, against the pooled anchors): one run
  // shows how far its rounds disagree, which says whether that run can decide a target (README, "Benchmark").
  const offByRound = accessTotals.perWindow('access-off');
  const onByRound = accessTotals.perWindow('access-on');
  const ratiosByRound = {
    tracingOverheadVsSdk: offByRound.map((off, round) => ratio((onByRound[round] ?? 0) - off, sdk)),
    offVsFloor: offByRound.map((off) => ratio(off, floor)),
  };
  const targets = {
    'tracingOverheadVsSdk <= 2.0': ratios.tracingOverheadVsSdk <= 2,
    'offVsFloor <= 3.0': ratios.offVsFloor <= 3,
    'whoami p99 under logins <= 3x alone': ratios['whoami p99 under logins / alone'] <= 3,
    // Every mesh scenario's requests are allowed ones, and so are the logins beside login-contention's
    // whoami; a transport error or a timeout fails it too.
    'no non-2xx in allowed scenarios':
      results
        .filter((result) => result.scenario !== 'baseline')
        .every((result) => result.non2xx === 0 && result.errors === 0) && logins?.errors === 0,
    'peak RSS <= 150 MB per service': Object.entries(peakByService).every(
      ([service, mb]) => service === 'baseline' || mb <= 150,
    ),
  };
  const report = {
    machine: { cpus: availableParallelism(), node: process.version },
    settings: { ...benchSettings, loginConnections },
    anchors: { ...anchors, floorMsPerRequest: floor, sdkMsPerRequest: sdk },
    accessShape: { ...shape, tracesWithThisShape: shaped.traces },
    cpuMsPerAccessRequest,
    scenarios: results,
    logins: logins && {
      requestsPerSecond: logins.requestsPerSecond,
      p50Ms: logins.p50Ms,
      p99Ms: logins.p99Ms,
      errors: logins.errors,
    },
    peakRssMbByService: peakByService,
    ratios,
    ratiosByRound,
    targets,
  };
  mkdirSync(dirname(outputPath), { recursive: true });
  writeFileSync(outputPath, `${JSON.stringify(report, null, 2)}\n`);

  const ms = (value: number) => value.toFixed(4);
  print('');
  print(table(results));
  print('');
  print(
    `logins during login-contention: ${logins?.requestsPerSecond ?? 0} req/s (2 requests each), p99 ${logins?.p99Ms ?? 0} ms`,
  );
  print(
    `peak RSS by service (MB): ${Object.entries(peakByService)
      .map(([service, mb]) => `${service} ${mb}`)
      .join(', ')}`,
  );
  print('');
  print(
    `anchors (CPU ms, this run; ${anchorRounds} rounds before the meshes and ${anchorRounds} after, pooled):`,
  );
  for (const run of Object.values(anchors.chain)) {
    print(
      `  2-hop chain ${run.variant.padEnd(14)} front ${ms(run.cpuMsPerRequest.front)}  back ${ms(run.cpuMsPerRequest.back)}  per request (${run.requestsPerSecond} req/s, ${run.non2xx} errors)`,
    );
  }
  print(`  server hop ${ms(anchors.serverHopMs)}, client hop ${ms(anchors.clientHopMs)}`);
  print(
    `  sdkMsPerHttpSpan ${ms(anchors.sdkMsPerHttpSpan)} (unsampled ${ms(anchors.unsampledMsPerHttpSpan)}), sdkMsPerInternalSpan ${ms(anchors.sdkMsPerInternalSpan)}`,
  );
  print(
    `  SQLite point statement ${ms(anchors.sqliteMsPerStatement)}, JWT sign + verify (${anchors.jwtAlgorithm}) ${ms(anchors.jwtMsPerSignAndVerify)}`,
  );
  print(
    `access request shape (from ${shaped.traces} traces): ${shape.spans} spans = ${shape.httpSpans} http (${shape.serverSpans} server, ${shape.httpClientSpans} client) + ${shape.internalSpans} internal (${shape.sqlSpans} SQL); id_token ${shape.idToken ? 'yes' : 'no'}`,
  );
  print(`floorMsPerRequest ${ms(floor)}, SDK price per request ${ms(sdk)}`);
  print('');
  for (const [name, cpu] of Object.entries(cpuMsPerAccessRequest)) {
    print(
      `CPU ms per request, ${name}: ${Object.entries(cpu.byService)
        .map(([service, value]) => `${service} ${value}`)
        .join(', ')}; sum ${cpu.sum}`,
    );
  }
  for (const [name, value] of Object.entries(ratios)) print(`${name}: ${value}`);
  for (const [name, values] of Object.entries(ratiosByRound))
    print(
      `${name} by round: ${values.join(', ')} (from ${Math.min(...values)} to ${Math.max(...values)} over ${values.length} rounds)`,
    );
  for (const [name, met] of Object.entries(targets)) print(`${met ? 'met   ' : 'MISSED'} ${name}`);
  print(`\nwritten: ${relative(process.cwd(), outputPath)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
