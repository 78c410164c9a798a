import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors';
import { configKeys, type ConfigKey, type SchemaNode } from './schema';
import { castToType, deepMerge, getPath, isPlainObject, setPath, type ConfigObject } from './values';

export interface LoadConfigOptions {
  schema: SchemaNode;
  /** Path of a YAML or JSON config file (`-c`). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** `path=value` pairs from `--set`, the highest precedence. */
  flags?: readonly string[];
}

/**
 * Resolves a service's configuration: flags > env > file > schema defaults, validated by the one schema.
 * Throws ConfigError with a single line naming the key, the value and what is allowed.
 */
export function loadConfig<T>(options: LoadConfigOptions): T {
  const keys = configKeys(options.schema);
  const merged = deepMerge(
    options.file ? readConfigFile(options.file) : {},
    envLayer(keys, options.env ?? process.env),
    flagLayer(keys, options.flags ?? []),
  );
  validate(options.schema, keys, merged);
  return merged as T;
}

function readConfigFile(file: string): ConfigObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('config file', file, `a readable file (${(error as NodeJS.ErrnoException).code})`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      'config file',
      file,
      `valid YAML or JSON (${(error as Error).message.split('\n')[0]})`,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed)) throw new ConfigError('config file', file, 'a mapping of keys');
  return parsed;
}

/** Ory's env rule; an env var that matches no key is ignored, as in Ory. */
function envLayer(keys: readonly ConfigKey[], env: NodeJS.ProcessEnv): ConfigObject {
  const layer: ConfigObject = {};
  for (const key of keys) {
    for (const name of [...key.aliases, key.env]) {
      const raw = env[name];
      if (raw !== undefined) setPath(layer, key.path, castToType(key.path, key.type, raw));
    }
  }
  return layer;
}

function flagLayer(keys: readonly ConfigKey[], flags: readonly string[]): ConfigObject {
  const layer: ConfigObject = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const path = eq < 0 ? flag : flag.slice(0, eq);
    const key = keys.find((candidate) => candidate.path === path);
    if (!key || eq < 0) throw new ConfigError('--set', flag, 'of the form key=value with a known key');
    setPath(layer, path, castToType(path, key.type, flag.slice(eq + 1)));
  }
  return layer;
}

const ajv = new Ajv({ useDefaults: true, allErrors: false, strict: true });
addFormats(ajv);
ajv.addKeyword('x-env-aliases');
ajv.addKeyword('x-secret');
const compiled = new WeakMap<SchemaNode, ReturnType<typeof ajv.compile>>();

function validate(schema: SchemaNode, keys: readonly ConfigKey[], config: ConfigObject): void {
  let check = compiled.get(schema);
  if (!check) {
    check = ajv.compile(withObjectDefaults(schema));
    compiled.set(schema, check);
  }
  if (check(config)) return;
  const error = check.errors?.[0];
  if (error) throw toConfigError(error, keys, config);
}

/** Ajv fills defaults only where the parent object exists, so every object defaults to `{}`. */
function withObjectDefaults(node: SchemaNode, isRoot = true): SchemaNode {
  if (node.type !== 'object' || !node.properties) return node;
  const properties = Object.fromEntries(
    Object.entries(node.properties).map(([name, child]) => [name, withObjectDefaults(child, false)]),
  );
  // Ajv ignores (and strict mode rejects) a default on the root; the root object always exists.
  return isRoot ? { ...node, properties } : { default: {}, ...node, properties };
}

function toConfigError(error: ErrorObject, keys: readonly ConfigKey[], config: ConfigObject): ConfigError {
  const path = error.instancePath.split('/').filter(Boolean).join('.');
  const secret = keys.some((key) => key.secret && key.path === path);
  const value = secret ? '***' : getPath(config, path);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'enum':
      // An empty string in an enum means "off"; it is the default, not a value anyone mistypes.
      return new ConfigError(
        path,
        value,
        `one of ${(params.allowedValues as unknown[]).filter((allowed) => allowed !== '').join(', ')}`,
      );
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const known = keys
        .filter((candidate) => candidate.path.startsWith(path ? `${path}.` : ''))
        .map((candidate) => candidate.path.slice(path ? path.length + 1 : 0).split('.')[0]);
      return new ConfigError(
        path ? `${path}.${extra}` : extra,
        'unknown key',
        `one of ${[...new Set(known)].join(', ')}`,
      );
    }
    case 'required':
      return new ConfigError(
        path ? `${path}.${String(params.missingProperty)}` : String(params.missingProperty),
        undefined,
        'optional (the key is required)',
      );
    case 'type':
      return new ConfigError(path, value, `a ${String(params.type)}`);
    case 'minimum':
    case 'maximum':
      return new ConfigError(path, value, `${String(params.comparison)} ${String(params.limit)}`);
    case 'pattern':
      return new ConfigError(path, value, `matching ${String(params.pattern)}`);
    case 'format':
      return new ConfigError(path, value, `a valid ${String(params.format)}`);
    default:
      return new ConfigError(path, value, `valid (${error.message ?? error.keyword})`);
  }
}
