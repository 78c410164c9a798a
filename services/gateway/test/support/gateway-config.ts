import { loadConfig } from '@mesh/config';
import { gatewaySchema, type GatewayConfig } from '../../src/config';

/**
 * The gateway's config for a test: every listener on a free port, the rules from one file, then the
 * test's own flags (timeouts, handler config).
 */
export function testGatewayConfig(rulesFile: string, flags: readonly string[] = []): GatewayConfig {
  return loadConfig<GatewayConfig>({
    schema: gatewaySchema,
    env: {},
    flags: [
      'serve.proxy.port=0',
      'serve.api.port=0',
      'serve.prometheus.port=0',
      `access_rules.repositories=file://${rulesFile}`,
      ...flags,
    ],
  });
}
