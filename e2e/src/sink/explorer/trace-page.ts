import { html, Html } from '@mesh/html';
import { formatMs, isoOf, serviceColours } from './format';
import { page } from './layout';
import { isError, kindNames, serviceOf, summarize, textOf, type RawSpan } from './model';
import { statusCodeOf, type KeyValue } from '../otlp-json';

interface Node {
  entry: RawSpan;
  children: Node[];
  depth: number;
}

const startOf = (entry: RawSpan) => BigInt(entry.span.startTimeUnixNano);

/** Spans as a tree: each under its parent, siblings by start time; a span whose parent is missing is a root. */
function treeOf(spans: readonly RawSpan[]): Node[] {
  const nodes = new Map(spans.map((entry) => [entry.span.spanId, { entry, children: [], depth: 0 } as Node]));
  const roots: Node[] = [];
  for (const node of nodes.values()) {
    const parent = node.entry.span.parentSpanId ? nodes.get(node.entry.span.parentSpanId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  const order = (list: Node[], depth: number) => {
    list.sort((a, b) =>
      startOf(a.entry) < startOf(b.entry) ? -1 : startOf(a.entry) > startOf(b.entry) ? 1 : 0,
    );
    for (const node of list) {
      node.depth = depth;
      order(node.children, depth + 1);
    }
  };
  order(roots, 0);
  return roots;
}

const attributeList = (attributes: KeyValue[] | undefined): Html =>
  attributes && attributes.length > 0
    ? html`<dl>
        ${[...attributes]
          .sort((a, b) => a.key.localeCompare(b.key))
          .map(
            (attribute) =>
              html`<dt>${attribute.key}</dt>
                <dd class="mono">${textOf(attribute.value)}</dd>`,
          )}
      </dl>`
    : html`<p>none</p>`;

const statusNames = ['UNSET', 'OK', 'ERROR'];

function detailPanel(entry: RawSpan, traceStart: bigint, open: boolean): Html {
  const { span } = entry;
  const offsetMs = (ns: string | number) => formatMs(Number(BigInt(ns) - traceStart) / 1e6);
  const code = statusCodeOf(span);
  return html`<section
    class="detail"
    id="detail-${span.spanId}"
    aria-label="Details of ${span.name}"
    ${open ? '' : html`hidden`}
  >
    <h3>${serviceOf(entry.resource)}: ${span.name}</h3>
    <dl>
      <dt>Span id</dt>
      <dd class="mono">${span.spanId}</dd>
      <dt>Parent</dt>
      <dd class="mono">${span.parentSpanId || '(root)'}</dd>
      <dt>Kind</dt>
      <dd>
        ${kindNames[typeof span.kind === 'number' ? span.kind : 0] ?? String(span.kind ?? 'unspecified')}
      </dd>
      <dt>Start</dt>
      <dd>+${offsetMs(span.startTimeUnixNano)}</dd>
      <dt>Duration</dt>
      <dd>${formatMs(Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6)}</dd>
      <dt>Status</dt>
      <dd ${code === 2 ? html`class="error"` : ''}>
        ${statusNames[code] ?? String(code)}${span.status?.message ? `: ${span.status.message}` : ''}
      </dd>
    </dl>
    <h3>Attributes</h3>
    ${attributeList(span.attributes)}
    <h3>Events</h3>
    ${
      (span.events ?? []).length > 0
        ? html`<ol>
            ${(span.events ?? []).map(
              (event) =>
                html`<li>
                  <strong>${event.name}</strong> at
                  +${offsetMs(event.timeUnixNano ?? span.startTimeUnixNano)}${attributeList(event.attributes)}
                </li>`,
            )}
          </ol>`
        : html`<p>none</p>`
    }
    <h3>Links</h3>
    ${
      (span.links ?? []).length > 0
        ? html`<ul>
            ${(span.links ?? []).map(
              (link) =>
                html`<li>
                  <a href="/trace/${link.traceId}?span=${link.spanId}#span-${link.spanId}" class="mono"
                    >${link.traceId} / ${link.spanId}</a
                  >${attributeList(link.attributes)}
                </li>`,
            )}
          </ul>`
        : html`<p>none</p>`
    }
    <h3>Resource</h3>
    ${attributeList(entry.resource?.attributes)}
  </section>`;
}

/** Progressive enhancement only: without it, each span link loads the page with that span's details open. */
const script = new Html(`<script>
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-span]');
  if (!link) return;
  event.preventDefault();
  const panel = document.getElementById('detail-' + link.dataset.span);
  const show = panel.hidden;
  panel.hidden = !show;
  link.setAttribute('aria-expanded', String(show));
  history.replaceState(null, '', show ? '?span=' + link.dataset.span + '#span-' + link.dataset.span : location.pathname);
});
</script>`);

export function tracePage(
  traceId: string,
  spans: readonly RawSpan[],
  selected: string | undefined,
  allServices: string[],
): Html {
  const summary = summarize(traceId, spans);
  const colour = serviceColours(allServices);
  const total = summary.durationNs > 0n ? Number(summary.durationNs) : 1;
  const row = (node: Node): Html => {
    const { span } = node.entry;
    const service = serviceOf(node.entry.resource);
    const left = (Number(startOf(node.entry) - summary.startNs) / total) * 100;
    const width = (Number(BigInt(span.endTimeUnixNano) - startOf(node.entry)) / total) * 100;
    const failed = isError(span);
    const open = selected === span.spanId;
    const cells = html`<span class="name" style="padding-left:${node.depth * 1.1 + 1.1}rem"
        ><span class="swatch" style="background:${colour(service)}" aria-hidden="true"></span
        ><a
          href="?span=${span.spanId}#span-${span.spanId}"
          data-span="${span.spanId}"
          aria-expanded="${open}"
          aria-controls="detail-${span.spanId}"
          >${service}: ${span.name}</a
        >${failed ? html` <span class="error">✗ error</span>` : ''}</span
      >
      <span class="num mono">${formatMs((width * total) / 100 / 1e6)}</span>
      <span class="track" aria-hidden="true"
        ><span
          class="bar${failed ? ' failed' : ''}"
          style="left:${left.toFixed(3)}%;width:${Math.max(width, 0.2).toFixed(3)}%;background:${colour(service)}"
        ></span
      ></span>`;
    const panel = detailPanel(node.entry, summary.startNs, open);
    // The toggle is its own control beside the row (a summary holding the span link would nest two controls).
    return node.children.length > 0
      ? html`<li id="span-${span.spanId}" class="span">
          <div class="row">${cells}</div>
          ${panel}
          <details open>
            <summary class="toggle" style="left:${node.depth * 1.1}rem">
              <span class="visually-hidden"
                >Collapse or expand the ${node.children.length} child
                span${node.children.length === 1 ? '' : 's'} of ${service}: ${span.name}</span
              >
            </summary>
            <ul>
              ${node.children.map(row)}
            </ul>
          </details>
        </li>`
      : html`<li id="span-${span.spanId}" class="span">
          <div class="row">${cells}</div>
          ${panel}
        </li>`;
  };
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (fraction) => html`<span>${formatMs((total * fraction) / 1e6)}</span>`,
  );
  const body = html`<h1>${summary.rootService}: ${summary.rootName}</h1>
    <div class="summary-line">
      <span>Trace <span class="mono">${traceId}</span></span>
      <span>Start ${isoOf(summary.startNs)}</span>
      <span>Duration ${formatMs(Number(summary.durationNs) / 1e6)}</span>
      <span>${summary.spanCount} spans</span>
      <span
        >${summary.errorCount > 0 ? html`<span class="error">${summary.errorCount} with errors</span>` : 'no errors'}</span
      >
      <a href="/api/v3/traces/${traceId}">JSON</a>
    </div>
    <p aria-label="Services">
      ${[...summary.services].map(([service, count]) => html`<span class="badge" style="background:${colour(service)}">${service} (${count})</span>`)}
    </p>
    <p class="visually-hidden">
      Each row is a span: its service and name, its duration, and a bar placed on the trace's time line. Rows
      with children collapse and expand; a span's name opens its details.
    </p>
    <div class="ruler" aria-hidden="true">
      <span>Service: span</span><span>Duration</span><span class="ticks">${ticks}</span>
    </div>
    <ul class="waterfall" aria-label="Waterfall">
      ${treeOf(spans).map(row)}
    </ul>`;
  return page(`${summary.rootName} (${traceId.slice(0, 8)})`, 'trace', body, script);
}
