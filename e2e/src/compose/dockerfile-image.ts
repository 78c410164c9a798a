import { posix } from 'node:path';
import type { DockerStage } from './compose-file';

/** One `COPY`: from the build context (`fromStage` undefined) or from another stage's file system. */
export interface ImageCopy {
  stage: string;
  fromStage: string | undefined;
  /** Absolute container paths (stage copies) or context-relative paths (context copies). */
  sources: string[];
  /** Absolute container path. */
  destination: string;
  /** The destination names a directory (ends in `/`, or several sources). */
  intoDirectory: boolean;
}

/** A stage's instructions interpreted: what `docker build --target <name>` would leave in the image. */
export interface ImageRecipe {
  target: string;
  /** The external image the chain starts FROM. */
  baseImage: string;
  /** The stages from the base image to the target. */
  stages: string[];
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  entrypoint: string[];
  cmd: string[];
  /** HEALTHCHECK's exec-form command (without `CMD`), undefined when there is none. */
  healthcheck: string[] | undefined;
  healthcheckOptions: Record<string, string>;
  copies: ImageCopy[];
  /** `RUN` lines, with the stage each belongs to. */
  runs: { stage: string; command: string }[];
  /** COPY and RUN in the order the build runs them, with the WORKDIR each runs in. */
  steps: ImageStep[];
}

export type ImageStep =
  | { kind: 'copy'; stage: string; copy: ImageCopy }
  | { kind: 'run'; stage: string; command: string; workdir: string };

const ignored = new Set(['ARG', 'EXPOSE', 'LABEL', 'STOPSIGNAL', 'SHELL', 'ONBUILD', 'VOLUME']);

/** An exec-form JSON array, or a shell-form string run through `/bin/sh -c` as Docker does. */
function commandOf(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string'))
      throw new Error(`not an exec-form command: ${text}`);
    return parsed;
  }
  return ['/bin/sh', '-c', trimmed];
}

/** `ENV A=1 B="two words"` (the `ENV A 1` legacy form too). */
function envPairs(text: string): [string, string][] {
  const legacy = text.match(/^([A-Za-z_][A-Za-z0-9_]*)\s+([^=]*)$/);
  if (legacy) return [[legacy[1] ?? '', (legacy[2] ?? '').trim()]];
  return [...text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)].map((match) => {
    const raw = match[2] ?? '';
    return [match[1] ?? '', raw.startsWith('"') ? (JSON.parse(raw) as string) : raw];
  });
}

/** `COPY [--from=x] [--chown=..] [--link] src... dest`, shell or JSON form. */
function copyOf(stage: string, text: string, workdir: string): ImageCopy {
  const words = text.trim().split(/\s+/);
  const flags = new Map<string, string>();
  while (words[0]?.startsWith('--')) {
    const [name = '', value = ''] = (words.shift() ?? '').slice(2).split('=');
    flags.set(name, value);
  }
  const rest = words.join(' ');
  const parts = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : words;
  const destinationText = parts.at(-1) ?? '';
  const sources = parts.slice(0, -1);
  const destination = posix.resolve(workdir, destinationText);
  const fromStage = flags.get('from');
  return {
    stage,
    fromStage,
    sources: fromStage ? sources.map((source) => posix.resolve('/', source)) : sources,
    destination,
    intoDirectory: destinationText.endsWith('/') || destinationText === '.' || sources.length > 1,
  };
}

/**
 * Interprets the chain of stages that ends at `target`: ENV, WORKDIR, USER, ENTRYPOINT, CMD, HEALTHCHECK,
 * COPY and RUN as Docker applies them (later instructions win; a stage inherits its FROM stage's state).
 */
export function imageRecipe(stages: readonly DockerStage[], target: string): ImageRecipe {
  const chain: DockerStage[] = [];
  for (let name = target; ;) {
    const stage = stages.find((candidate) => candidate.name === name);
    if (!stage) break;
    chain.unshift(stage);
    name = stage.from;
  }
  if (chain.length === 0) throw new Error(`infra/Dockerfile has no stage named ${target}`);
  const recipe: ImageRecipe = {
    target,
    baseImage: chain[0]?.from ?? '',
    stages: chain.map((stage) => stage.name),
    workdir: '/',
    env: {},
    user: undefined,
    entrypoint: [],
    cmd: [],
    healthcheck: undefined,
    healthcheckOptions: {},
    copies: [],
    runs: [],
    steps: [],
  };
  for (const stage of chain) {
    for (const line of stage.instructions) {
      const [keyword = '', ...restWords] = line.split(/\s+/);
      const rest = line.slice(keyword.length).trim();
      switch (keyword.toUpperCase()) {
        case 'ENV':
          for (const [name, value] of envPairs(rest)) recipe.env[name] = value;
          break;
        case 'WORKDIR':
          recipe.workdir = posix.resolve(recipe.workdir, rest);
          break;
        case 'USER':
          recipe.user = restWords[0];
          break;
        case 'ENTRYPOINT':
          recipe.entrypoint = commandOf(rest);
          // Docker resets CMD when a stage sets ENTRYPOINT.
          recipe.cmd = [];
          break;
        case 'CMD':
          recipe.cmd = commandOf(rest);
          break;
        case 'HEALTHCHECK': {
          if (rest === 'NONE') {
            recipe.healthcheck = undefined;
            break;
          }
          const options = [...rest.matchAll(/--([a-z-]+)=(\S+)/g)];
          recipe.healthcheckOptions = Object.fromEntries(options.map((match) => [match[1], match[2]]));
          recipe.healthcheck = commandOf(rest.replace(/^(--[a-z-]+=\S+\s+)*CMD\s+/, ''));
          break;
        }
        case 'COPY':
        case 'ADD': {
          const copy = copyOf(stage.name, rest, recipe.workdir);
          recipe.copies.push(copy);
          recipe.steps.push({ kind: 'copy', stage: stage.name, copy });
          break;
        }
        case 'RUN':
          recipe.runs.push({ stage: stage.name, command: rest });
          recipe.steps.push({ kind: 'run', stage: stage.name, command: rest, workdir: recipe.workdir });
          break;
        default:
          if (!ignored.has(keyword.toUpperCase()))
            throw new Error(`infra/Dockerfile: the rehearsal does not know "${keyword}" (${stage.name})`);
      }
    }
  }
  return recipe;
}

/**
 * The targets that run a service: stages with an ENTRYPOINT that no other stage builds on or copies from.
 * A stage added to the Dockerfile is rehearsed without naming it anywhere else.
 */
export function serviceTargets(stages: readonly DockerStage[]): string[] {
  const used = new Set<string>();
  for (const stage of stages) {
    used.add(stage.from);
    for (const line of stage.instructions) {
      const from = line.match(/^COPY\s+.*--from=(\S+)/)?.[1];
      if (from) used.add(from);
    }
  }
  return stages
    .filter((stage) => stage.name !== '' && !used.has(stage.name))
    .filter((stage) => imageRecipe(stages, stage.name).entrypoint.length > 0)
    .map((stage) => stage.name);
}
