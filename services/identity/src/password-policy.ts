import { text, type UiText } from './text';

export const minimumPasswordLength = 8;
/** bcrypt reads 72 bytes and ignores the rest: a longer password would be only partly checked. */
export const maximumPasswordBytes = 72;

/** Kratos's password length rules: at least 8 characters, at most 72 bytes (its bcrypt limit). */
export function passwordViolation(password: string): UiText | undefined {
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes > maximumPasswordBytes) return text.passwordMaxLength(maximumPasswordBytes, bytes);
  const characters = [...password].length;
  if (characters < minimumPasswordLength) return text.passwordMinLength(minimumPasswordLength, characters);
  return undefined;
}
