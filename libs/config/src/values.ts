import { ConfigError } from './errors';

export type ConfigObject = { [key: string]: unknown };

export function isPlainObject(value: unknown): value is ConfigObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Later sources win key by key; objects merge, everything else replaces. */
export function deepMerge(...sources: ConfigObject[]): ConfigObject {
  const out: ConfigObject = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      const current = out[key];
      out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
    }
  }
  return out;
}

export function setPath(target: ConfigObject, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (!isPlainObject(next)) node[part] = {};
    node = node[part] as ConfigObject;
  }
  node[parts[parts.length - 1] as string] = value;
}

export function getPath(source: ConfigObject, path: string): unknown {
  let node: unknown = source;
  for (const part of path.split('.')) {
    if (!isPlainObject(node)) return undefined;
    node = node[part];
  }
  return node;
}

/** Casts a string from the environment or a flag to the schema's type, so `"4433"` becomes 4433. */
export function castToType(path: string, type: string, raw: string): unknown {
  switch (type) {
    case 'integer':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) throw new ConfigError(path, raw, `a ${type}`);
      return n;
    }
    case 'boolean': {
      const lowered = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lowered)) return true;
      if (['false', '0', 'no', 'off', ''].includes(lowered)) return false;
      throw new ConfigError(path, raw, 'a boolean (true or false)');
    }
    case 'array':
      // Ory accepts a JSON array in env for lists of objects (NAMESPACES='[{"id":0,"name":"documents"}]').
      if (raw.trim().startsWith('[')) {
        try {
          return JSON.parse(raw) as unknown;
        } catch {
          throw new ConfigError(path, raw, 'a JSON array or a comma-separated list');
        }
      }
      return raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    default:
      return raw;
  }
}
