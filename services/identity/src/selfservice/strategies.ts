import type { PasswordHasher } from '@mesh/tracing';
import type { Request } from 'express';
import {
  DuplicateIdentityError,
  PasswordInvalidError,
  TraitsInvalidError,
  type IdentityService,
} from '../identity-service';
import { privilegedSessionRequired } from '../kratos-errors';
import { maximumPasswordBytes, passwordViolation } from '../password-policy';
import type { CredentialRateLimits } from '../rate-limit';
import type { ActiveSession, IssuedSession, SessionService } from '../session-service';
import type { TraitViolation } from '../schemas/identity-schemas';
import type { FlowUiState } from '../store/flow-store';
import type { IdentityRecord, IdentityStore } from '../store/identity-store';
import { text, type UiText } from '../text';
import { FlowValidationError, traitsOf, traitValues, type SubmissionBody } from './submission';

const noStrategy = (what: 'log you in' | 'sign you up' | 'update your settings', id: number): UiText => ({
  id,
  text: `Could not find a strategy to ${what} with. Did you fill out the form correctly?`,
  type: 'error',
});

const requiredString = (
  body: SubmissionBody,
  name: string,
  nodes: NonNullable<FlowUiState['nodes']>,
): string | undefined => {
  const value = body[name];
  if (typeof value === 'string' && value !== '') return value;
  nodes[name] = { ...(nodes[name] ?? {}), messages: [text.required(name)] };
  return undefined;
};

/**
 * Puts each schema violation on its trait's node; one about the traits as a whole (an unknown trait) has
 * no node and is returned for the flow's own messages.
 */
function placeViolations(violations: TraitViolation[], nodes: NonNullable<FlowUiState['nodes']>): UiText[] {
  const general: UiText[] = [];
  for (const violation of violations) {
    if (!violation.node) {
      general.push(violation.message);
      continue;
    }
    const node = nodes[violation.node] ?? {};
    nodes[violation.node] = { ...node, messages: [...(node.messages ?? []), violation.message] };
  }
  return general;
}

export interface StrategyDeps {
  identities: IdentityService;
  identityStore: IdentityStore;
  sessions: SessionService;
  hasher: PasswordHasher;
  /** A hash of a random password at the configured cost: compared against when the identifier is unknown. */
  decoyHash: string;
  limits: CredentialRateLimits;
  privilegedMaxAgeMs: number;
  publicBaseUrl: string;
}

/** The password strategy of the login flow: always one lookup and one bcrypt comparison. */
export async function submitLogin(
  deps: StrategyDeps,
  body: SubmissionBody,
  request: Request,
): Promise<IssuedSession> {
  deps.limits.attempt(request);
  if (body.method !== 'password') throw FlowValidationError.of([noStrategy('log you in', 4010002)]);
  const nodes: NonNullable<FlowUiState['nodes']> = {};
  const identifier = requiredString(body, 'identifier', nodes);
  const password = requiredString(body, 'password', nodes);
  if (identifier === undefined || password === undefined) {
    if (identifier !== undefined) nodes.identifier = { value: identifier };
    throw FlowValidationError.of([], nodes);
  }
  const normalised = identifier.trim().toLowerCase();
  deps.limits.checkIdentifier(normalised);
  const refuse = (message: UiText) =>
    FlowValidationError.of([message], { identifier: { value: identifier } });
  const credential = await deps.identityStore.findCredential(normalised);
  // bcrypt reads only 72 bytes: a longer password is compared (the same work) but never accepted.
  const matches = await deps.hasher.compare(password, credential?.password_hash ?? deps.decoyHash);
  if (!credential || !matches || Buffer.byteLength(password) > maximumPasswordBytes) {
    deps.limits.failed(normalised);
    throw refuse(text.invalidCredentials());
  }
  if (credential.state !== 'active') throw refuse(text.identityDisabled());
  return deps.sessions.issue(credential);
}

/** The password strategy of the registration flow: traits against the schema, the password policy, then one transaction. */
export async function submitRegistration(
  deps: StrategyDeps,
  body: SubmissionBody,
  request: Request,
  fromForm: boolean,
): Promise<IssuedSession> {
  deps.limits.attempt(request);
  if (body.method !== 'password') throw FlowValidationError.of([noStrategy('sign you up', 4010003)]);
  const schema = deps.identities.schemaOf(undefined);
  const traits = traitsOf(body, schema, fromForm) ?? {};
  const nodes: NonNullable<FlowUiState['nodes']> = traitValues(traits);
  const messages = placeViolations(schema.validate(traits), nodes);
  const password = requiredString(body, 'password', nodes);
  const policy = password === undefined ? undefined : passwordViolation(password);
  if (policy) nodes.password = { messages: [policy] };
  if (messages.length > 0 || Object.values(nodes).some((node) => node.messages?.length))
    throw FlowValidationError.of(messages, nodes);
  try {
    const identity = await deps.identities.create({ traits, password: { clear: password } });
    return await deps.sessions.issue(identity);
  } catch (error) {
    if (error instanceof DuplicateIdentityError)
      throw FlowValidationError.of([text.duplicateCredentials()], nodes);
    throw error;
  }
}

export interface SettingsOutcome {
  identity: IdentityRecord;
}

/** The settings flow: `profile` (traits) or `password`; identifier and password changes need a recent login. */
export async function submitSettings(
  deps: StrategyDeps,
  body: SubmissionBody,
  request: Request,
  active: ActiveSession,
  fromForm: boolean,
): Promise<SettingsOutcome> {
  deps.limits.attempt(request);
  const privileged = () => {
    const age = Date.now() - new Date(active.session.authenticated_at).getTime();
    if (age > deps.privilegedMaxAgeMs) {
      throw privilegedSessionRequired(`${deps.publicBaseUrl}/self-service/login/browser?refresh=true`);
    }
  };
  if (body.method === 'password') {
    const nodes: NonNullable<FlowUiState['nodes']> = {};
    const password = requiredString(body, 'password', nodes);
    if (password === undefined) throw FlowValidationError.of([], nodes);
    privileged();
    try {
      await deps.identities.setPassword(active.identity.id, password);
    } catch (error) {
      if (error instanceof PasswordInvalidError)
        throw FlowValidationError.of([], { password: { messages: [error.violation] } });
      throw error;
    }
    return { identity: active.identity };
  }
  if (body.method === 'profile') {
    const schema = deps.identities.schemaOf(active.identity.schema_id);
    const traits = traitsOf(body, schema, fromForm) ?? {};
    const nodes = traitValues(traits);
    const before = new Set(schema.identifiers(JSON.parse(active.identity.traits)));
    const after = schema.identifiers(traits);
    if (after.length !== before.size || after.some((identifier) => !before.has(identifier))) privileged();
    try {
      const identity = await deps.identities.update(active.identity, {
        traits,
        metadata_public: JSON.parse(active.identity.metadata_public ?? 'null'),
        metadata_admin: JSON.parse(active.identity.metadata_admin ?? 'null'),
      });
      return { identity };
    } catch (error) {
      if (error instanceof TraitsInvalidError) {
        throw FlowValidationError.of(placeViolations(error.violations, nodes), nodes);
      }
      if (error instanceof DuplicateIdentityError)
        throw FlowValidationError.of([text.duplicateCredentials()], nodes);
      throw error;
    }
  }
  throw FlowValidationError.of([noStrategy('update your settings', 4010004)]);
}
