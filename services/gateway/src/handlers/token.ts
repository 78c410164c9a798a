import { badRequest } from '@mesh/server';
import type { PipelineRequest } from './definition';
import type { TokenFrom } from './properties';

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * Oathkeeper's token_from: a header (the whole value, or after `Bearer ` for Authorization), a query
 * parameter or a cookie. Without it, `Authorization: Bearer <token>`.
 */
export function tokenFrom(
  request: PipelineRequest,
  from: TokenFrom | undefined,
  prefix = '',
): string | undefined {
  let token: string | undefined;
  if (from?.query_parameter) token = request.url.searchParams.get(from.query_parameter) ?? undefined;
  else if (from?.cookie) token = cookieValue(request.headers.cookie, from.cookie);
  else {
    const name = (from?.header ?? 'authorization').toLowerCase();
    const raw = request.headers[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (name === 'authorization') {
      const match = /^Bearer\s+(\S+)$/i.exec(value ?? '');
      token = match?.[1];
    } else token = value;
  }
  if (token === undefined || token === '') return undefined;
  return prefix && !token.startsWith(prefix) ? undefined : token;
}

/** A token_from names exactly one place; an empty one (as the global config fills it in) is the default. */
export function checkTokenFrom(from: TokenFrom | undefined): TokenFrom | undefined {
  const set = Object.entries(from ?? {}).filter(([, value]) => value !== undefined && value !== '');
  if (set.length === 0) return undefined;
  if (set.length > 1) throw badRequest('token_from must name exactly one of header, query_parameter, cookie');
  return from;
}
