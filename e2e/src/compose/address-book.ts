import { posix } from 'node:path';

/**
 * The rehearsal's stand-in for the compose network: `<service>:<container port>` → `127.0.0.1:<port>`,
 * and container paths → the directories that stand for them on this host. Every address a rewritten file
 * names must have a stand-in, so a config that points at a host the stack does not have fails here.
 */
export class AddressBook {
  private readonly addresses = new Map<string, string>();
  private readonly paths: [string, string][] = [];

  constructor(private readonly hostNames: readonly string[]) {}

  set(service: string, containerPort: number, address: string): void {
    this.addresses.set(`${service}:${containerPort}`, address);
  }

  get(service: string, containerPort: number): string {
    const address = this.addresses.get(`${service}:${containerPort}`);
    if (!address) throw new Error(`the rehearsal has no stand-in for ${service}:${containerPort}`);
    return address;
  }

  /** `/etc/mesh` (a mount target, the WORKDIR) stands at `hostPath` for one service's container. */
  withPaths(paths: Record<string, string>): AddressBook {
    const book = new AddressBook(this.hostNames);
    for (const [key, value] of this.addresses) book.addresses.set(key, value);
    book.paths.push(...Object.entries(paths).sort(([a], [b]) => b.length - a.length));
    return book;
  }

  /** Compose host names (with a port) → their stand-ins; container paths → host paths. */
  rewrite(text: string): string {
    const names = this.hostNames.map((name) => name.replace(/[.-]/g, '\\$&')).join('|');
    let result = text.replace(
      new RegExp(`(?<![\\w.-])(${names}):(\\d+)(?![\\d])`, 'g'),
      (_match, host: string, port: string) => this.get(host, Number(port)),
    );
    for (const [containerPath, hostPath] of this.paths) {
      const escaped = containerPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      result = result.replace(
        new RegExp(`(?<![\\w.-])${escaped}(?=$|[/\\s'",])`, 'g'),
        posix.normalize(hostPath),
      );
    }
    return result;
  }
}
