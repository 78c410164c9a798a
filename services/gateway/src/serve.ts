import { packageVersion } from '@mesh/config';
import { createApp, closeServers, listen, listenMetrics } from '@mesh/server';
import type { BootContext, RunningService } from '@mesh/tracing';
import type { Server } from 'node:http';
import type { GatewayConfig } from './config';
import { httpAgent, httpsAgent } from './outbound';
import { recordUnparsedRequest } from './refusal';
import { RuleRepository } from './rules/repository';
import { addApiRoutes } from './routes/api';
import { addProxyRoutes } from './routes/proxy';

export interface GatewayServers extends RunningService {
  proxyServer: Server;
  apiServer: Server;
  repository: RuleRepository;
}

/** Loads and watches the rules, then serves the proxy and the API ports. A bad rule file stops the start. */
export async function serve(
  config: GatewayConfig,
  { log }: Pick<BootContext, 'log'>,
): Promise<GatewayServers> {
  const repository = new RuleRepository(config, log);
  repository.watch();
  const version = packageVersion(__dirname);

  const proxyApp = createApp({ log, version, parseJson: false }, (app) =>
    addProxyRoutes(app, config, repository),
  );
  const apiApp = createApp({ log, version, parseJson: false }, (app) => addApiRoutes(app, repository));
  const proxyServer = await listen(proxyApp, { ...config.serve.proxy, log, name: 'proxy' });
  const apiServer = await listen(apiApp, { ...config.serve.api, log, name: 'api' });
  for (const server of [proxyServer, apiServer]) {
    server.on('clientError', recordUnparsedRequest);
    // A client that half-closes after a complete request (shutdown(SHUT_WR)) still gets its answer; node's
    // default would abort the request when the FIN arrives.
    (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  }
  const { metrics_path: path, ...prometheus } = config.serve.prometheus;
  const metricsServer = await listenMetrics({ ...prometheus, path, log });
  return {
    proxyServer,
    apiServer,
    repository,
    async stop() {
      repository.close();
      await closeServers([proxyServer, apiServer, metricsServer]);
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
