import { HttpError, type OryErrorBody } from '@mesh/server';

/** An Ory error with the extra fields Kratos puts next to `error` (use_flow_id, redirect_browser_to …) or in `error.details`. */
export class KratosError extends HttpError {
  constructor(
    status: number,
    message: string,
    reason: string | undefined,
    id: string,
    readonly details?: Record<string, unknown>,
    readonly extra?: Record<string, unknown>,
  ) {
    super(status, message, reason, id);
  }

  override toBody(): OryErrorBody {
    const body = super.toBody();
    return {
      ...(this.extra ?? {}),
      error: { ...body.error, ...(this.details ? { details: this.details } : {}) },
    } as OryErrorBody;
  }
}

const csrfReason =
  'Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, leaking personal information, and other serious security issues.';

/** Why a CSRF check failed, in nosurf's words as Kratos reports them. */
export const csrfRejectReasons = {
  noCookie: 'The HTTP Cookie Header is empty or not set.',
  cookieMissing: 'The HTTP Cookie Header was set but did not include the anti-CSRF cookie.',
  tokenNotSent:
    'The anti-CSRF cookie was found but the CSRF token was not included in the HTTP request body (csrf_token) nor in the HTTP Header (X-CSRF-Token).',
  tokenMismatch:
    'The HTTP Cookie Header was set and a CSRF token was sent but they do not match. We recommend deleting all cookies for this domain and retrying the flow.',
} as const;

export const csrfViolation = (rejectReason: string) =>
  new KratosError(
    403,
    'the request was rejected to protect you from Cross-Site-Request-Forgery',
    csrfReason,
    'security_csrf_violation',
    { docs: 'https://www.ory.sh/kratos/docs/debug/csrf', reject_reason: rejectReason },
  );

/** whoami and every endpoint that needs a session: Kratos's ErrNoActiveSessionFound. */
export const noActiveSession = () =>
  new KratosError(
    401,
    'request does not have a valid authentication session',
    'No active session was found in this request.',
    'session_inactive',
  );

export const flowExpired = (expiredAt: Date, newFlowId: string) => {
  const since = Date.now() - expiredAt.getTime();
  return new KratosError(
    410,
    'self-service flow expired',
    `The self-service flow expired ${(since / 60_000).toFixed(2)} minutes ago, initialize a new one.`,
    'self_service_flow_expired',
    undefined,
    { expired_at: expiredAt.toISOString(), since: since * 1_000_000, use_flow_id: newFlowId },
  );
};

export const returnToForbidden = (url: string) =>
  new KratosError(
    400,
    'The request was malformed or contained invalid parameters',
    `Requested return_to URL "${url}" is not allowed.`,
    'self_service_flow_return_to_forbidden',
  );

export const alreadyLoggedIn = () =>
  new KratosError(
    400,
    'The request was malformed or contained invalid parameters',
    'A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?',
    'session_already_available',
  );

export const privilegedSessionRequired = (loginUrl: string) =>
  new KratosError(
    403,
    'The requested action was forbidden',
    'The login session is too old and thus not allowed to update these fields. Please re-authenticate.',
    'session_refresh_required',
    undefined,
    { redirect_browser_to: loginUrl },
  );

export const identityMismatch = () =>
  new KratosError(
    403,
    'The requested action was forbidden',
    'You must restart the flow because the resumable session was initiated by another person.',
    'security_identity_mismatch',
  );

export const tooManyRequests = (reason: string, retryAfterSeconds: number) =>
  new KratosError(429, 'The request was rate limited', reason, 'rate_limit_exceeded', {
    retry_after_seconds: retryAfterSeconds,
  });
