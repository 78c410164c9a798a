export { runServiceCli, type ServiceCommands } from './cli';
export { durationPattern, parseDuration } from './duration';
export { ConfigError } from './errors';
export { keysUnder, renderHelpSection, renderMarkdownTable } from './help';
export { loadConfig, type LoadConfigOptions } from './load';
export { configKeys, envNameOf, type ConfigKey, type SchemaNode } from './schema';
export { deepMerge, isPlainObject, type ConfigObject } from './values';
export {
  listenerSchema,
  dsnSchema,
  databaseSchema,
  logSchema,
  type DatabaseConfig,
  type ListenerConfig,
  type LogConfig,
} from './service-schema';
export { packageVersion } from './package-version';
