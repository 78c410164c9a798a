import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes; only its SHA-256 is stored, so a leaked table cannot be replayed. */
export function newSessionToken(): string {
  return `ory_st_${randomBytes(32).toString('base64url')}`;
}

/** The token of a logout_url; like the session token, stored only as its SHA-256. */
export function newLogoutToken(): string {
  return `ory_lo_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** One cookie's value from a Cookie header, percent-decoded when it is valid percent-encoding. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return undefined;
}
