import { html, type Html } from '@mesh/html';
import { formatMs, isoOf, parseDuration, serviceColours } from './format';
import { page } from './layout';
import type { TraceIndex, TraceQuery } from './model';

/** The search form's fields, as Jaeger's UI names them in its URL. */
export interface SearchForm {
  service: string;
  operation: string;
  tags: string;
  error: string;
  minDuration: string;
  maxDuration: string;
  limit: string;
}

/** The query of a search form, or the message that says which field is wrong. */
export function queryOfForm(form: SearchForm): { query: TraceQuery } | { problem: string } {
  const query: TraceQuery = { limit: 20 };
  if (form.service) query.service = form.service;
  if (form.operation) query.operation = form.operation;
  if (form.tags.trim()) {
    query.attributes = {};
    // logfmt-ish, as Jaeger's UI: `key=value key2=value2`.
    for (const pair of form.tags.trim().split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at <= 0) return { problem: `Attribute filter "${pair}" is not key=value` };
      query.attributes[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  if (form.error === 'true' || form.error === 'false') query.error = form.error === 'true';
  else if (form.error) return { problem: 'Error must be any, yes or no' };
  for (const [field, target] of [
    ['minDuration', 'minDurationMs'],
    ['maxDuration', 'maxDurationMs'],
  ] as const) {
    const text = form[field];
    if (!text) continue;
    const ms = parseDuration(text);
    if (ms === undefined) return { problem: `${field} "${text}" is not a duration like 10ms, 1.5s or 250us` };
    query[target] = ms;
  }
  if (form.limit) {
    const limit = Number(form.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1500) return { problem: 'Limit must be 1 to 1500' };
    query.limit = limit;
  }
  return { query };
}

export const formOf = (params: URLSearchParams): SearchForm => ({
  service: params.get('service') ?? '',
  operation: params.get('operation') ?? '',
  tags: params.get('tags') ?? '',
  error: params.get('error') ?? '',
  minDuration: params.get('minDuration') ?? '',
  maxDuration: params.get('maxDuration') ?? '',
  limit: params.get('limit') ?? '',
});

export function searchPage(index: TraceIndex, form: SearchForm): { status: number; body: Html } {
  const services = index.services();
  const operations = index.operations(form.service || undefined);
  const colour = serviceColours(services);
  const parsed = queryOfForm(form);
  const results = 'query' in parsed ? index.search(parsed.query) : [];
  const option = (value: string, label: string, selected: string) =>
    html`<option value="${value}" ${value === selected ? html`selected` : ''}>${label}</option>`;
  const longest = Math.max(1, ...results.map(({ summary }) => Number(summary.durationNs)));
  const body = html`<h1>Search traces</h1>
    <form class="filters" method="get" action="/search" role="search" aria-label="Trace filters">
      <label
        >Service<select name="service">
          ${option('', 'any', form.service)}${services.map((service) => option(service, service, form.service))}
        </select></label
      >
      <label
        >Operation<input name="operation" list="operations" value="${form.operation}" placeholder="any"
      /></label>
      <datalist id="operations">
        ${[...new Set(operations.map((operation) => operation.name))].map((name) => html`<option value="${name}"></option>`)}
      </datalist>
      <label
        >Attribute (key=value)<input
          name="tags"
          value="${form.tags}"
          placeholder="http.response.status_code=403"
      /></label>
      <label
        >Error<select name="error">
          ${option('', 'any', form.error)}${option('true', 'yes', form.error)}${option('false', 'no', form.error)}
        </select></label
      >
      <label
        >Min duration<input name="minDuration" value="${form.minDuration}" placeholder="e.g. 10ms" size="8"
      /></label>
      <label
        >Max duration<input name="maxDuration" value="${form.maxDuration}" placeholder="e.g. 1.5s" size="8"
      /></label>
      <label
        >Limit<input name="limit" type="number" min="1" max="1500" value="${form.limit || '20'}" size="5"
      /></label>
      <button type="submit">Find traces</button>
    </form>
    ${'problem' in parsed ? html`<p role="alert" class="error">${parsed.problem}</p>` : ''}
    <p aria-live="polite">
      ${results.length}
      trace${results.length === 1 ? '' : 's'}${'query' in parsed && results.length === parsed.query.limit ? ' (the most recent; raise the limit for more)' : ''}
    </p>
    <table>
      <caption class="visually-hidden">
        Matching traces, most recent first
      </caption>
      <thead>
        <tr>
          <th scope="col">Trace</th>
          <th scope="col">Services</th>
          <th scope="col">Start</th>
          <th scope="col" class="num">Duration</th>
          <th scope="col" class="num">Spans</th>
          <th scope="col">Errors</th>
        </tr>
      </thead>
      <tbody>
        ${results.map(({ summary }) => {
          const durationMs = Number(summary.durationNs) / 1e6;
          return html`<tr>
            <td>
              <a href="/trace/${summary.traceId}"
                ><span
                  class="swatch"
                  style="background:${colour(summary.rootService)}"
                  aria-hidden="true"
                ></span
                >${summary.rootService}: ${summary.rootName}</a
              >
              <div class="mono">${summary.traceId.slice(0, 12)}…</div>
            </td>
            <td>
              ${[...summary.services].map(([service, count]) => html`<span class="badge" style="background:${colour(service)}">${service} ${count}</span>`)}
            </td>
            <td class="mono">${isoOf(summary.startNs).replace('T', ' ').replace('Z', '')}</td>
            <td class="num">
              ${formatMs(durationMs)}
              <div class="track" aria-hidden="true">
                <div
                  class="bar"
                  style="left:0;width:${((Number(summary.durationNs) / longest) * 100).toFixed(2)}%;background:${colour(summary.rootService)}"
                ></div>
              </div>
            </td>
            <td class="num">${summary.spanCount}</td>
            <td>
              ${summary.errorCount > 0 ? html`<span class="error">${summary.errorCount} error${summary.errorCount === 1 ? '' : 's'}</span>` : 'none'}
            </td>
          </tr>`;
        })}
      </tbody>
    </table>`;
  return { status: 'problem' in parsed ? 400 : 200, body: page('Search', 'search', body) };
}
