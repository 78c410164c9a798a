import { schemaParser } from '@mesh/server';
import type { GatewayConfig, HandlerSettings } from '../config';
import type {
  CompiledAuthenticator,
  CompiledAuthorizer,
  CompiledErrorHandler,
  CompiledMutator,
  HandlerDefinition,
  HandlerServices,
  RuleInfo,
} from '../handlers/definition';
import { compileWhen, type When } from '../handlers/errors/when';
import { handlerRegistry, type HandlerKind } from '../handlers/registry';
import { compileMatcher, pathPatternOf, splitPattern, type UrlMatcher } from './matcher';
import type { AccessRule, HandlerRef } from './rule';

export interface Named<Compiled> {
  handler: string;
  compiled: Compiled;
}

export interface CompiledErrors {
  handler: string;
  matches: (request: Parameters<ReturnType<typeof compileWhen>>[0], kind: string) => boolean;
  compiled: CompiledErrorHandler;
}

/** A rule with everything that can be done at load time done: matcher, handler configs, templates, keys. */
export interface CompiledRule {
  source: AccessRule;
  id: string;
  methods: ReadonlySet<string>;
  matcher: UrlMatcher;
  /** The path part of match.url: the gateway span's route. */
  route: string;
  authenticators: Named<CompiledAuthenticator>[];
  authorizer: Named<CompiledAuthorizer>;
  mutators: Named<CompiledMutator>[];
  errors: CompiledErrors[];
  /** Headers any mutator sets: removed from the client's request so they cannot be forged. */
  mutatedHeaders: string[];
  upstream: { url: URL; preserveHost: boolean; stripPath: string };
}

type AnyDefinition = HandlerDefinition<never, unknown>;

const settingsSection = (
  config: GatewayConfig,
  kind: HandlerKind,
): Record<string, HandlerSettings | undefined> => (kind === 'errors' ? config.errors.handlers : config[kind]);

const parsers = new WeakMap<object, (value: unknown) => unknown>();

/** The schema without this project's `x-` annotations, which a strict validator does not know. */
const withoutAnnotations = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(withoutAnnotations);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => !key.startsWith('x-'))
      .map(([key, value]) => [key, withoutAnnotations(value)]),
  );
};

/** The merged config's validator: the handler's keys, its required ones, nothing else. */
function parserFor(definition: AnyDefinition): (value: unknown) => unknown {
  let parser = parsers.get(definition);
  if (!parser) {
    parser = schemaParser({
      type: 'object',
      additionalProperties: false,
      properties: withoutAnnotations(definition.properties),
      required: definition.required ?? [],
    });
    parsers.set(definition, parser);
  }
  return parser;
}

const singular: Record<HandlerKind, string> = {
  authenticators: 'authenticator',
  authorizers: 'authorizer',
  mutators: 'mutator',
  errors: 'error handler',
};

/**
 * Oathkeeper's handler config: the global `<kind>.<handler>.config` with the rule's own config on top,
 * validated against the handler's schema (unknown keys refused) and compiled once, here.
 */
export function compileHandler<Compiled>(
  kind: HandlerKind,
  ref: HandlerRef,
  config: GatewayConfig,
  rule: RuleInfo,
  services: HandlerServices,
): Compiled {
  const what = `${singular[kind]} "${ref.handler}"`;
  const definition = (handlerRegistry[kind] as readonly AnyDefinition[]).find(
    (candidate) => candidate.name === ref.handler,
  );
  if (!definition) throw new Error(`rule ${rule.id}: unknown ${what}`);
  const settings = settingsSection(config, kind)[ref.handler];
  if (settings && !settings.enabled) throw new Error(`rule ${rule.id}: the ${what} is disabled`);
  const merged = structuredClone({ ...(settings?.config ?? {}), ...(ref.config ?? {}) });
  try {
    const validated = parserFor(definition)(merged) as never;
    return definition.compile(validated, rule, services) as Compiled;
  } catch (error) {
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    throw new Error(
      `rule ${rule.id}: ${what}: ${reason.replace(/^rule [^:]+: /, '').replace(/^the request body /, 'config ')}`,
    );
  }
}

export function compileRule(
  rule: AccessRule,
  config: GatewayConfig,
  services: HandlerServices,
): CompiledRule {
  const groups = splitPattern(rule.match.url).filter((part) => !part.literal).length;
  const info: RuleInfo = { id: rule.id, groups };
  const authenticators = rule.authenticators.map((ref) => ({
    handler: ref.handler,
    compiled: compileHandler<CompiledAuthenticator>('authenticators', ref, config, info, services),
  }));
  const authorizer = {
    handler: rule.authorizer.handler,
    compiled: compileHandler<CompiledAuthorizer>('authorizers', rule.authorizer, config, info, services),
  };
  const mutators = rule.mutators.map((ref) => ({
    handler: ref.handler,
    compiled: compileHandler<CompiledMutator>('mutators', ref, config, info, services),
  }));
  return {
    source: rule,
    id: rule.id,
    methods: new Set(rule.match.methods),
    matcher: compileMatcher(rule.match.url, services.matchingStrategy),
    route: pathPatternOf(rule.match.url),
    authenticators,
    authorizer,
    mutators,
    errors: (rule.errors ?? []).map((ref) => compileErrorHandler(ref, config, info, services)),
    mutatedHeaders: mutators.flatMap((mutator) => mutator.compiled.setsHeaders),
    upstream: {
      url: new URL(rule.upstream.url),
      preserveHost: rule.upstream.preserve_host ?? false,
      stripPath: rule.upstream.strip_path ?? '',
    },
  };
}

/** An error handler and its compiled `when`. */
export function compileErrorHandler(
  ref: HandlerRef,
  config: GatewayConfig,
  rule: RuleInfo,
  services: HandlerServices,
): CompiledErrors {
  const compiled = compileHandler<CompiledErrorHandler>('errors', ref, config, rule, services);
  const settings = config.errors.handlers[ref.handler]?.config ?? {};
  const whens = (ref.config?.when ?? settings.when ?? []) as When[];
  return { handler: ref.handler, matches: compileWhen(whens), compiled };
}
