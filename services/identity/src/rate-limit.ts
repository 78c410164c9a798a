import { parseDuration } from '@mesh/config';
import type { Request } from 'express';
import { BlockList, isIP } from 'node:net';
import type { IdentityConfig } from './config';
import { tooManyRequests } from './kratos-errors';

/** Keys kept per window; beyond this the oldest key is forgotten, so memory stays bounded under a flood of names. */
const maxKeys = 100_000;

/** Counts events per key in a sliding window (timestamps kept per key, pruned on every look). */
class SlidingWindow {
  private readonly events = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  private recent(key: string, now: number): number[] {
    const kept = (this.events.get(key) ?? []).filter((at) => at > now - this.windowMs);
    if (kept.length === 0) this.events.delete(key);
    else this.events.set(key, kept);
    return kept;
  }

  /** Seconds until the key may act again, or 0 when it is under the limit. */
  retryAfter(key: string, now = Date.now()): number {
    const recent = this.recent(key, now);
    if (recent.length < this.limit) return 0;
    return Math.max(1, Math.ceil(((recent[0] as number) + this.windowMs - now) / 1000));
  }

  record(key: string, now = Date.now()): void {
    const recent = this.recent(key, now);
    recent.push(now);
    this.events.delete(key);
    this.events.set(key, recent);
    if (this.events.size > maxKeys) this.events.delete(this.events.keys().next().value as string);
  }
}

function trustedList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0)
      throw new Error(`rate_limit.trusted_proxies: "${entry}" is not an IP address or CIDR range`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address as string, type);
    else list.addSubnet(address as string, Number(prefix), type);
  }
  return list;
}

const plain = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

/**
 * Rate limits of the credential endpoints (Kratos leaves this to a proxy): failed logins per identifier,
 * and submissions per client address. The client address is the socket's, or, when the socket is a trusted
 * proxy, the last X-Forwarded-For entry that is not itself a trusted proxy.
 */
export class CredentialRateLimits {
  private readonly failures: SlidingWindow;
  private readonly attempts: SlidingWindow;
  private readonly trusted: BlockList;

  constructor(private readonly config: IdentityConfig['rate_limit']) {
    this.failures = new SlidingWindow(
      config.per_identifier.max_failures,
      parseDuration('rate_limit.per_identifier.window', config.per_identifier.window),
    );
    this.attempts = new SlidingWindow(
      config.per_address.max_attempts,
      parseDuration('rate_limit.per_address.window', config.per_address.window),
    );
    this.trusted = trustedList(config.trusted_proxies);
  }

  private isTrusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }

  clientAddress(request: Request): string {
    const socket = plain(request.socket.remoteAddress ?? 'unknown');
    if (!this.isTrusted(socket)) return socket;
    const forwarded = (request.get('x-forwarded-for') ?? '')
      .split(',')
      .map((entry) => plain(entry.trim()))
      .filter((entry) => entry !== '');
    for (let i = forwarded.length - 1; i >= 0; i--) {
      const entry = forwarded[i] as string;
      if (!isIP(entry)) return socket;
      if (!this.isTrusted(entry)) return entry;
    }
    return forwarded[0] ?? socket;
  }

  /** Counts a credential submission of the request's client; 429 when the client is over its limit. */
  attempt(request: Request): void {
    if (!this.config.enabled) return;
    const address = this.clientAddress(request);
    const wait = this.attempts.retryAfter(address);
    if (wait > 0)
      throw tooManyRequests(`Too many requests from this address; retry in ${wait} seconds.`, wait);
    this.attempts.record(address);
  }

  /** 429 when the identifier has failed too often in the window (whether it exists or not). */
  checkIdentifier(identifier: string): void {
    if (!this.config.enabled) return;
    const wait = this.failures.retryAfter(identifier);
    if (wait > 0)
      throw tooManyRequests(`Too many failed logins for this identifier; retry in ${wait} seconds.`, wait);
  }

  failed(identifier: string): void {
    if (this.config.enabled) this.failures.record(identifier);
  }
}
