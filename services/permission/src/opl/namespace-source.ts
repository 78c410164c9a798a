import { readFile } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '@mesh/tracing';
import { legacyModel, ModelIndex } from './model';
import type { OplError } from './parse';
import { parseOplInChild } from './parse-in-child';

/** What `namespaces` may hold, as in Keto: the legacy inline list, or `{location}` of an OPL file. */
export type NamespacesConfig = { id?: number; name: string }[] | { location: string } | string;

const namePattern = /^[A-Za-z0-9_-]{1,64}$/;

export class NamespacesConfigError extends Error {}

type Resolved = { names: string[] } | { location: string };

/** An env value is a string: a JSON list or object, or the location itself (NAMESPACES_LOCATION). */
export function resolveNamespacesConfig(value: NamespacesConfig): Resolved {
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[') || text.startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new NamespacesConfigError('namespaces: not valid JSON');
      }
      return resolveNamespacesConfig(parsed as NamespacesConfig);
    }
    return { location: text };
  }
  if (Array.isArray(value)) {
    const names = value.map((entry: unknown) => {
      const name = (entry as { name?: unknown } | null)?.name;
      if (typeof name !== 'string' || !namePattern.test(name)) {
        throw new NamespacesConfigError(
          `namespaces: every entry needs a name matching ${namePattern.source}`,
        );
      }
      return name;
    });
    return { names };
  }
  if (value && typeof value === 'object' && typeof value.location === 'string')
    return { location: value.location };
  throw new NamespacesConfigError('namespaces: expected a list of {id, name} or {location: "file://…"}');
}

function formatErrors(errors: readonly OplError[]): string {
  return errors.map((error) => `${error.start.Line}:${error.start.column}: ${error.message}`).join('; ');
}

/**
 * The current permission model. A legacy list is fixed; an OPL location is parsed at start (errors
 * there stop the service) and a file:// location is re-read when it changes: a file that no longer
 * parses keeps the last good model and logs its errors.
 */
export class NamespaceSource {
  private constructor(
    private current: ModelIndex,
    private readonly stopWatching: () => void,
  ) {}

  get model(): ModelIndex {
    return this.current;
  }

  static async open(config: NamespacesConfig, log: Logger, pollMs = 500): Promise<NamespaceSource> {
    const resolved = resolveNamespacesConfig(config);
    if ('names' in resolved)
      return new NamespaceSource(new ModelIndex(legacyModel(resolved.names)), () => {});
    const { location } = resolved;
    if (location.startsWith('base64://')) {
      const text = Buffer.from(location.slice('base64://'.length), 'base64').toString('utf8');
      return new NamespaceSource(await NamespaceSource.parse(text, 'base64://'), () => {});
    }
    if (!location.startsWith('file://')) {
      throw new NamespacesConfigError(
        `namespaces.location must start with file:// or base64://, got "${location}"`,
      );
    }
    const path = resolve(location.slice('file://'.length));
    const source = new NamespaceSource(await NamespaceSource.parse(await readFile(path, 'utf8'), path), () =>
      unwatchFile(path, onChange),
    );
    const onChange = (current: { mtimeMs: number }, previous: { mtimeMs: number }) => {
      if (current.mtimeMs === previous.mtimeMs) return;
      readFile(path, 'utf8')
        .then((text) => NamespaceSource.parse(text, path))
        .then((model) => {
          source.current = model;
          log.info({ location: path, namespaces: model.names }, 'reloaded the namespaces file');
        })
        .catch((error: unknown) =>
          log.error(
            { location: path, err: error instanceof Error ? error.message : String(error) },
            'the namespaces file could not be loaded; keeping the last good model',
          ),
        );
    };
    watchFile(path, { interval: pollMs, persistent: false }, onChange);
    return source;
  }

  private static async parse(text: string, where: string): Promise<ModelIndex> {
    const { model, errors } = await parseOplInChild(text);
    if (errors.length > 0) throw new NamespacesConfigError(`${where}: ${formatErrors(errors)}`);
    return new ModelIndex(model);
  }

  stop(): void {
    this.stopWatching();
  }
}
