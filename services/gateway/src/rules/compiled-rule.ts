import type { GatewayConfig } from '../config';
import { compileMatcher, pathPatternOf, type MatchingStrategy, type UrlMatcher } from './matcher';
import type { AccessRule, HandlerRef } from './rule';
import { compileTemplate, headerEscape, jsonEscape, type Template } from './templates';

export type AuthenticatorName = 'noop' | 'anonymous' | 'cookie_session' | 'bearer_token';
export type AuthorizerName = 'allow' | 'deny' | 'remote_json';
export type MutatorName = 'noop' | 'header';

export interface CompiledAuthenticator {
  handler: AuthenticatorName;
  config: Record<string, unknown>;
}

export interface CompiledAuthorizer {
  handler: AuthorizerName;
  remote?: URL;
  payload?: Template;
  headers?: Record<string, string>;
}

export interface CompiledMutator {
  handler: MutatorName;
  headers: [string, Template][];
}

/** A rule with everything that can be done at load time done: matcher, handlers, templates. */
export interface CompiledRule {
  source: AccessRule;
  id: string;
  methods: ReadonlySet<string>;
  matcher: UrlMatcher;
  /** The path part of match.url: the gateway span's route. */
  route: string;
  authenticators: CompiledAuthenticator[];
  authorizer: CompiledAuthorizer;
  mutators: CompiledMutator[];
  /** Headers any mutator sets: removed from the client's request so they cannot be forged. */
  mutatedHeaders: string[];
  upstream: { url: URL; preserveHost: boolean; stripPath: string };
}

const authenticatorNames = new Set<string>(['noop', 'anonymous', 'cookie_session', 'bearer_token']);
const authorizerNames = new Set<string>(['allow', 'deny', 'remote_json']);
const mutatorNames = new Set<string>(['noop', 'header']);

function requireEnabled(
  kind: keyof Pick<GatewayConfig, 'authenticators' | 'authorizers' | 'mutators'>,
  ref: HandlerRef,
  config: GatewayConfig,
  known: Set<string>,
  rule: string,
): void {
  if (!known.has(ref.handler)) throw new Error(`rule ${rule}: unknown ${kind.slice(0, -1)} "${ref.handler}"`);
  const handlers = config[kind] as Record<string, { enabled: boolean }>;
  if (!handlers[ref.handler]?.enabled)
    throw new Error(`rule ${rule}: the ${kind.slice(0, -1)} "${ref.handler}" is disabled`);
}

const stringRecord = (value: unknown, what: string): Record<string, string> => {
  if (value === undefined) return {};
  if (
    value === null ||
    typeof value !== 'object' ||
    Object.values(value).some((item) => typeof item !== 'string')
  ) {
    throw new Error(`${what} must be a map of strings`);
  }
  return value as Record<string, string>;
};

export function compileRule(
  rule: AccessRule,
  config: GatewayConfig,
  strategy: MatchingStrategy,
): CompiledRule {
  for (const ref of rule.authenticators)
    requireEnabled('authenticators', ref, config, authenticatorNames, rule.id);
  requireEnabled('authorizers', rule.authorizer, config, authorizerNames, rule.id);
  for (const ref of rule.mutators) requireEnabled('mutators', ref, config, mutatorNames, rule.id);
  for (const ref of rule.errors ?? [])
    if (ref.handler !== 'json') throw new Error(`rule ${rule.id}: unknown error handler "${ref.handler}"`);

  let authorizer: CompiledAuthorizer = { handler: rule.authorizer.handler as AuthorizerName };
  if (rule.authorizer.handler === 'remote_json') {
    const merged = { ...config.authorizers.remote_json.config, ...rule.authorizer.config };
    const remote = String(merged.remote ?? '');
    if (!/^https?:\/\//.test(remote)) throw new Error(`rule ${rule.id}: remote_json needs an http(s) remote`);
    const payload = compileTemplate(String(merged.payload ?? ''), rule.id, jsonEscape);
    authorizer = {
      handler: 'remote_json',
      remote: new URL(remote),
      payload,
      headers: stringRecord(rule.authorizer.config?.headers, `rule ${rule.id}: remote_json headers`),
    };
  }
  const mutators = rule.mutators.map((ref): CompiledMutator => {
    const headers = stringRecord(ref.config?.headers, `rule ${rule.id}: header mutator headers`);
    return {
      handler: ref.handler as MutatorName,
      headers: Object.entries(headers).map(([name, template]) => [
        name,
        compileTemplate(template, rule.id, headerEscape),
      ]),
    };
  });
  // A template that compiles can still read a capture group the pattern lacks; evaluate each once now.
  const matcher = compileMatcher(rule.match.url, strategy);
  const groups = rule.match.url.split('<').length - 1;
  const probe = { subject: 'probe', extra: {}, captures: Array.from({ length: groups }, () => 'x') };
  try {
    authorizer.payload?.(probe);
    for (const mutator of mutators) for (const [, template] of mutator.headers) template(probe);
  } catch (error) {
    throw new Error(`rule ${rule.id}: ${(error as Error).message}`);
  }
  if (authorizer.payload) {
    try {
      JSON.parse(authorizer.payload(probe));
    } catch {
      throw new Error(`rule ${rule.id}: the remote_json payload is not JSON once filled in`);
    }
  }
  return {
    source: rule,
    id: rule.id,
    methods: new Set(rule.match.methods),
    matcher,
    route: pathPatternOf(rule.match.url),
    authenticators: rule.authenticators.map((ref) => ({
      handler: ref.handler as AuthenticatorName,
      config: ref.config ?? {},
    })),
    authorizer,
    mutators,
    mutatedHeaders: mutators.flatMap((mutator) => mutator.headers.map(([name]) => name.toLowerCase())),
    upstream: {
      url: new URL(rule.upstream.url),
      preserveHost: rule.upstream.preserve_host ?? false,
      stripPath: rule.upstream.strip_path ?? '',
    },
  };
}
