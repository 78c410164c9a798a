import { parseDuration } from '@mesh/config';
import type { Logger } from '@mesh/tracing';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { GatewayConfig } from '../config';
import { compileRule, type CompiledRule } from './compiled-rule';
import { parseRuleList, type AccessRule } from './rule';

function readRules(repository: string): AccessRule[] {
  const file = fileURLToPath(repository);
  const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
  try {
    return parseRuleList(parsed ?? []);
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
export function loadRules(config: GatewayConfig): CompiledRule[] {
  const rules = config.access_rules.repositories.flatMap(readRules);
  const compiled = rules.map((rule) => compileRule(rule, config, config.access_rules.matching_strategy));
  refuseOverlaps(compiled);
  return compiled;
}

/**
 * The rules in force. The files are polled; a change that loads cleanly replaces the rules, a bad one is
 * logged and the last good rules stay.
 */
export class RuleRepository {
  private current: CompiledRule[];
  private readonly files: string[];

  constructor(
    private readonly config: GatewayConfig,
    private readonly log: Logger,
  ) {
    this.current = [];
    this.install(loadRules(config));
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
