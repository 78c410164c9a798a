import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@mesh/testkit';
import { freeMeshPorts, startMesh, type Mesh } from '../src/mesh';
import { getDocument, login, seedDemo, type TracedResponse } from '../src/mesh-client';
import { metricsEndpoints } from '../src/metrics-endpoints';
import { traceIdOf } from '../src/trace-query';
import { find, parseOpenMetrics, total, type Exposition } from '../src/openmetrics';

type Scraped = 'identity' | 'permission' | 'gateway' | 'documents' | 'oauth2';

function endpoints(mesh: Mesh): Record<Scraped, string> {
  const urls = metricsEndpoints(mesh);
  const all = {
    identity: urls.identity,
    permission: urls.permission,
    gateway: urls.gateway,
    documents: urls.documents,
    oauth2: urls.oauth2,
  };
  for (const [service, url] of Object.entries(all)) assert.ok(url, `${service} has a metrics endpoint`);
  return all as Record<Scraped, string>;
}

async function scrape(url: string): Promise<Exposition> {
  const response = await fetch(url, { headers: { accept: 'application/openmetrics-text' } });
  assert.equal(response.status, 200, url);
  assert.match(response.headers.get('content-type') ?? '', /^application\/openmetrics-text; version=1\.0\.0/);
  const exposition = parseOpenMetrics(await response.text());
  assert.ok(exposition.terminated, `${url} ends with # EOF`);
  return exposition;
}

const duration = 'http_server_request_duration_seconds_count';

describe('Prometheus metrics after the end-to-end flows', () => {
  let mesh: Mesh;
  let before_: Exposition;
  const after_ = {} as Record<Scraped, Exposition>;
  const responses: TracedResponse[] = [];

  before(async () => {
    mesh = await startMesh({
      ports: await freeMeshPorts(),
      dsn: () => 'memory',
      bcryptCost: 4,
      readyTimeoutMs: 60_000,
    });
    before_ = await scrape(endpoints(mesh).gateway);
    await seedDemo(mesh.urls);
    const alice = await login(mesh.urls.gateway, 'alice');
    const bob = await login(mesh.urls.gateway, 'bob');
    const discovery = await fetch(`${mesh.urls.oauth2Public}/.well-known/openid-configuration`);
    assert.equal(discovery.status, 200);
    const discoveryTrace = traceIdOf(discovery.headers);
    assert.ok(discoveryTrace, 'the discovery answer names its trace');
    responses.push(
      await getDocument(mesh.urls.gateway, 'doc-1', alice.sessionToken),
      await getDocument(mesh.urls.gateway, 'doc-1', bob.sessionToken),
      await getDocument(mesh.urls.gateway, 'doc-1', undefined),
    );
    assert.deepEqual(
      responses.map((response) => response.status),
      [200, 403, 401],
    );
    // The spans of the flows (oauth2's discovery too: its exporter counts spans once it has sent them) are
    // in the sink before the exemplars and the span counters are looked up.
    await waitFor(
      async () =>
        [...responses.map((response) => response.traceId), discoveryTrace].every(
          (traceId) => traceId && mesh.sink.trace(traceId),
        )
          ? true
          : undefined,
      'the flows’ traces in the sink',
    );
    for (const [service, url] of Object.entries(endpoints(mesh)) as [Scraped, string][])
      after_[service] = await scrape(url);
  });
  after(() => mesh?.stop());

  test('every service has the HTTP server histogram with the route and status of the requests just made', () => {
    const expected: [Scraped, Record<string, string>][] = [
      ...['200', '403', '401'].map((status): [Scraped, Record<string, string>] => [
        'gateway',
        { http_request_method: 'GET', http_route: '/documents/<[^/]+>', http_response_status_code: status },
      ]),
      [
        'gateway',
        { http_request_method: 'POST', http_route: '/self-service/<.+>', http_response_status_code: '200' },
      ],
      [
        'identity',
        { http_request_method: 'GET', http_route: '/sessions/whoami', http_response_status_code: '200' },
      ],
      [
        'identity',
        { http_request_method: 'POST', http_route: '/self-service/login', http_response_status_code: '200' },
      ],
      [
        'identity',
        { http_request_method: 'GET', http_route: '/admin/identities', http_response_status_code: '200' },
      ],
      [
        'permission',
        {
          http_request_method: 'POST',
          http_route: '/relation-tuples/check',
          http_response_status_code: '200',
        },
      ],
      [
        'permission',
        {
          http_request_method: 'POST',
          http_route: '/relation-tuples/check',
          http_response_status_code: '403',
        },
      ],
      [
        'documents',
        {
          http_request_method: 'GET',
          http_route: '/documents/:id',
          http_response_status_code: '200',
        },
      ],
      [
        'oauth2',
        {
          http_request_method: 'GET',
          http_route: '/.well-known/openid-configuration',
          http_response_status_code: '200',
        },
      ],
    ];
    for (const [service, labels] of expected) {
      assert.equal(after_[service].types.get('http_server_request_duration_seconds'), 'histogram');
      assert.ok(
        total(after_[service], duration, labels) >= 1,
        `${service}: ${JSON.stringify(labels)} in ${JSON.stringify(find(after_[service], duration))}`,
      );
    }
  });

  test('the gateway labels its proxied requests with the access rule’s route, never a raw path', () => {
    const routes = new Set(find(after_.gateway, duration).map((sample) => sample.labels.http_route));
    assert.ok(![...routes].some((route) => route?.includes('doc-1')), [...routes].join(', '));
    assert.ok(
      find(after_.gateway, duration, { http_response_status_code: '200' }).some((sample) =>
        sample.labels.http_route?.startsWith('/documents/'),
      ),
      [...routes].join(', '),
    );
  });

  test('histogram buckets carry exemplars whose trace_id is a trace the sink holds', () => {
    for (const service of ['gateway', 'identity', 'permission', 'documents'] as const) {
      const exemplars = find(after_[service], 'http_server_request_duration_seconds_bucket').flatMap(
        (sample) => (sample.exemplar ? [sample.exemplar] : []),
      );
      assert.ok(exemplars.length > 0, `${service} has exemplars`);
      for (const exemplar of exemplars) {
        assert.match(exemplar.labels.trace_id ?? '', /^[0-9a-f]{32}$/);
        assert.match(exemplar.labels.span_id ?? '', /^[0-9a-f]{16}$/);
      }
      assert.ok(
        exemplars.some((exemplar) => mesh.sink.trace(exemplar.labels.trace_id ?? '')),
        `${service}: an exemplar's trace is in the sink`,
      );
    }
  });

  test('the gateway’s decisions counter moved for allow and for deny, by rule', () => {
    const moved = (labels: Record<string, string>) =>
      total(after_.gateway, 'gateway_decisions_total', labels) -
      total(before_, 'gateway_decisions_total', labels);
    assert.ok(moved({ rule_id: 'documents', result: 'allow' }) >= 1, 'allow');
    assert.ok(moved({ rule_id: 'documents', result: 'deny' }) >= 2, 'deny (403 and 401)');
  });

  test('the span exporter’s queue and dropped-span counter are on every service', () => {
    for (const service of ['gateway', 'identity', 'permission', 'documents', 'oauth2'] as const) {
      const dropped = find(after_[service], 'otel_sdk_processor_span_processed_total', {
        error_type: 'queue_full',
      });
      assert.equal(dropped.length, 1, `${service}: the dropped-span series`);
      assert.equal(dropped[0]?.value, 0);
      assert.ok(
        total(after_[service], 'otel_sdk_processor_span_processed_total') > 0,
        `${service}: spans processed`,
      );
      assert.equal(find(after_[service], 'otel_sdk_processor_span_queue_capacity')[0]?.value, 4096);
      assert.equal(find(after_[service], 'otel_sdk_processor_span_queue_size').length, 1);
    }
  });

  test('database statements, bcrypt and outgoing requests are measured', () => {
    for (const service of ['identity', 'permission'] as const)
      assert.ok(
        total(after_[service], 'db_client_operation_duration_seconds_count', {
          db_system_name: 'sqlite',
          db_operation_name: 'SELECT',
        }) > 0,
        service,
      );
    assert.ok(total(after_.identity, 'bcrypt_duration_seconds_count', { bcrypt_operation: 'compare' }) >= 2);
    assert.equal(find(after_.identity, 'bcrypt_queue_depth').length, 1);
    assert.ok(
      total(after_.gateway, 'http_client_request_duration_seconds_count', {
        server_port: String(mesh.ports.identityPublic),
        http_response_status_code: '200',
      }) > 0,
      'gateway → identity',
    );
  });

  test('scrapes are neither traced nor counted', async () => {
    for (const url of Object.values(endpoints(mesh))) await scrape(url);
    // A traced request through every service after the scrapes: once its spans are in the sink, any span
    // the scrapes made would be there too (each service exports its spans in the order they end).
    const alice = await login(mesh.urls.gateway, 'alice');
    const probe = await getDocument(mesh.urls.gateway, 'doc-1', alice.sessionToken);
    await waitFor(async () => {
      const services = new Set(
        (mesh.sink.trace(probe.traceId ?? '')?.resourceSpans ?? []).flatMap((resource) =>
          (resource.resource?.attributes ?? [])
            .filter((attribute) => attribute.key === 'service.name')
            .map((attribute) => attribute.value?.stringValue),
        ),
      );
      return services.size === 4 ? true : undefined;
    }, 'the probe request’s spans from all four services');
    const scraped = (mesh.sink.store.all().resourceSpans ?? [])
      .flatMap((resource) => (resource.scopeSpans ?? []).flatMap((scope) => scope.spans ?? []))
      .filter((span) => /metrics/.test(span?.name ?? ''));
    assert.deepEqual(scraped, []);
    const counted = find(after_.identity, duration).filter((sample) =>
      /metrics|health/.test(sample.labels.http_route ?? ''),
    );
    assert.deepEqual(counted, []);
  });

  test('a metrics port answers only its path', async () => {
    const wrongPath = await fetch(`http://127.0.0.1:${mesh.ports.permissionMetrics}/metrics`);
    assert.equal(wrongPath.status, 404);
    assert.equal(((await wrongPath.json()) as { error: { code: number } }).error.code, 404);
    const post = await fetch(endpoints(mesh).gateway, { method: 'POST' });
    assert.equal(post.status, 405);
  });
});
