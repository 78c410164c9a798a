import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import type { DockerStage } from './compose-file';
import { imageRecipe, type ImageCopy, type ImageStep } from './dockerfile-image';
import { dockerignore } from './dockerignore';

/** Where a stage's file system lives on this host, and how it got there. */
export interface StageFiles {
  stage: string;
  /** The host path of a container path in that stage. */
  hostPath(containerPath: string): string;
  /** How long preparing it took (0 when it came from the cache). */
  preparedMs: number;
  cached: boolean;
}

/** The toolchain's packages (python3, make, g++) that this host provides itself. */
const hostToolchain = /^apt-get update\b.*apt-get install\b/;
const npmCi = /^npm ci(\s+--[a-z=-]+)*$/;

const isBuildStage = (steps: readonly ImageStep[]) =>
  steps.some((step) => step.kind === 'copy' && !step.copy.fromStage && step.copy.sources.includes('.'));

/** Every file under a host path, relative to it (the path itself when it is a file). */
function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [''];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(path, join(entry.parentPath, entry.name)));
}

/**
 * Copies as Docker's COPY does: a directory's contents into the destination, a file into a destination
 * directory or onto a file path. `link` hard-links files instead of copying (the prod-deps cache into a
 * rehearsal tree: the same bytes, no time spent).
 */
export function dockerCopy(source: string, destination: string, intoDirectory: boolean, link = false) {
  const target =
    !statSync(source).isDirectory() && intoDirectory
      ? join(destination, posix.basename(source))
      : destination;
  mkdirSync(statSync(source).isDirectory() ? target : dirname(target), { recursive: true });
  if (link) {
    const result = spawnSync('cp', [
      '-a',
      '--link',
      `${source}${statSync(source).isDirectory() ? '/.' : ''}`,
      target,
    ]);
    if (result.status !== 0) throw new Error(`cp --link ${source} → ${target}: ${result.stderr.toString()}`);
  } else {
    cpSync(source, target, { recursive: true, dereference: false, verbatimSymlinks: true });
  }
}

/**
 * The stage's file systems the runtime stages copy from, reproduced on this host without Docker:
 * - a stage that copies the whole context (`COPY . .`) and builds is this checkout, already built by
 *   `npm run build` (the suite's first step); a path the .dockerignore keeps out fails, unless the build
 *   makes it (`dist`) or `npm ci` does (`node_modules`);
 * - any other stage is replayed step by step into a directory under node_modules/.cache: context
 *   COPYs, `npm ci ...` exactly as written, and the toolchain's `apt-get` skipped (the host has it). It is
 *   cached by a hash of its steps, the files they copy, and the Node version and platform.
 */
export function stageFiles(
  stages: readonly DockerStage[],
  stage: string,
  context: string,
  cacheRoot: string,
): StageFiles {
  const recipe = imageRecipe(stages, stage);
  const included = dockerignore(context);
  if (isBuildStage(recipe.steps)) {
    const workdir = recipe.workdir;
    return {
      stage,
      cached: true,
      preparedMs: 0,
      hostPath(containerPath) {
        const inside = posix.relative(workdir, containerPath);
        if (inside.startsWith('..'))
          throw new Error(`${stage}: ${containerPath} is outside ${workdir}, which this checkout stands for`);
        const made = /(^|\/)(dist|node_modules)(\/|$)/.test(inside);
        if (!made && !included(inside))
          throw new Error(`${stage}: ${inside} is kept out of the build context by .dockerignore`);
        return join(context, inside);
      },
    };
  }
  const hash = createHash('sha256');
  hash.update(`${process.version} ${process.platform} ${process.arch}\n`);
  for (const step of recipe.steps) {
    hash.update(`${JSON.stringify(step)}\n`);
    if (step.kind === 'copy' && !step.copy.fromStage) {
      for (const source of step.copy.sources) {
        for (const file of filesUnder(join(context, source)).sort()) {
          hash.update(`${source}/${file}\n`);
          hash.update(readFileSync(join(context, source, file)));
        }
      }
    }
  }
  const digest = hash.digest('hex').slice(0, 16);
  const root = join(cacheRoot, `${stage}-${digest}`);
  if (existsSync(root)) return { stage, cached: true, preparedMs: 0, hostPath: (path) => join(root, path) };

  const started = Date.now();
  const partial = `${root}.partial-${randomBytes(4).toString('hex')}`;
  mkdirSync(partial, { recursive: true });
  try {
    for (const step of recipe.steps) replay(step, partial, context, included, stages, cacheRoot);
    try {
      renameSync(partial, root);
      pruneOlder(cacheRoot, stage, root);
    } catch (error) {
      // Another run on this machine finished the same stage first; its result is the same.
      if (!existsSync(root)) throw error;
      rmSync(partial, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  return { stage, cached: false, preparedMs: Date.now() - started, hostPath: (path) => join(root, path) };
}

/** Removes the stage's caches for earlier locks: only the newest is used again. */
function pruneOlder(cacheRoot: string, stage: string, keep: string): void {
  for (const entry of readdirSync(cacheRoot)) {
    const path = join(cacheRoot, entry);
    const older = new RegExp(`^${stage}-[0-9a-f]{16}$`).test(entry);
    // A partial install older than a day belongs to a run that was killed.
    const abandoned = entry.includes('.partial-') && Date.now() - statSync(path).mtimeMs > 86_400_000;
    if (path !== keep && (older || abandoned)) rmSync(path, { recursive: true, force: true });
  }
}

function replay(
  step: ImageStep,
  root: string,
  context: string,
  included: (path: string) => boolean,
  stages: readonly DockerStage[],
  cacheRoot: string,
): void {
  if (step.kind === 'run') {
    if (hostToolchain.test(step.command)) return;
    if (!npmCi.test(step.command))
      throw new Error(`${step.stage}: the rehearsal cannot reproduce "RUN ${step.command}"`);
    const [command = 'npm', ...args] = step.command.split(/\s+/);
    const result = spawnSync(command, args, {
      cwd: join(root, step.workdir),
      encoding: 'utf8',
      env: { ...process.env, npm_config_update_notifier: 'false' },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0)
      throw new Error(`${step.stage}: RUN ${step.command} failed:\n${result.stdout}\n${result.stderr}`);
    return;
  }
  copyInto(step.copy, root, context, included, stages, cacheRoot);
}

function copyInto(
  copy: ImageCopy,
  root: string,
  context: string,
  included: (path: string) => boolean,
  stages: readonly DockerStage[],
  cacheRoot: string,
): void {
  for (const source of copy.sources) {
    let hostSource: string;
    if (copy.fromStage) {
      hostSource = stageFiles(stages, copy.fromStage, context, cacheRoot).hostPath(source);
    } else {
      if (source === '.') throw new Error(`${copy.stage}: COPY . . is rehearsed as this checkout only`);
      if (!included(source)) throw new Error(`${copy.stage}: ${source} is excluded by .dockerignore`);
      hostSource = join(context, source);
    }
    if (!existsSync(hostSource)) throw new Error(`${copy.stage}: COPY ${source}: no such file`);
    dockerCopy(hostSource, join(root, copy.destination), copy.intoDirectory);
  }
}
