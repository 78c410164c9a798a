/** One sample line of an OpenMetrics exposition, with its exemplar when it has one. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  exemplar?: { labels: Record<string, string>; value: number };
}

export interface Exposition {
  /** `# TYPE` lines: family name → counter, gauge, histogram, … */
  types: Map<string, string>;
  samples: Sample[];
  /** Whether the text ends with `# EOF`, as OpenMetrics requires. */
  terminated: boolean;
}

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of (text ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
    labels[match[1] ?? ''] = (match[2] ?? '').replace(/\\(.)/g, (_all, c: string) => (c === 'n' ? '\n' : c));
  return labels;
}

const sampleLine = /^([a-zA-Z_:][\w:]*)(?:\{(.*?)\})? (\S+)(?: \S+)?(?: # \{(.*?)\} (\S+)(?: \S+)?)?$/;

/** Reads the OpenMetrics text format (what a Prometheus server scrapes), enough to assert on. */
export function parseOpenMetrics(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const lines = text.split('\n');
  for (const line of lines) {
    if (line === '' || line === '# EOF') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1] ?? '', type[2] ?? '');
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = sampleLine.exec(line);
    if (!match) throw new Error(`not an OpenMetrics sample line: ${line}`);
    const sample: Sample = { name: match[1] ?? '', labels: parseLabels(match[2]), value: Number(match[3]) };
    if (match[4] !== undefined) sample.exemplar = { labels: parseLabels(match[4]), value: Number(match[5]) };
    samples.push(sample);
  }
  return { types, samples, terminated: text.trimEnd().endsWith('# EOF') };
}

/** The samples of one name whose labels include all of `labels`. */
export function find(exposition: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exposition.samples.filter(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The sum of the matching samples' values (0 when none match). */
export const total = (exposition: Exposition, name: string, labels: Record<string, string> = {}): number =>
  find(exposition, name, labels).reduce((sum, sample) => sum + sample.value, 0);
