import { demoMachine } from './demo-data';
import { duplicateClient, getDocumentAsMachine, machineToken, seedMachine } from './machine-client';
import type { MeshUrls } from './mesh-client';

export interface DemoOutput {
  print: (line?: string) => void;
  /** Prints a trace's id, its Jaeger link and its waterfall. */
  showTrace: (traceId: string | undefined) => Promise<void>;
}

/**
 * The demo's machine part: the OAuth2 client and its tuple, a token from the client credentials grant (the
 * seed's "token endpoint" bcrypt span), an allowed and a denied machine request through the gateway (its
 * oauth2_introspection authenticator), and the seed's own example, a duplicate `POST /admin/clients`
 * answered with 409. Returns how many steps got an unexpected status.
 */
export async function runMachineDemo(urls: MeshUrls, { print, showTrace }: DemoOutput): Promise<number> {
  let failures = 0;
  await seedMachine(urls);
  print();
  print(
    `machine ${demoMachine.clientId}: OAuth2 client, may view ${demoMachine.allowed} (oauth2 ${urls.oauth2Public})`,
  );
  const token = await machineToken(urls);
  print(
    `✔ ${demoMachine.clientId} → POST /oauth2/token (client_credentials, scope ${demoMachine.scope}): ${token.status}`,
  );
  await showTrace(token.traceId);

  for (const [document, expect] of [
    [demoMachine.allowed, 200],
    [demoMachine.denied, 403],
  ] as const) {
    const response = await getDocumentAsMachine(urls, document, token.accessToken);
    const ok = response.status === expect;
    if (!ok) failures += 1;
    print();
    print(
      `${ok ? '✔' : '✘'} ${demoMachine.clientId} → GET /api/documents/${document} (Bearer access token): ${response.status}${ok ? '' : ` (expected ${expect})`}`,
    );
    await showTrace(response.traceId);
  }

  print();
  const duplicate = await duplicateClient(urls);
  const seedOk = duplicate.status === 409;
  if (!seedOk) failures += 1;
  print(
    `${seedOk ? '✔' : '✘'} the seed's example: POST /admin/clients with an existing client_id: ${duplicate.status}${seedOk ? '' : ' (expected 409)'}`,
  );
  await showTrace(duplicate.traceId);
  return failures;
}
