/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that a summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
}

export function isCpuProfile(value: unknown): value is CpuProfile {
  const profile = value as Partial<CpuProfile> | null;
  return (
    typeof profile === 'object' &&
    profile !== null &&
    Array.isArray(profile.nodes) &&
    Array.isArray(profile.samples) &&
    profile.nodes.every((node) => typeof node?.id === 'number' && typeof node.callFrame?.url === 'string')
  );
}

/** Where a sample's own (self) time goes, first match wins. */
const categories: readonly [name: string, matches: (url: string, functionName: string) => boolean][] = [
  ['idle', (_url, name) => name === '(idle)'],
  [
    'module loading (start-up)',
    (url, name) =>
      /modules\/cjs|package_json/.test(url) || /^(internalModuleStat|readFileUtf8|wrapSafe)$/.test(name),
  ],
  ['garbage collection', (_url, name) => name === '(garbage collector)'],
  ['OpenTelemetry: OTLP export', (url) => /@opentelemetry\/(otlp-|exporter-)/.test(url)],
  ['OpenTelemetry: spans and batch processor', (url) => /@opentelemetry\/sdk-trace/.test(url)],
  ['OpenTelemetry: http instrumentation', (url) => /@opentelemetry\/instrumentation-http/.test(url)],
  ['OpenTelemetry: express instrumentation', (url) => /@opentelemetry\/instrumentation-express/.test(url)],
  ['OpenTelemetry: propagators', (url) => /@opentelemetry\/(core|propagator-)/.test(url)],
  [
    'OpenTelemetry: context (AsyncLocalStorage)',
    (url) => /@opentelemetry\/context-async-hooks|node:async_hooks|internal\/async_hooks/.test(url),
  ],
  ['OpenTelemetry: API and wrappers', (url) => /@opentelemetry\//.test(url)],
  [
    'libs/tracing wrappers (with the native SQLite calls inside them)',
    (url) => /\/libs\/tracing\//.test(url),
  ],
  ['the services, their libraries and Node', () => true],
];

export interface ProfileShare {
  category: string;
  /** Share of the busy time: every sample but idle and start-up module loading. */
  percent: number;
}

/** Self time by category, as shares of the time the process was busy serving. */
export function summarizeProfile(profile: CpuProfile): ProfileShare[] {
  const categoryOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const { url, functionName } = node.callFrame;
    categoryOf.set(node.id, categories.find(([, matches]) => matches(url, functionName))?.[0] ?? 'other');
  }
  const samples = new Map<string, number>();
  for (const id of profile.samples) {
    const category = categoryOf.get(id) ?? 'other';
    samples.set(category, (samples.get(category) ?? 0) + 1);
  }
  const notServing = new Set(['idle', 'module loading (start-up)']);
  const busy = [...samples].filter(([category]) => !notServing.has(category));
  const total = busy.reduce((sum, [, count]) => sum + count, 0);
  return busy
    .map(([category, count]) => ({
      category,
      percent: total === 0 ? 0 : Math.round((count / total) * 1000) / 10,
    }))
    .sort((a, b) => b.percent - a.percent);
}
