import { createRequire } from 'node:module';
import { join } from 'node:path';
import { configKeys, type ConfigKey, type SchemaNode } from '@mesh/config';
import type { ServiceName } from '@mesh/testkit';

/** The repo root, from e2e/dist/src. */
export const repoRoot = join(__dirname, '..', '..', '..');

/** Loads a built CommonJS module by path: e2e is not a service, so it may read the services' schemas. */
const loadBuiltModule = createRequire(__filename);

/** A service's config schema, from its built `config.js` (the export that holds the `tracing` block). */
export function serviceSchema(name: ServiceName): SchemaNode {
  const configModule = join(repoRoot, 'services', name, 'dist', 'src', 'config.js');
  const moduleExports = loadBuiltModule(configModule) as Record<string, unknown>;
  const schema = Object.values(moduleExports).find(
    (value): value is SchemaNode =>
      typeof value === 'object' &&
      value !== null &&
      (value as SchemaNode).type === 'object' &&
      (value as SchemaNode).properties?.tracing !== undefined,
  );
  if (!schema) throw new Error(`${configModule} exports no config schema with a tracing block`);
  return schema;
}

/** The port keys of a service, by listener name: `serve.public.port` → public; a lone `serve.port` → main. */
export function portKeys(name: ServiceName): Map<string, ConfigKey> {
  const ports = new Map<string, ConfigKey>();
  for (const key of configKeys(serviceSchema(name))) {
    const match = key.path.match(/^serve\.(?:(\w+)\.)?port$/);
    if (match) ports.set(match[1] ?? 'main', key);
  }
  return ports;
}

/** The env name of a config path, checked against the service's schema so a typo fails loudly. */
export function envOf(name: ServiceName, path: string): string {
  const key = configKeys(serviceSchema(name)).find((candidate) => candidate.path === path);
  if (!key) throw new Error(`${name} has no config key ${path}`);
  return key.env;
}

/** Whether the service's schema has a config key. */
export const hasKey = (name: ServiceName, path: string): boolean =>
  configKeys(serviceSchema(name)).some((key) => key.path === path);
