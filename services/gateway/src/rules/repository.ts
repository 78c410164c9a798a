import { parseDuration } from '@mesh/config';
import type { Logger } from '@mesh/tracing';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { GatewayConfig } from '../config';
import type { HandlerServices } from '../handlers/definition';
import { callHandler } from '../outbound';
import { compileErrorHandler, compileRule, type CompiledErrors, type CompiledRule } from './compiled-rule';
import { parseRuleList, type AccessRule } from './rule';

/** What handlers use at request time: the pooled outbound calls with the handler deadline. */
export function handlerServices(config: GatewayConfig): HandlerServices {
  const timeoutMs = parseDuration('timeouts.handlers', config.timeouts.handlers);
  return {
    timeoutMs,
    matchingStrategy: config.access_rules.matching_strategy,
    call: (call) => callHandler({ ...call, timeoutMs: call.timeoutMs ?? timeoutMs }),
  };
}

/** One file's rules, parsed and compiled; any problem names the file and the rule. */
function readRules(repository: string, config: GatewayConfig, services: HandlerServices): CompiledRule[] {
  const file = fileURLToPath(repository);
  try {
    const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
    return parseRuleList(parsed ?? []).map((rule: AccessRule) => compileRule(rule, config, services));
  } catch (error) {
    throw new Error(`${file}: ${(error as { reason?: string }).reason ?? (error as Error).message}`);
  }
}

/** Rules that the loader can prove overlap: the same match.url with a method in common. */
function refuseOverlaps(rules: readonly CompiledRule[]): void {
  const seen = new Map<string, CompiledRule>();
  for (const rule of rules) {
    for (const method of rule.methods) {
      const key = `${method} ${rule.source.match.url}`;
      const other = seen.get(key);
      if (other) throw new Error(`rules ${other.id} and ${rule.id} both match ${key}`);
      seen.set(key, rule);
    }
  }
  const ids = new Set<string>();
  for (const rule of rules) {
    if (ids.has(rule.id)) throw new Error(`two rules have the id ${rule.id}`);
    ids.add(rule.id);
  }
}

/** Loads every repository and compiles every rule; throws on the first problem, naming file and rule. */
export function loadRules(config: GatewayConfig, services = handlerServices(config)): CompiledRule[] {
  const compiled = config.access_rules.repositories.flatMap((repository) =>
    readRules(repository, config, services),
  );
  refuseOverlaps(compiled);
  return compiled;
}

/** errors.fallback, compiled with the global error handler configs. */
export function loadFallback(config: GatewayConfig, services = handlerServices(config)): CompiledErrors[] {
  return config.errors.fallback.map((handler) =>
    compileErrorHandler({ handler }, config, { id: 'errors.fallback', groups: 0 }, services),
  );
}

/**
 * The rules in force. The files are polled; a change that loads cleanly replaces the rules, a bad one is
 * logged and the last good rules stay.
 */
export class RuleRepository {
  private current: CompiledRule[];
  private readonly files: string[];
  /** errors.fallback: the error handlers when none of the rule's matches, or no rule matched. */
  readonly fallback: CompiledErrors[];

  constructor(
    private readonly config: GatewayConfig,
    private readonly log: Logger,
  ) {
    this.current = [];
    this.install(loadRules(config));
    this.fallback = loadFallback(config);
    this.files = config.access_rules.repositories.map((repository) => fileURLToPath(repository));
    log.info({ rules: this.current.map((rule) => rule.id) }, 'access rules loaded');
  }

  get rules(): readonly CompiledRule[] {
    return this.current;
  }

  /** Every header some rule's mutators set: stripped from every client request, whichever rule matches. */
  get mutatedHeaders(): readonly string[] {
    return this.forbiddenHeaders;
  }

  private forbiddenHeaders: readonly string[] = [];

  private install(rules: CompiledRule[]): void {
    this.current = rules;
    this.forbiddenHeaders = [...new Set(rules.flatMap((rule) => rule.mutatedHeaders))];
  }

  reload(): void {
    try {
      this.install(loadRules(this.config));
      this.log.info({ rules: this.current.map((rule) => rule.id) }, 'access rules reloaded');
    } catch (error) {
      this.log.error(
        { err: (error as Error).message },
        'access rules not reloaded; the last good rules stay in force',
      );
    }
  }

  watch(): void {
    const interval = parseDuration('access_rules.reload_interval', this.config.access_rules.reload_interval);
    for (const file of this.files) watchFile(file, { interval, persistent: false }, () => this.reload());
  }

  close(): void {
    for (const file of this.files) unwatchFile(file);
  }
}
