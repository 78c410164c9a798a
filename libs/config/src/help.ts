import { configKeys, type ConfigKey, type SchemaNode } from './schema';

function describeDefault(key: ConfigKey): string {
  if (key.default === undefined || key.default === '') return '(none)';
  return typeof key.default === 'string' ? key.default : JSON.stringify(key.default);
}

function describeAllowed(key: ConfigKey): string {
  if (key.allowed) return key.allowed.map((value) => (value === '' ? '""' : String(value))).join(' | ');
  return key.type;
}

/** Keys below `prefix` (all keys when empty), e.g. the `tracing` block for DEBUG CONTROLS. */
export function keysUnder(schema: SchemaNode, prefix: string): ConfigKey[] {
  return configKeys(schema).filter(
    (key) => !prefix || key.path === prefix || key.path.startsWith(`${prefix}.`),
  );
}

/** A help section in the style of Ory's `serve --help`: every key, its env name, allowed values and default. */
export function renderHelpSection(title: string, keys: readonly ConfigKey[]): string {
  const lines = [`${title}:`];
  for (const key of keys) {
    lines.push(`  ${key.env}  (${key.path})`);
    if (key.description) lines.push(`      ${key.description}`);
    lines.push(`      allowed: ${describeAllowed(key)}    default: ${describeDefault(key)}`);
    if (key.aliases.length > 0) lines.push(`      also read from: ${key.aliases.join(', ')}`);
  }
  return lines.join('\n');
}

/** The same rows as a Markdown table, for the README; a test keeps the README in step with the schema. */
export function renderMarkdownTable(keys: readonly ConfigKey[]): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const rows = keys.map(
    (key) =>
      `| \`${key.path}\` | \`${key.env}\` | ${escape(describeAllowed(key))} | ${escape(describeDefault(key))} | ${escape(key.description)} |`,
  );
  return ['| key | env | allowed | default | meaning |', '| --- | --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}
