import type { Request, Response } from 'express';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IdentityConfig } from './config';
import { cookieValue } from './session-token';

/**
 * The `ory_kratos_session` cookie: the session token with an HMAC-SHA256 of it under `secrets.cookie`, so
 * only a value this service issued is accepted. A bare session token in the cookie fails the signature.
 */
export class SessionCookie {
  private readonly secrets: Buffer[];
  readonly name: string;
  /** True when no secret was configured: the process made one up, and cookies die with it. */
  readonly ephemeral: boolean;

  constructor(private readonly config: IdentityConfig) {
    this.name = config.session.cookie.name;
    this.ephemeral = config.secrets.cookie.length === 0;
    this.secrets = (this.ephemeral ? [randomBytes(32).toString('hex')] : config.secrets.cookie).map(
      (secret) => Buffer.from(secret, 'utf8'),
    );
  }

  private mac(secret: Buffer, payload: string): Buffer {
    return createHmac('sha256', secret).update(`${this.name}|${payload}`).digest();
  }

  encode(token: string): string {
    const payload = Buffer.from(token, 'utf8').toString('base64url');
    return `${payload}.${this.mac(this.secrets[0] as Buffer, payload).toString('base64url')}`;
  }

  /** The session token in the request's cookie when its signature holds under any configured secret. */
  read(request: Request): string | undefined {
    const value = cookieValue(request.get('cookie'), this.name);
    if (!value) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const payload = value.slice(0, dot);
    const signature = Buffer.from(value.slice(dot + 1), 'base64url');
    const valid = this.secrets.some((secret) => {
      const expected = this.mac(secret, payload);
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    });
    return valid ? Buffer.from(payload, 'base64url').toString('utf8') : undefined;
  }

  /** Whether the request carries the cookie at all (valid or not). */
  present(request: Request): boolean {
    return cookieValue(request.get('cookie'), this.name) !== undefined;
  }

  set(response: Response, token: string, expiresAt: string): void {
    const { cookie } = this.config.session;
    response.cookie(this.name, this.encode(token), {
      httpOnly: true,
      secure: !this.config.dev,
      sameSite: cookie.same_site.toLowerCase() as 'lax' | 'strict' | 'none',
      path: cookie.path,
      ...(cookie.domain ? { domain: cookie.domain } : {}),
      ...(cookie.persistent ? { expires: new Date(expiresAt) } : {}),
      encode: (value) => value,
    });
  }

  clear(response: Response): void {
    const { cookie } = this.config.session;
    response.clearCookie(this.name, {
      httpOnly: true,
      secure: !this.config.dev,
      sameSite: cookie.same_site.toLowerCase() as 'lax' | 'strict' | 'none',
      path: cookie.path,
      ...(cookie.domain ? { domain: cookie.domain } : {}),
    });
  }
}
