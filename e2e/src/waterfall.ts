import { SpanKind, StatusCode, type FlatSpan } from './sink/otlp-json';

export interface WaterfallOptions {
  /** Total line width in columns. */
  width?: number;
  /** ANSI colours: one per service, errors in red. */
  color?: boolean;
}

interface Row {
  span: FlatSpan;
  depth: number;
  /** The span names a parent that is not in the trace. */
  orphan: boolean;
}

const kindTag: Record<number, string> = {
  [SpanKind.server]: 'S',
  [SpanKind.client]: 'C',
  [SpanKind.internal]: 'I',
  [SpanKind.producer]: 'P',
  [SpanKind.consumer]: 'K',
};
const palette = ['36', '35', '33', '32', '34', '96', '95', '93'];
const ansi = (code: string, text: string, on: boolean) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);

/** Depth-first order: each span after its parent, siblings by start time; spans with a missing parent are roots. */
function treeRows(spans: readonly FlatSpan[]): Row[] {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string, FlatSpan[]>();
  const roots: FlatSpan[] = [];
  for (const span of spans) {
    if (span.parentSpanId && ids.has(span.parentSpanId)) {
      const siblings = children.get(span.parentSpanId) ?? [];
      siblings.push(span);
      children.set(span.parentSpanId, siblings);
    } else {
      roots.push(span);
    }
  }
  // Start times have millisecond precision (the SDK stamps them with Date.now()), so siblings often tie;
  // a stable sort keeps them in the order they arrived, which is the order they ended.
  const byStart = (a: FlatSpan, b: FlatSpan) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0);
  const rows: Row[] = [];
  const visit = (span: FlatSpan, depth: number) => {
    rows.push({ span, depth, orphan: depth === 0 && span.parentSpanId !== undefined });
    for (const child of (children.get(span.spanId) ?? []).sort(byStart)) visit(child, depth + 1);
  };
  for (const root of roots.sort(byStart)) visit(root, 0);
  return rows;
}

export const isErrorSpan = (span: FlatSpan): boolean =>
  span.statusCode === StatusCode.error || span.attributes.error === true;

/** The few attributes that tell the story of a span, shown after its bar. */
function detailOf(span: FlatSpan): string {
  const a = span.attributes;
  const parts: string[] = [];
  if (a['http.response.status_code'] !== undefined) parts.push(String(a['http.response.status_code']));
  if (a['gateway.rule.id'] !== undefined) parts.push(`rule=${String(a['gateway.rule.id'])}`);
  if (a['gateway.decision'] !== undefined) parts.push(`decision=${String(a['gateway.decision'])}`);
  const allowed = a['permission.allowed'] ?? a.allowed;
  if (allowed !== undefined) parts.push(`allowed=${String(allowed)}`);
  if (a['bcrypt.workfactor'] !== undefined) parts.push(`cost=${String(a['bcrypt.workfactor'])}`);
  if (a['db.system.name'] !== undefined) parts.push(String(a['db.system.name']));
  return parts.join(' ');
}

function formatDuration(ns: bigint): string {
  const ms = Number(ns) / 1e6;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 10) return `${ms.toFixed(1)}ms`;
  return `${ms.toFixed(2)}ms`;
}

const fit = (text: string, width: number) =>
  text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text.padEnd(width);

/**
 * A trace as a terminal waterfall: one line per span, the service, the name indented under its parent,
 * the kind (S server, C client, I internal), the duration, a bar placed and sized to scale on the
 * trace's time line, and a marker on errors.
 */
export function renderWaterfall(spans: readonly FlatSpan[], options: WaterfallOptions = {}): string {
  if (spans.length === 0) return '(no spans)\n';
  const width = Math.max(options.width ?? 120, 60);
  const color = options.color ?? false;
  const rows = treeRows(spans);
  const start = spans.reduce((min, span) => (span.startNs < min ? span.startNs : min), spans[0]!.startNs);
  const end = spans.reduce((max, span) => (span.endNs > max ? span.endNs : max), spans[0]!.endNs);
  const total = end > start ? end - start : 1n;
  const services = [...new Set(rows.map((row) => row.span.service))];
  const serviceWidth = Math.max(...services.map((service) => service.length));
  const nameWidth = Math.min(
    Math.max(...rows.map((row) => row.depth * 2 + row.span.name.length + (row.orphan ? 2 : 0))),
    Math.floor(width * 0.4),
  );
  const durationWidth = 9;
  const detailWidth = Math.min(Math.max(...rows.map((row) => detailOf(row.span).length)), 28);
  const barWidth = Math.max(width - serviceWidth - nameWidth - durationWidth - detailWidth - 12, 10);

  const traceId = spans[0]!.traceId;
  const errors = spans.filter(isErrorSpan).length;
  const lines = [
    `trace ${traceId}  ${spans.length} spans  ${services.length} services (${services.join(', ')})  ${formatDuration(total)}${errors ? `  ${errors} with errors` : ''}`,
  ];
  for (const row of rows) {
    const { span } = row;
    const offset = Math.min(
      Math.floor((Number(span.startNs - start) / Number(total)) * barWidth),
      barWidth - 1,
    );
    const length = Math.max(1, Math.round((Number(span.endNs - span.startNs) / Number(total)) * barWidth));
    const bar = ' '.repeat(offset) + '█'.repeat(Math.min(length, barWidth - offset));
    const error = isErrorSpan(span);
    const serviceColor = palette[services.indexOf(span.service) % palette.length] ?? '37';
    const name = `${'  '.repeat(row.depth)}${row.orphan ? '↑ ' : ''}${span.name}`;
    lines.push(
      [
        ansi(serviceColor, span.service.padEnd(serviceWidth), color),
        kindTag[span.kind] ?? '?',
        fit(name, nameWidth),
        formatDuration(span.endNs - span.startNs).padStart(durationWidth),
        `|${ansi(error ? '31' : serviceColor, bar.padEnd(barWidth), color)}|`,
        error ? ansi('31', '✗', color) : ' ',
        fit(detailOf(span), detailWidth).trimEnd(),
      ]
        .join(' ')
        .trimEnd(),
    );
  }
  if (rows.some((row) => row.orphan)) lines.push('↑ = the parent span is not in this trace');
  return `${lines.join('\n')}\n`;
}
