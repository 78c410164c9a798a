import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freeMeshPorts, startMesh, type Mesh } from '../src/mesh';

const demoScript = join(__dirname, '..', 'src', 'demo.js');

/** Runs `npm run demo`'s script against the mesh; resolves with its exit code and output. */
async function runDemo(mesh: Mesh): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [demoScript], {
    env: {
      ...process.env,
      GATEWAY_URL: mesh.urls.gateway,
      IDENTITY_ADMIN_URL: mesh.urls.identityAdmin,
      PERMISSION_WRITE_URL: mesh.urls.permissionWrite,
      DOCUMENTS_ADMIN_URL: mesh.urls.documentsAdmin,
      OAUTH2_PUBLIC_URL: mesh.urls.oauth2Public,
      OAUTH2_ADMIN_URL: mesh.urls.oauth2Admin,
      TRACE_QUERY_URL: mesh.sink.queryUrl,
      JAEGER_UI_URL: 'http://jaeger.example:16686',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

describe('npm run demo', () => {
  let mesh: Mesh;
  let firstAliceId: string | undefined;
  let firstOutput = '';
  before(async () => {
    mesh = await startMesh({ ports: await freeMeshPorts(), dsn: () => 'memory', bcryptCost: 4 });
  });
  after(() => mesh?.stop());

  test('prints the five requests with their statuses, trace links and a waterfall of every service each', async () => {
    const { code, output } = await runDemo(mesh);
    assert.equal(code, 0, output);
    firstAliceId = output.match(/alice = (\S+)/)?.[1];
    firstOutput = output;
    const expected: [string, number, string[]][] = [
      ['alice → GET /documents/doc-1', 200, ['gateway', 'identity', 'permission', 'documents']],
      ['bob → GET /documents/doc-1', 403, ['gateway', 'identity', 'permission']],
      ['bob → GET /documents/doc-2', 200, ['gateway', 'identity', 'permission', 'documents']],
      ['anonymous → GET /documents/doc-1', 401, ['gateway']],
      ['bob → GET /documents/doc-3', 200, ['gateway', 'identity', 'permission', 'documents']],
    ];
    const sections = output.split(/\n(?=[✔✘] )/).slice(1);
    assert.equal(sections.length, 9, output);
    expected.forEach(([request, status, services], index) => {
      const section = sections[index] ?? '';
      assert.ok(section.startsWith(`✔ ${request}: ${status}\n`), section);
      const traceId = section.match(/^ {2}trace ([0-9a-f]{32})$/m)?.[1];
      assert.ok(traceId, `${request}: prints the trace id`);
      assert.ok(
        section.includes(`  http://jaeger.example:16686/trace/${traceId}\n`),
        `${request}: prints the link`,
      );
      assert.match(
        section,
        new RegExp(
          `^trace ${traceId}  \\d+ spans  ${services.length} services \\(${services.join(', ')}\\)`,
          'm',
        ),
      );
      if (status !== 401)
        assert.match(section, /^(identity|permission)\s+C\s+.*\|\s+sqlite$/m, `${request}: SQL spans`);
    });
    assert.match(sections[4] ?? '', /permission\.traverse/, 'the folder chain is in the waterfall');
    assert.match(output, /every request got the expected status/);
  });

  test("prints the machine's token trace, its allowed and denied requests through the gateway, and the seed's duplicate POST /admin/clients (409)", async () => {
    const output = firstOutput;
    assert.ok(output, 'the first run printed its output');
    const sections = output.split(/\n(?=[✔✘] )/).slice(1);
    const token = sections.find((section) => section.startsWith('✔ demo-machine → POST /oauth2/token')) ?? '';
    assert.match(token, /: 200\n/, output);
    assert.match(token, /^oauth2\s+S\s+POST \/oauth2\/token/m, 'the token endpoint server span');
    assert.match(token, /^oauth2\s+I\s+hash\.Compare/m, 'the bcrypt comparison of the client secret');
    const machineRequests: [string, number, string[]][] = [
      ['GET /api/documents/doc-1', 200, ['gateway', 'oauth2', 'permission', 'documents']],
      ['GET /api/documents/doc-2', 403, ['gateway', 'oauth2', 'permission']],
    ];
    for (const [request, status, services] of machineRequests) {
      const section = sections.find((candidate) => candidate.startsWith(`✔ demo-machine → ${request}`)) ?? '';
      assert.match(section, new RegExp(`: ${status}\\n`), output);
      assert.match(
        section,
        new RegExp(
          `^trace [0-9a-f]{32} {2}\\d+ spans {2}${services.length} services \\(${services.join(', ')}\\)`,
          'm',
        ),
      );
      assert.match(section, /^gateway\s+I\s+authn\.oauth2_introspection/m);
      assert.match(section, /^oauth2\s+S\s+POST \/admin\/oauth2\/introspect/m);
    }
    const seed =
      sections.find((section) => section.startsWith("✔ the seed's example: POST /admin/clients")) ?? '';
    assert.match(seed, /: 409\n/, output);
    assert.match(seed, /^trace [0-9a-f]{32} {2}\d+ spans {2}1 services \(oauth2\)/m);
    assert.match(seed, /^oauth2\s+S\s+POST \/admin\/clients.*\b409\b/m, 'the root span with its 409');
    assert.match(seed, /^oauth2\s+I\s+hash\.Generate/m);
    assert.match(seed, /^oauth2\s+C\s+INSERT hydra_client.*\|\s+✗ sqlite$/m, 'the SQL span');
  });

  test('seeds idempotently: a second run finds the same identities and succeeds', async () => {
    assert.ok(firstAliceId, 'the first run printed alice');
    const { code, output } = await runDemo(mesh);
    assert.equal(code, 0, output);
    assert.equal(output.match(/alice = (\S+)/)?.[1], firstAliceId);
  });
});
