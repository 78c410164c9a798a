import { parseDuration } from '@mesh/config';
import { badRequest, HttpError, notFound, unauthorized } from '@mesh/server';
import type { PasswordHasher } from '@mesh/tracing';
import type { IdentityConfig } from './config';
import { minimumPasswordLength } from './request-schemas';
import { hashToken, newSessionToken } from './session-token';
import type { FlowRecord, IdentityRecord, IdentityStore, SessionRecord } from './store/identity-store';

export interface IssuedSession {
  token: string;
  session: SessionRecord;
  identity: IdentityRecord;
}

/** Kratos's answer to a wrong password and to an unknown identifier: the same words, the same status. */
const invalidCredentials = () =>
  new HttpError(
    400,
    'The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.',
    'invalid credentials',
    'credentials_invalid',
  );

function checkPasswordPolicy(password: string): void {
  if (password.length < minimumPasswordLength) {
    throw badRequest(`the password must be at least ${minimumPasswordLength} characters long`);
  }
}

function unexpired(flow: FlowRecord): FlowRecord {
  if (new Date(flow.expires_at) <= new Date()) {
    throw new HttpError(
      410,
      `The ${flow.type} flow has expired, start a new one`,
      'self-service flow expired',
      'self_service_flow_expired',
    );
  }
  return flow;
}

/** The identity service's behaviour, independent of HTTP routing. */
export class IdentityService {
  private readonly sessionLifespanMs: number;
  private readonly flowLifespanMs: Record<FlowRecord['type'], number>;

  constructor(
    private readonly store: IdentityStore,
    private readonly hasher: PasswordHasher,
    /** A hash of a random password at the configured cost: compared against when the identifier is unknown. */
    private readonly decoyHash: string,
    config: IdentityConfig,
  ) {
    this.sessionLifespanMs = parseDuration('session.lifespan', config.session.lifespan);
    this.flowLifespanMs = {
      login: parseDuration('selfservice.flows.login.lifespan', config.selfservice.flows.login.lifespan),
      registration: parseDuration(
        'selfservice.flows.registration.lifespan',
        config.selfservice.flows.registration.lifespan,
      ),
    };
  }

  async createIdentity(email: string, password: string | undefined): Promise<IdentityRecord> {
    if (password !== undefined) checkPasswordPolicy(password);
    const hash = password === undefined ? undefined : await this.hasher.generate(password);
    return this.store.createIdentity(email, hash);
  }

  createFlow(type: FlowRecord['type'], requestUrl: string): Promise<FlowRecord> {
    return this.store.createFlow(type, requestUrl, this.flowLifespanMs[type]);
  }

  /** A flow to submit to: unknown is malformed input (400), expired is Kratos's 410. */
  async activeFlow(id: string, type: FlowRecord['type']): Promise<FlowRecord> {
    const flow = await this.store.findFlow(id, type);
    if (!flow)
      throw badRequest(`the ${type} flow ${id} does not exist`, `The ${type} flow could not be found`);
    return unexpired(flow);
  }

  /** A flow lookup, as Kratos answers it: unknown is 404, expired is 410. */
  async findFlow(id: string, type: FlowRecord['type']): Promise<FlowRecord> {
    const flow = await this.store.findFlow(id, type);
    if (!flow) throw notFound(`the ${type} flow ${id} does not exist`);
    return unexpired(flow);
  }

  async register(email: string, password: string): Promise<IssuedSession> {
    const identity = await this.createIdentity(email, password);
    return this.issueSession(identity);
  }

  /** Always one lookup and one bcrypt comparison, so the answer time does not reveal which accounts exist. */
  async login(identifier: string, password: string): Promise<IssuedSession> {
    const credential = await this.store.findCredential(identifier);
    const matches = await this.hasher.compare(password, credential?.password_hash ?? this.decoyHash);
    if (!credential || !matches || credential.state !== 'active') throw invalidCredentials();
    return this.issueSession(credential);
  }

  private async issueSession(identity: IdentityRecord): Promise<IssuedSession> {
    const token = newSessionToken();
    const session = await this.store.createSession(identity.id, hashToken(token), this.sessionLifespanMs);
    return { token, session, identity };
  }

  /** whoami: the session of a token, active and unexpired, with its identity. */
  async whoami(token: string | undefined): Promise<{ session: SessionRecord; identity: IdentityRecord }> {
    if (!token)
      throw unauthorized('no session token was sent', 'No valid session credentials found in the request.');
    const session = await this.store.findSessionByTokenHash(hashToken(token));
    if (!session || session.revoked_at !== null || new Date(session.expires_at) <= new Date()) {
      throw unauthorized(
        'the session is unknown, expired or revoked',
        'No valid session credentials found in the request.',
      );
    }
    const identity = await this.store.findIdentity(session.identity_id);
    if (!identity || identity.state !== 'active') {
      throw unauthorized(
        'the identity of the session is gone',
        'No valid session credentials found in the request.',
      );
    }
    return { session, identity };
  }

  async logout(token: string): Promise<void> {
    if (!(await this.store.revokeSessionByTokenHash(hashToken(token)))) {
      throw unauthorized(
        'the session token is unknown or already revoked',
        'No valid session credentials found in the request.',
      );
    }
  }
}
