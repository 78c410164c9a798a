import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** The repo root, from e2e/dist/src/compose. */
export const repoRoot = join(__dirname, '..', '..', '..', '..');

export interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  restart?: string;
  healthcheck?: { test?: string[] | string };
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  [extension: `x-${string}`]: unknown;
}

/**
 * Compose's variable interpolation: `${NAME:-default}` is the default when NAME is unset or empty,
 * `${NAME-default}` when it is unset, `${NAME}` the value or the empty string. With no variables, the
 * file as `docker compose up` sees it by default.
 */
export function interpolateDefaults(text: string, variables: Record<string, string> = {}): string {
  return text.replace(
    /\$\{([A-Z0-9_]+)(?:(:?)-([^}]*))?\}/g,
    (_match, name: string, colon?: string, fallback?: string) => {
      const value = variables[name];
      if (value === undefined || (colon === ':' && value === '')) return fallback ?? '';
      return value;
    },
  );
}

/** docker-compose.yml, interpolated (defaults unless `variables` sets them), YAML merge keys applied. */
export function readComposeFile(
  path = join(repoRoot, 'docker-compose.yml'),
  variables: Record<string, string> = {},
): ComposeFile {
  return parseYaml(interpolateDefaults(readFileSync(path, 'utf8'), variables), {
    merge: true,
  }) as ComposeFile;
}

/** Compose's merge of `-f a.yml -f b.yml`: mappings merge key by key, later files win, lists append. */
function mergeCompose(base: unknown, override: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(override)) return [...new Set([...base, ...override])];
  if (base && override && typeof base === 'object' && typeof override === 'object') {
    const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [key, value] of Object.entries(override)) merged[key] = mergeCompose(merged[key], value);
    return merged;
  }
  return override === undefined ? base : override;
}

/** Several compose files as `docker compose -f … -f …` combines them (paths relative to the repo). */
export function readComposeFiles(
  paths: readonly string[],
  variables: Record<string, string> = {},
): ComposeFile {
  return paths
    .map((path) => readComposeFile(join(repoRoot, path), variables))
    .reduce((merged, file) => mergeCompose(merged, file) as ComposeFile);
}

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** Short-syntax bind mounts (`./host/path:/container/path[:ro]`), sources resolved against the repo root. */
export function bindMounts(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((volume) => {
    const [source = '', target = '', mode] = volume.split(':');
    return { source: join(repoRoot, source), target, readOnly: mode === 'ro' };
  });
}

/** The host path behind a container path, through the service's bind mounts; undefined when not mounted. */
export function hostPathOf(service: ComposeService, containerPath: string): string | undefined {
  for (const mount of bindMounts(service)) {
    if (containerPath === mount.target) return mount.source;
    if (containerPath.startsWith(`${mount.target}/`)) {
      return join(mount.source, containerPath.slice(mount.target.length + 1));
    }
  }
  return undefined;
}

/** Container ports a service publishes, with the protocol (`16686`, `6831/udp`). */
export function publishedContainerPorts(service: ComposeService): string[] {
  return (service.ports ?? []).map((port) => {
    const [mapping = '', protocol = 'tcp'] = port.split('/');
    const container = mapping.split(':').pop() ?? '';
    return protocol === 'tcp' ? container : `${container}/${protocol}`;
  });
}

export interface DockerStage {
  name: string;
  from: string;
  /** Instruction lines (continuations joined), without the FROM line. */
  instructions: string[];
}

/** A Dockerfile split into its stages; `ARG` defaults before the first FROM are substituted into FROM. */
export function readDockerfile(path: string): DockerStage[] {
  const lines = readFileSync(path, 'utf8')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const args = new Map<string, string>();
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const from = line.match(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i);
    const arg = line.match(/^ARG\s+([A-Z0-9_]+)=(\S+)/i);
    if (from) {
      const image = (from[1] ?? '').replace(
        /\$\{([A-Z0-9_]+)\}/gi,
        (_m, name: string) => args.get(name) ?? '',
      );
      stages.push({ name: from[2] ?? '', from: image, instructions: [] });
    } else if (arg && stages.length === 0) {
      args.set(arg[1] ?? '', arg[2] ?? '');
    } else {
      stages.at(-1)?.instructions.push(line);
    }
  }
  return stages;
}

/** Every instruction a target runs: its own and those of the stages it is built FROM, base first. */
export function stageChain(stages: readonly DockerStage[], target: string): DockerStage[] {
  const stage = stages.find((candidate) => candidate.name === target);
  if (!stage) return [];
  return [...stageChain(stages, stage.from), stage];
}
