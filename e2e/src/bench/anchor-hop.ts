import { loadConfig } from '@mesh/config';
import { createLogger, startTracing, tracingSchema, type TracingConfig } from '@mesh/tracing';

/**
 * One process of the bench's anchor chain: `back` answers a small JSON body; `front` calls `back` over a
 * keep-alive pool for every request and answers with what it got (one server hop and one client hop).
 * With TRACING_PROVIDER set, the project's tracing setup (libs/tracing: the same instrumentations,
 * propagators, sampler and batch processor as the services) starts first. ANCHOR_INTERNAL_SPANS makes
 * `back` record that many INTERNAL spans with a few attributes per request, the shape of the mesh's
 * handler, SQL and OPL step spans. Prints `{"listening": port}` once it serves.
 */
const role = process.env.ANCHOR_ROLE === 'front' ? 'front' : 'back';
const next = process.env.ANCHOR_NEXT ?? '';
const internalSpans = Number(process.env.ANCHOR_INTERNAL_SPANS ?? 0);
const body = JSON.stringify({ id: 'doc-1', title: 'hello', body: 'a small document', owner: 'alice' });

const log = createLogger(`anchor-${role}`, 'warn');
const tracing = startTracing(
  loadConfig<{ tracing: TracingConfig }>({
    schema: { type: 'object', properties: { tracing: tracingSchema } },
  }).tracing,
  { name: `anchor-${role}`, version: '0.0.0' },
  { log },
);

async function main(): Promise<void> {
  // Loaded after the SDK, as the services do, so that the http instrumentation patches it.
  const http = await import('node:http');
  const { trace } = await import('@opentelemetry/api');
  const tracer = trace.getTracer('anchor');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  const recordInternalSpans = (request: number) => {
    for (let step = 0; step < internalSpans; step += 1) {
      tracer.startActiveSpan(
        'anchor.step',
        { attributes: { 'anchor.step': step, 'anchor.request': request, 'anchor.kind': 'internal' } },
        (span) => {
          span.setAttribute('anchor.done', true);
          span.end();
        },
      );
    }
  };

  let served = 0;
  const server = http.createServer((request, response) => {
    served += 1;
    if (role === 'back') {
      recordInternalSpans(served);
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
      return;
    }
    const call = http.request(`${next}${request.url ?? '/'}`, { agent }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const answered = Buffer.concat(chunks);
        response.writeHead(answer.statusCode ?? 502, {
          'content-type': 'application/json',
          'content-length': answered.length,
        });
        response.end(answered);
      });
    });
    call.on('error', () => {
      response.writeHead(502);
      response.end();
    });
    call.end();
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(
      `${JSON.stringify({ listening: typeof address === 'object' && address ? address.port : 0 })}\n`,
    );
  });
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => void tracing.shutdown(2_000).then(() => process.exit(0)));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`anchor ${role} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
