import { html, type Html } from '@mesh/html';
import { formatMs, serviceColours } from './format';
import { page } from './layout';
import type { ServiceGraph } from './dependencies';

/** Layers from the services nobody calls (or, in a cycle, the most-calling one), breadth first. */
function layersOf(graph: ServiceGraph): string[][] {
  const callers = new Map<string, Set<string>>();
  const callees = new Map<string, Set<string>>();
  for (const edge of graph.edges) {
    (callers.get(edge.child) ?? callers.set(edge.child, new Set()).get(edge.child)!).add(edge.parent);
    (callees.get(edge.parent) ?? callees.set(edge.parent, new Set()).get(edge.parent)!).add(edge.child);
  }
  const depth = new Map<string, number>();
  const remaining = new Set(graph.services);
  while (remaining.size > 0) {
    const starts = [...remaining].filter(
      (service) =>
        !(callers.get(service)?.size ?? 0) ||
        ![...callers.get(service)!].some((caller) => remaining.has(caller) && caller !== service),
    );
    const seeds =
      starts.length > 0
        ? starts
        : [[...remaining].sort((a, b) => (callees.get(b)?.size ?? 0) - (callees.get(a)?.size ?? 0))[0]!];
    const queue = seeds.map((service) => ({
      service,
      level: Math.max(0, ...[...(callers.get(service) ?? [])].map((caller) => (depth.get(caller) ?? -1) + 1)),
    }));
    while (queue.length > 0) {
      const { service, level } = queue.shift()!;
      if (!remaining.has(service)) continue;
      remaining.delete(service);
      depth.set(service, level);
      for (const callee of callees.get(service) ?? [])
        if (remaining.has(callee)) queue.push({ service: callee, level: level + 1 });
    }
  }
  // A service a same-layer service calls moves one layer right (web → identity beside gateway → identity),
  // a bounded number of times so that a cycle between two services stops.
  const firstDepth = new Map(depth);
  for (let round = 0; round < graph.services.length; round += 1) {
    for (const edge of graph.edges) {
      if (edge.parent === edge.child || firstDepth.get(edge.child)! < firstDepth.get(edge.parent)!) continue;
      if (depth.get(edge.child)! <= depth.get(edge.parent)!)
        depth.set(edge.child, depth.get(edge.parent)! + 1);
    }
  }
  const layers: string[][] = [];
  for (const [service, level] of depth) (layers[level] ??= []).push(service);
  return layers.filter(Boolean).map((layer) => layer.sort());
}

function graphSvg(graph: ServiceGraph, colour: (service: string) => string): Html {
  const layers = layersOf(graph);
  const columnWidth = 220;
  const rowHeight = 110;
  const width = Math.max(layers.length * columnWidth, 300);
  const height = Math.max(...layers.map((layer) => layer.length), 1) * rowHeight + 20;
  const position = new Map<string, { x: number; y: number }>();
  layers.forEach((layer, column) =>
    layer.forEach((service, row) =>
      position.set(service, {
        x: column * columnWidth + 90,
        y: (height - layer.length * rowHeight) / 2 + row * rowHeight + rowHeight / 2,
      }),
    ),
  );
  const edges = graph.edges.map((edge) => {
    const from = position.get(edge.parent)!;
    const to = position.get(edge.child)!;
    const back = to.x <= from.x;
    // A call back to an earlier column (web → gateway → web) bends below, so both directions stay readable.
    // A call that skips a column bends above, clear of the services in between.
    const bend = back ? 60 : to.x - from.x > columnWidth ? -45 : 0;
    const midX = (from.x + to.x) / 2;
    const midY = (from.y + to.y) / 2 + bend;
    const path = `M ${from.x + (back ? 0 : 70)} ${from.y + (back ? 22 : 0)} Q ${midX} ${midY + bend} ${to.x - (back ? 0 : 70)} ${to.y + (back ? 22 : 0)}`;
    return html`<g
      ><path
        d="${path}"
        fill="none"
        stroke="${edge.errors > 0 ? '#b42318' : '#57606a'}"
        stroke-width="${Math.min(1.5 + Math.log10(edge.calls + 1), 5).toFixed(1)}"
        marker-end="url(#arrow)"
      /><text x="${midX}" y="${midY - 6}" text-anchor="middle"
        >${edge.calls}
        call${edge.calls === 1 ? '' : 's'}${edge.errors > 0 ? `, ${edge.errors} error${edge.errors === 1 ? '' : 's'}` : ''}</text
      ></g
    >`;
  });
  const nodes = [...position].map(
    ([service, { x, y }]) =>
      html`<g
        ><rect x="${x - 70}" y="${y - 20}" width="140" height="40" rx="8" fill="${colour(service)}" /><text
          x="${x}"
          y="${y + 4}"
          text-anchor="middle"
          fill="#fff"
          font-weight="600"
          >${service}</text
        ></g
      >`,
  );
  const description = graph.edges
    .map((edge) => `${edge.parent} calls ${edge.child} ${edge.calls} times (${edge.errors} errors)`)
    .join('; ');
  return html`<svg
    role="img"
    aria-labelledby="graph-title graph-description"
    viewBox="0 0 ${width} ${height + 60}"
    width="${width}"
    height="${height + 60}"
  >
    <title id="graph-title">Service dependency graph</title>
    <desc id="graph-description">${description || 'No calls between services yet'}</desc>
    <defs>
      <marker
        id="arrow"
        viewBox="0 0 10 10"
        refX="10"
        refY="5"
        markerWidth="8"
        markerHeight="8"
        orient="auto-start-reverse"
      >
        <path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a" />
      </marker>
    </defs>
    ${edges}${nodes}
  </svg>`;
}

export function dependenciesPage(graph: ServiceGraph, serviceFilter: string): Html {
  const colour = serviceColours(graph.services);
  const operations = graph.operations.filter(
    (operation) => !serviceFilter || operation.service === serviceFilter,
  );
  const body = html`<h1>Services</h1>
    <p>
      From the ${graph.traceCount} stored traces, covering ${graph.windowSeconds.toFixed(0)} s. An arrow is a
      call from one service's span to a span of another.
    </p>
    ${graph.services.length > 0 ? graphSvg(graph, colour) : html`<p>No traces yet.</p>`}
    <h2>Calls between services</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">Caller</th>
          <th scope="col">Callee</th>
          <th scope="col" class="num">Calls</th>
          <th scope="col" class="num">Errors</th>
        </tr>
      </thead>
      <tbody>
        ${graph.edges.map(
          (edge) =>
            html`<tr>
              <td>${edge.parent}</td>
              <td>${edge.child}</td>
              <td class="num">${edge.calls}</td>
              <td class="num ${edge.errors > 0 ? 'error' : ''}">${edge.errors}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2 id="operations">Operations</h2>
    <form class="filters" method="get" action="/dependencies#operations">
      <label
        >Service<select name="service">
          <option value="">all</option>
          ${graph.services.map((service) => html`<option value="${service}" ${service === serviceFilter ? html`selected` : ''}>${service}</option>`)}
        </select></label
      >
      <button type="submit">Show</button>
    </form>
    <table>
      <caption class="visually-hidden">
        Rate, errors and latency per operation
      </caption>
      <thead>
        <tr>
          <th scope="col">Service</th>
          <th scope="col">Operation</th>
          <th scope="col">Kind</th>
          <th scope="col" class="num">Spans</th>
          <th scope="col" class="num">Rate (/s)</th>
          <th scope="col" class="num">Errors</th>
          <th scope="col" class="num">p50</th>
          <th scope="col" class="num">p99</th>
        </tr>
      </thead>
      <tbody>
        ${operations.map(
          (operation) =>
            html`<tr>
              <td>
                <span class="swatch" style="background:${colour(operation.service)}" aria-hidden="true"></span
                >${operation.service}
              </td>
              <td>
                <a
                  href="/search?service=${encodeURIComponent(operation.service)}&operation=${encodeURIComponent(operation.operation)}"
                  >${operation.operation}</a
                >
              </td>
              <td>${operation.spanKind}</td>
              <td class="num">${operation.count}</td>
              <td class="num">${operation.ratePerSecond.toFixed(3)}</td>
              <td class="num ${operation.errors > 0 ? 'error' : ''}">
                ${operation.errors} (${((operation.errors / operation.count) * 100).toFixed(1)}%)
              </td>
              <td class="num">${formatMs(operation.p50Ms)}</td>
              <td class="num">${formatMs(operation.p99Ms)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
  return page('Services', 'dependencies', body);
}
