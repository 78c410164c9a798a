import { badRequest } from '@mesh/server';
import { randomBytes } from 'node:crypto';

/** bcrypt reads at most 72 bytes: a longer secret would match any secret sharing its first 72 bytes. */
export const maxSecretBytes = 72;
/** Hydra's lower bound for a chosen secret. */
export const minSecretLength = 6;

/** 32 random bytes, base64url: what a client gets when it does not choose its own secret. */
export const newClientSecret = (): string => randomBytes(32).toString('base64url');

export function checkClientSecret(secret: string): void {
  if (secret.length < minSecretLength)
    throw badRequest(`client_secret must be at least ${minSecretLength} characters long`);
  if (Buffer.byteLength(secret) > maxSecretBytes)
    throw badRequest(`client_secret must be at most ${maxSecretBytes} bytes long (bcrypt reads no more)`);
}
