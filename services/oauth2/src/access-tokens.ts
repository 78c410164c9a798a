import { SignJWT } from 'jose';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { signingAlgorithm, type SigningKey } from './signing-keys';
import type { AccessTokenRecord, TokenStore } from './store/token-store';

/** What the token endpoint answers (RFC 6749 §5.1), as Hydra shapes it. */
export interface TokenResponse {
  access_token: string;
  expires_in: number;
  scope: string;
  token_type: 'bearer';
}

/** What introspection answers (RFC 7662 §2.2), as Hydra shapes it; only `active` when the token is not. */
export type Introspection =
  | { active: false }
  | {
      active: true;
      client_id: string;
      sub: string;
      scope: string;
      aud: string[];
      exp: number;
      iat: number;
      nbf: number;
      iss: string;
      token_type: 'Bearer';
      token_use: 'access_token';
    };

export interface TokenSettings {
  strategy: 'opaque' | 'jwt';
  lifespanMs: number;
  /** The `iss` of every token and introspection answer. */
  issuer: string;
  signingKey: SigningKey;
}

/** Only this is stored: a leaked table holds no token that could be replayed. */
export const signatureOf = (token: string): string => createHash('sha256').update(token).digest('hex');

const seconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

/** Issues, introspects and revokes access tokens of either strategy; both are found by their hash. */
export class AccessTokens {
  constructor(
    private readonly store: TokenStore,
    private readonly settings: TokenSettings,
  ) {}

  async issue(clientId: string, scope: string[], audience: string[]): Promise<TokenResponse> {
    const now = new Date();
    const requestedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const expiresAt = new Date(requestedAt.getTime() + this.settings.lifespanMs);
    const requestId = randomUUID();
    const token =
      this.settings.strategy === 'jwt'
        ? await new SignJWT({ client_id: clientId, scp: scope, ext: {} })
            .setProtectedHeader({ alg: signingAlgorithm, kid: this.settings.signingKey.kid, typ: 'JWT' })
            .setIssuer(this.settings.issuer)
            .setSubject(clientId)
            .setAudience(audience)
            .setJti(requestId)
            .setIssuedAt(requestedAt)
            .setNotBefore(requestedAt)
            .setExpirationTime(expiresAt)
            .sign(this.settings.signingKey.key)
        : `ory_at_${randomBytes(32).toString('base64url')}`;
    await this.store.create({
      signature: signatureOf(token),
      request_id: requestId,
      client_id: clientId,
      subject: clientId,
      granted_scope: scope,
      granted_audience: audience,
      requested_at: requestedAt.toISOString(),
      expires_at: expiresAt.toISOString(),
      active: true,
    });
    return {
      access_token: token,
      expires_in: Math.round(this.settings.lifespanMs / 1000),
      scope: scope.join(' '),
      token_type: 'bearer',
    };
  }

  /** Active means: known, not revoked, not expired, and holding every scope in `requiredScope` (Hydra's rule). */
  async introspect(token: string, requiredScope: string[]): Promise<Introspection> {
    const record = await this.store.find(signatureOf(token));
    if (!record || !this.isActive(record)) return { active: false };
    if (!requiredScope.every((scope) => record.granted_scope.includes(scope))) return { active: false };
    return {
      active: true,
      client_id: record.client_id,
      sub: record.subject,
      scope: record.granted_scope.join(' '),
      aud: record.granted_audience,
      exp: seconds(record.expires_at),
      iat: seconds(record.requested_at),
      nbf: seconds(record.requested_at),
      iss: this.settings.issuer,
      token_type: 'Bearer',
      token_use: 'access_token',
    };
  }

  /** The token's record when it exists, for revocation's ownership check. */
  find(token: string): Promise<AccessTokenRecord | undefined> {
    return this.store.find(signatureOf(token));
  }

  revoke(token: string): Promise<void> {
    return this.store.deactivate(signatureOf(token));
  }

  private isActive(record: AccessTokenRecord): boolean {
    return record.active && new Date(record.expires_at) > new Date();
  }
}
