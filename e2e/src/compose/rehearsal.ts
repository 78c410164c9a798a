import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseDocument, isMap, isScalar, type Node as YamlNode } from 'yaml';
import { freePort } from '@mesh/testkit';
import { AddressBook } from './address-book';
import {
  bindMounts,
  publishedContainerPorts,
  type ComposeFile,
  type ComposeService,
  type DockerStage,
} from './compose-file';
import { imageRecipe, type ImageRecipe } from './dockerfile-image';
import { dockerCopy, stageFiles, type StageFiles } from './stage-files';

/** A compose service built from the Dockerfile, started from its rehearsed image tree. */
export interface RehearsedService {
  name: string;
  target: string;
  /** The directory that stands for the container's `/`. */
  root: string;
  child: ChildProcess;
  lines: string[];
  /** From spawn to the first passing HEALTHCHECK. */
  healthyAfterMs: number;
  stop(): Promise<void>;
}

export interface RehearsalPlan {
  compose: ComposeFile;
  stages: readonly DockerStage[];
  context: string;
  cacheRoot: string;
  /** Where the image trees go (one directory per service). */
  workDir: string;
  /** Stand-ins for the services compose pulls as images (postgres, jaeger …), by `service:port`. */
  book: AddressBook;
  /** init.sql database name → the name the rehearsal created (DSNs are rewritten to it). */
  databases: Map<string, string>;
}

/** The compose services that are built from the Dockerfile. */
export const builtServices = (compose: ComposeFile): [string, ComposeService][] =>
  Object.entries(compose.services).filter(([, service]) => service.build?.target);

/** Published TCP container ports of a service (`4433:4433` → 4433). */
export const containerPorts = (service: ComposeService): number[] =>
  publishedContainerPorts(service)
    .filter((port) => !port.includes('/'))
    .map(Number);

/** Gives every built service's container ports a free local port in the address book. */
export async function assignServicePorts(compose: ComposeFile, book: AddressBook): Promise<void> {
  for (const [name, service] of builtServices(compose)) {
    for (const port of containerPorts(service)) book.set(name, port, `127.0.0.1:${await freePort()}`);
  }
}

/** The files the runtime stage of `target` holds, assembled under `root` as the Dockerfile's COPYs say. */
export function buildImageTree(plan: RehearsalPlan, recipe: ImageRecipe, root: string): StageFiles[] {
  const used: StageFiles[] = [];
  for (const copy of recipe.copies) {
    if (!copy.fromStage)
      throw new Error(`${copy.stage}: the runtime copies from the build context; rehearse that too`);
    const files = stageFiles(plan.stages, copy.fromStage, plan.context, plan.cacheRoot);
    if (!used.includes(files)) used.push(files);
    for (const source of copy.sources) {
      const hostSource = files.hostPath(source);
      if (!existsSync(hostSource))
        throw new Error(
          `${recipe.target}: COPY --from=${copy.fromStage} ${source}: no such file in that stage`,
        );
      // The dependency cache is hard-linked (read-only use, same bytes); built output is copied.
      const fromCache =
        !hostSource.startsWith(`${plan.context}/`) || hostSource.includes('/node_modules/.cache/');
      dockerCopy(hostSource, join(root, copy.destination), copy.intoDirectory, fromCache);
    }
  }
  return used;
}

/** Every directory under `root` made read-only: the image's files belong to root, the service runs as `node`. */
function makeReadOnly(root: string): void {
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory()) chmodSync(join(entry.parentPath, entry.name), 0o555);
  }
  chmodSync(root, 0o555);
}

/** Restores write access so the tree can be removed. */
export function makeWritable(root: string): void {
  if (!existsSync(root)) return;
  chmodSync(root, 0o755);
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory() && !entry.isSymbolicLink()) makeWritable(join(entry.parentPath, entry.name));
  }
}

/** A mounted config file's `serve.*.port` values → the ports that stand for them. */
function remapServePorts(text: string, service: string, book: AddressBook): string {
  const document = parseDocument(text);
  const walk = (node: unknown) => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (key === 'port' && isScalar(pair.value) && typeof pair.value.value === 'number') {
        pair.value.value = Number(book.get(service, pair.value.value).split(':').pop());
      } else walk(pair.value as YamlNode);
    }
  };
  walk(document.get('serve', true));
  return document.toString();
}

/** A bind mount's files, rewritten for this host, under the tree that stands for the container. */
function mountInto(root: string, service: string, source: string, target: string, book: AddressBook): void {
  const files = statSync(source).isDirectory()
    ? readdirSync(source, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => relative(source, join(entry.parentPath, entry.name)))
    : [''];
  for (const file of files) {
    const hostFile = join(root, target, file);
    mkdirSync(dirname(hostFile), { recursive: true });
    let text = book.rewrite(readFileSync(join(source, file), 'utf8'));
    if (/\.ya?ml$/.test(hostFile)) text = remapServePorts(text, service, book);
    writeFileSync(hostFile, text);
  }
}

/** A PostgreSQL DSN with its database renamed to the one the rehearsal created. */
function renameDatabase(value: string, databases: Map<string, string>): string {
  if (!/^postgres(ql)?:\/\//.test(value)) return value;
  const url = new URL(value);
  const renamed = databases.get(url.pathname.slice(1));
  if (renamed) url.pathname = `/${renamed}`;
  return url.toString();
}

export interface ServiceLaunch {
  name: string;
  recipe: ImageRecipe;
  root: string;
  cwd: string;
  command: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Everything one service's container would have: the image tree, the mounts, the environment (the image's
 * ENV, then compose's), and the command (ENTRYPOINT + compose's `command`, else CMD), all rewritten for
 * this host. `HEALTHCHECK_URL`'s `127.0.0.1:<port>` is the container itself, so it maps to the service.
 */
export function prepareService(plan: RehearsalPlan, name: string, service: ComposeService): ServiceLaunch {
  const recipe = imageRecipe(plan.stages, service.build?.target ?? '');
  const root = join(plan.workDir, name);
  mkdirSync(root, { recursive: true });
  buildImageTree(plan, recipe, root);
  const mounts = bindMounts(service);
  const paths = Object.fromEntries([
    [recipe.workdir, join(root, recipe.workdir)],
    ...mounts.map((mount) => [mount.target, join(root, mount.target)]),
  ]) as Record<string, string>;
  const book = plan.book.withPaths(paths);
  for (const mount of mounts) mountInto(root, name, mount.source, mount.target, book);
  makeReadOnly(root);

  const self = (text: string) =>
    text.replace(/(127\.0\.0\.1|localhost):(\d+)/g, (_match, _host: string, port: string) =>
      book.get(name, Number(port)),
    );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    // USER node: HOME is /home/node, which the image has and the service may not write to.
    HOME: join(root, 'home', 'node'),
  };
  for (const [key, value] of Object.entries(recipe.env)) env[key] = self(book.rewrite(value));
  for (const [key, value] of Object.entries(service.environment ?? {})) {
    env[key] = renameDatabase(book.rewrite(value === null ? '' : String(value)), plan.databases);
  }
  const composeCommand =
    typeof service.command === 'string' ? ['/bin/sh', '-c', service.command] : service.command;
  const command = [...recipe.entrypoint, ...(composeCommand ?? recipe.cmd)].map((part) => book.rewrite(part));
  return { name, recipe, root, cwd: join(root, recipe.workdir), command, env };
}

/** `node` in the image is the Node on this host; any other program is looked up on PATH. */
const program = (name: string) => (name === 'node' ? process.execPath : name);

/** Runs the image's HEALTHCHECK command in the container's environment; true when it exits 0 within its timeout. */
export async function healthcheckPasses(launch: ServiceLaunch): Promise<boolean> {
  const [command = '', ...args] = launch.recipe.healthcheck ?? [];
  if (!command) throw new Error(`${launch.recipe.target} has no HEALTHCHECK`);
  const probe = spawn(program(command), args, { cwd: launch.cwd, env: launch.env, stdio: 'ignore' });
  // The image's --timeout, stretched: this host may be far busier than a container's (timing is not
  // what the rehearsal checks).
  const timeoutMs = Math.max(durationMs(launch.recipe.healthcheckOptions.timeout ?? '30s'), 15_000);
  const timer = setTimeout(() => probe.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(probe, 'exit')) as [number | null];
  clearTimeout(timer);
  return code === 0;
}

/** A Dockerfile duration (`5s`, `1m30s`, `500ms`) in milliseconds. */
function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g))
    total += Number(amount) * (units[unit ?? 's'] ?? 0);
  return total;
}

/** Starts the service; resolves once its HEALTHCHECK passes, rejects if it exits or never gets healthy. */
export async function startRehearsedService(
  launch: ServiceLaunch,
  timeoutMs = 180_000,
): Promise<RehearsedService> {
  const [command = '', ...args] = launch.command;
  const spawned = Date.now();
  const child = spawn(program(command), args, {
    cwd: launch.cwd,
    env: launch.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (buffered + chunk).split('\n');
      buffered = parts.pop() ?? '';
      lines.push(...parts);
    });
  }
  const exited = once(child, 'exit');
  const running: RehearsedService = {
    name: launch.name,
    target: launch.recipe.target,
    root: launch.root,
    child,
    lines,
    healthyAfterMs: 0,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await delay(50);
      throw new Error(
        `${launch.name} (${launch.command.join(' ')}) exited with code ${child.exitCode} before it was healthy:\n${lines.slice(-15).join('\n')}`,
      );
    }
    if (await healthcheckPasses(launch)) {
      running.healthyAfterMs = Date.now() - spawned;
      return running;
    }
    if (Date.now() > deadline) {
      await running.stop();
      throw new Error(`${launch.name} never passed its HEALTHCHECK:\n${lines.slice(-15).join('\n')}`);
    }
    await delay(200);
  }
}

/** The built services in an order that starts each after its `depends_on` (as compose does). */
export function startOrder(compose: ComposeFile): string[] {
  const built = new Set(builtServices(compose).map(([name]) => name));
  const order: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (order.includes(name) || !built.has(name)) return;
    if (path.includes(name)) throw new Error(`depends_on cycle: ${[...path, name].join(' → ')}`);
    for (const dependency of Object.keys(compose.services[name]?.depends_on ?? {}))
      visit(dependency, [...path, name]);
    order.push(name);
  };
  for (const name of built) visit(name, []);
  return order;
}
