import type { Request } from 'express';
import { createHash, randomBytes } from 'node:crypto';

/** The cookie Kratos sets and Oathkeeper's cookie_session authenticator forwards. */
export const sessionCookieName = 'ory_kratos_session';

/** 32 random bytes; only its SHA-256 is stored, so a leaked table cannot be replayed. */
export function newSessionToken(): string {
  return `ory_st_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        // A cookie that is not valid percent-encoding is used as sent; it will simply not match a session.
        return value;
      }
    }
  }
  return undefined;
}

/** Kratos's order: `X-Session-Token`, then the `ory_kratos_session` cookie, then `Authorization: Bearer`. */
export function sessionTokenOf(request: Request): string | undefined {
  const header = request.get('x-session-token');
  if (header) return header;
  const cookie = cookieValue(request.get('cookie'), sessionCookieName);
  if (cookie) return cookie;
  const authorization = /^Bearer\s+(\S+)$/i.exec(request.get('authorization') ?? '');
  return authorization?.[1];
}
