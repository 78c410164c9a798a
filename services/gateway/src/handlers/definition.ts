import type { SchemaNode } from '@mesh/config';
import type { IncomingHttpHeaders } from 'node:http';
import type { HandlerAnswer, HandlerCall } from '../outbound';
import type { MatchingStrategy } from '../rules/matcher';

/** The request as every handler sees it: built from the validated authority and the normalised path. */
export interface PipelineRequest {
  method: string;
  /** scheme://authority/path?query, from validated parts only. */
  url: URL;
  headers: IncomingHttpHeaders;
  remoteAddress: string;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /** The client's body, read whole by the handlers that need it (413 beyond the buffer limit). */
  body?: { read(timeoutMs: number): Promise<Buffer> };
}

/** Oathkeeper's AuthenticationSession: what templates read and mutators add to. */
export interface Session {
  subject: string;
  extra: Record<string, unknown>;
  /** Headers set by the authorizer and mutators, for the upstream (or the decision answer). */
  header: Record<string, string>;
  captures: readonly string[];
}

/** What handlers get from the gateway when they are compiled: no handler module loads node:http itself. */
export interface HandlerServices {
  /** One outbound call with a deadline (an instrumented http client span under the handler's span). */
  call(call: Omit<HandlerCall, 'timeoutMs'> & { timeoutMs?: number }): Promise<HandlerAnswer>;
  /** `timeouts.handlers`. */
  timeoutMs: number;
  matchingStrategy: MatchingStrategy;
}

export interface RuleInfo {
  id: string;
  /** How many capture groups match.url has, for templates. */
  groups: number;
}

/** Oathkeeper's ErrAuthenticatorNotResponsible: the next authenticator is tried. */
export const notResponsible = Symbol('not responsible');

export interface Authenticated {
  subject: string;
  extra: Record<string, unknown>;
}

export interface CompiledAuthenticator {
  authenticate(request: PipelineRequest): Promise<Authenticated | typeof notResponsible>;
}
export interface CompiledAuthorizer {
  authorize(request: PipelineRequest, session: Session): Promise<void>;
}
export interface CompiledMutator {
  /** Header names this mutator sets: a client can never send them itself. */
  setsHeaders: readonly string[];
  mutate(request: PipelineRequest, session: Session): Promise<void>;
}
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body?: string;
}
export interface CompiledErrorHandler {
  /** undefined: the handler leaves the answer to the gateway's Ory-shaped JSON error. */
  handle(
    request: PipelineRequest,
    error: { status: number; message: string; reason?: string },
  ): ErrorAnswer | undefined;
}

/**
 * One handler: Oathkeeper's name, its config keys as a JSON Schema (the single source for validation,
 * the config table and the docs) and the compiler that turns a validated config into the handler.
 */
export interface HandlerDefinition<Config, Compiled> {
  name: string;
  description: string;
  properties: Record<string, SchemaNode>;
  /** Keys the merged (global + rule) config must have. */
  required?: readonly string[];
  compile(config: Config, rule: RuleInfo, services: HandlerServices): Compiled;
}

export type AuthenticatorDefinition<Config = Record<string, unknown>> = HandlerDefinition<
  Config,
  CompiledAuthenticator
>;
export type AuthorizerDefinition<Config = Record<string, unknown>> = HandlerDefinition<
  Config,
  CompiledAuthorizer
>;
export type MutatorDefinition<Config = Record<string, unknown>> = HandlerDefinition<Config, CompiledMutator>;
export type ErrorHandlerDefinition<Config = Record<string, unknown>> = HandlerDefinition<
  Config,
  CompiledErrorHandler
>;
