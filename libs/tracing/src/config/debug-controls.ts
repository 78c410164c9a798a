import { keysUnder, renderHelpSection, renderMarkdownTable, type SchemaNode } from '@mesh/config';

/** The DEBUG CONTROLS section of `serve --help`: every tracing key, its env name, allowed values and default. */
export function debugControls(serviceSchema: SchemaNode): string {
  return renderHelpSection('DEBUG CONTROLS', keysUnder(serviceSchema, 'tracing'));
}

/** The tracing keys as a Markdown table; the README carries it and a test keeps the two equal. */
export function tracingKeysMarkdown(serviceSchema: SchemaNode): string {
  return renderMarkdownTable(keysUnder(serviceSchema, 'tracing'));
}
