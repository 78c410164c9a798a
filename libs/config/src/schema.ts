/** A JSON Schema node as this project writes them: objects of leaves with types, enums and defaults. */
export interface SchemaNode {
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array';
  description?: string;
  default?: unknown;
  enum?: readonly unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  required?: readonly string[];
  examples?: readonly unknown[];
  /** Extra env names that also set this key (vendor conventions such as DD_SERVICE), lowest precedence first. */
  'x-env-aliases'?: readonly string[];
  /** The value is a secret: it is never printed, not even in a config error. */
  'x-secret'?: boolean;
}

/** One configurable leaf: where it lives, how to set it from the environment, what it accepts. */
export interface ConfigKey {
  path: string;
  env: string;
  type: string;
  allowed: readonly unknown[] | undefined;
  default: unknown;
  description: string;
  aliases: readonly string[];
  secret: boolean;
}

/** Ory's rule: the env name is the path upper-cased with every `.` (and `_`, `-`) as `_`. */
export function envNameOf(path: string): string {
  return path.replace(/[.-]/g, '_').toUpperCase();
}

/** Every leaf of the schema, depth first, in declaration order. */
export function configKeys(schema: SchemaNode, prefix = ''): ConfigKey[] {
  if (schema.type === 'object' && schema.properties) {
    return Object.entries(schema.properties).flatMap(([name, child]) =>
      configKeys(child, prefix ? `${prefix}.${name}` : name),
    );
  }
  return [
    {
      path: prefix,
      env: envNameOf(prefix),
      type: schema.type ?? 'string',
      allowed: schema.enum,
      default: schema.default,
      description: schema.description ?? '',
      aliases: schema['x-env-aliases'] ?? [],
      secret: schema['x-secret'] === true,
    },
  ];
}
