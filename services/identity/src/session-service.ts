import { parseDuration } from '@mesh/config';
import type { Request } from 'express';
import type { IdentityConfig } from './config';
import { KratosError, noActiveSession } from './kratos-errors';
import type { SessionCookie } from './session-cookie';
import { hashToken, newLogoutToken, newSessionToken } from './session-token';
import type { IdentityRecord, IdentityStore } from './store/identity-store';
import type { SessionRecord, SessionStore } from './store/session-store';

export interface IssuedSession {
  token: string;
  session: SessionRecord;
  identity: IdentityRecord;
}

export interface ActiveSession {
  token: string;
  session: SessionRecord;
  identity: IdentityRecord;
}

export const isActive = (session: SessionRecord, now = new Date()) =>
  session.revoked_at === null && new Date(session.expires_at) > now;

/** Sessions: issued at login and registration, found from a request's credentials. */
export class SessionService {
  readonly lifespanMs: number;

  constructor(
    private readonly sessions: SessionStore,
    private readonly identities: IdentityStore,
    readonly cookie: SessionCookie,
    config: IdentityConfig,
  ) {
    this.lifespanMs = parseDuration('session.lifespan', config.session.lifespan);
  }

  async issue(identity: IdentityRecord): Promise<IssuedSession> {
    const token = newSessionToken();
    const session = await this.sessions.create(identity.id, hashToken(token), this.lifespanMs);
    return { token, session, identity };
  }

  /**
   * The session token of a request: `X-Session-Token`, then `Authorization: Bearer`, then the signed
   * `ory_kratos_session` cookie. A cookie whose signature fails counts as no credential at all.
   */
  tokenOf(request: Request): string | undefined {
    const header = request.get('x-session-token');
    if (header) return header;
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.get('authorization') ?? '')?.[1];
    if (bearer) return bearer;
    return this.cookie.read(request);
  }

  /** The active session of a token with its active identity, or Kratos's 401 session_inactive. */
  async activeByToken(token: string | undefined): Promise<ActiveSession> {
    if (!token) throw noActiveSession();
    const session = await this.sessions.findByTokenHash(hashToken(token));
    if (!session || !isActive(session)) throw noActiveSession();
    const identity = await this.identities.findIdentity(session.identity_id);
    if (!identity || identity.state !== 'active') throw noActiveSession();
    return { token, session, identity };
  }

  active(request: Request): Promise<ActiveSession> {
    return this.activeByToken(this.tokenOf(request));
  }

  /** The request's session, or undefined when it has none (for flows that only look). */
  async optional(request: Request): Promise<ActiveSession | undefined> {
    const token = this.tokenOf(request);
    if (!token) return undefined;
    try {
      return await this.activeByToken(token);
    } catch (error) {
      if (error instanceof KratosError && error.status === 401) return undefined;
      throw error;
    }
  }

  /** A fresh logout token for the session (the previous one stops working): `createBrowserLogoutFlow`. */
  async newLogoutToken(session: SessionRecord): Promise<string> {
    const token = newLogoutToken();
    await this.sessions.setLogoutTokenHash(session.id, hashToken(token));
    return token;
  }
}
