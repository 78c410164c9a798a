import { BlockList, isIP } from 'node:net';
import type { PipelineRequest } from '../definition';

export interface When {
  error?: string[];
  request?: {
    remote_ip?: { match?: string[]; respect_forwarded_for_header?: boolean };
    header?: { content_type?: string[]; accept?: string[] };
  };
}

/** Oathkeeper's error kinds: the status text, lower case, spaces as underscores (`unauthorized`, `not_found`). */
export const errorKind = (status: number, statusText: string): string =>
  status === 499
    ? 'client_closed_request'
    : statusText.toLowerCase().replaceAll(' ', '_').replaceAll("'", '');

const mediaTypes = (header: string): string[] =>
  header
    .split(',')
    .map((part) => (part.split(';')[0] ?? '').trim().toLowerCase())
    .filter(Boolean);

// Does any of the request media types match any of the handler ones (any, type wildcard, exact)?
function mediaMatches(requested: string, wanted: readonly string[]): boolean {
  return mediaTypes(requested).some((actual) =>
    wanted.some((raw) => {
      const want = raw.toLowerCase();
      if (want === '*/*' || want === actual) return true;
      return want.endsWith('/*') && actual.split('/')[0] === want.slice(0, -2);
    }),
  );
}

function ipList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', bits] = cidr.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (isIP(address) === 0) throw new Error(`when.request.remote_ip.match: "${cidr}" is not a CIDR`);
    list.addSubnet(address, Number(bits ?? (family === 'ipv6' ? 128 : 32)), family);
  }
  return list;
}

/** Compiles a `when` list once: the handler answers when any clause matches (or when there is none). */
export function compileWhen(whens: readonly When[]): (request: PipelineRequest, kind: string) => boolean {
  const clauses = whens.map((when) => ({ when, ips: ipList(when.request?.remote_ip?.match ?? []) }));
  return (request, kind) => {
    if (clauses.length === 0) return true;
    return clauses.some(({ when, ips }) => {
      if (when.error && when.error.length > 0 && !when.error.includes(kind)) return false;
      const header = when.request?.header;
      if (
        header?.content_type?.length &&
        !mediaMatches(
          String(request.headers['content-type'] ?? 'application/octet-stream'),
          header.content_type,
        )
      )
        return false;
      if (
        header?.accept?.length &&
        !mediaMatches(String(request.headers.accept ?? 'application/octet-stream'), header.accept)
      )
        return false;
      const remote = when.request?.remote_ip;
      if (remote?.match?.length) {
        const candidates = [request.remoteAddress.replace(/^::ffff:/, '')];
        if (remote.respect_forwarded_for_header)
          candidates.push(
            ...String(request.headers['x-forwarded-for'] ?? '')
              .split(',')
              .map((ip) => ip.trim())
              .filter(Boolean),
          );
        return candidates.some((ip) => isIP(ip) !== 0 && ips.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4'));
      }
      return true;
    });
  };
}
