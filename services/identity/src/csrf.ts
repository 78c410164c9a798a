import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Request, Response } from 'express';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { csrfRejectReasons, csrfViolation } from './kratos-errors';
import { cookieValue } from './session-token';

const tokenBytes = 32;
const cookieMaxAgeMs = 365 * 24 * 3_600_000;
const tracer = trace.getTracer('identity');

/**
 * The anti-CSRF double submit, as Kratos does it with nosurf: a random token in an HttpOnly cookie, and in
 * each browser flow's `csrf_token` node the same token masked with a fresh one-time pad (so the page never
 * shows a constant secret). A submission must send the masked token; it unmasks to the cookie's token.
 */
export class CsrfProtection {
  /** nosurf's cookie name with a suffix of the public URL, so two deployments on one host do not clash. */
  readonly cookieName: string;

  constructor(
    publicBaseUrl: string,
    private readonly secure: boolean,
  ) {
    this.cookieName = `csrf_token_${createHash('sha256').update(publicBaseUrl).digest('hex').slice(0, 16)}`;
  }

  private tokenOf(request: Request): Buffer | undefined {
    const value = cookieValue(request.get('cookie'), this.cookieName);
    const token = value === undefined ? undefined : Buffer.from(value, 'base64url');
    return token?.length === tokenBytes ? token : undefined;
  }

  /** The browser's token (a new one, set as cookie, when it has none) masked for a form. */
  issue(request: Request, response: Response): string {
    let token = this.tokenOf(request);
    if (!token) {
      token = randomBytes(tokenBytes);
      response.cookie(this.cookieName, token.toString('base64url'), {
        httpOnly: true,
        secure: this.secure,
        sameSite: 'lax',
        path: '/',
        maxAge: cookieMaxAgeMs,
      });
    }
    const pad = randomBytes(tokenBytes);
    const masked = Buffer.alloc(tokenBytes);
    for (let i = 0; i < tokenBytes; i++) masked[i] = (pad[i] as number) ^ (token[i] as number);
    return Buffer.concat([pad, masked]).toString('base64url');
  }

  /** Throws Kratos's 403 security_csrf_violation unless the sent token unmasks to the cookie's token. */
  verify(request: Request, sent: unknown): void {
    tracer.startActiveSpan('csrf.Verify', (span) => {
      try {
        const reason = this.rejectReason(request, sent);
        span.setAttribute('csrf.valid', reason === undefined);
        if (reason) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
          throw csrfViolation(reason);
        }
      } finally {
        span.end();
      }
    });
  }

  private rejectReason(request: Request, sent: unknown): string | undefined {
    if (!request.get('cookie')) return csrfRejectReasons.noCookie;
    const token = this.tokenOf(request);
    if (!token) return csrfRejectReasons.cookieMissing;
    const header = request.get('x-csrf-token');
    const value = typeof sent === 'string' && sent !== '' ? sent : header;
    if (!value) return csrfRejectReasons.tokenNotSent;
    const raw = Buffer.from(value, 'base64url');
    if (raw.length !== 2 * tokenBytes) return csrfRejectReasons.tokenMismatch;
    const unmasked = Buffer.alloc(tokenBytes);
    for (let i = 0; i < tokenBytes; i++) unmasked[i] = (raw[i] as number) ^ (raw[i + tokenBytes] as number);
    return timingSafeEqual(unmasked, token) ? undefined : csrfRejectReasons.tokenMismatch;
  }
}
