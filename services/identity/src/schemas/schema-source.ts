import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const fetchTimeoutMs = 10_000;

/** The bytes behind an `identity.schemas[].url`: file://, base64:// or http(s)://, as Kratos reads them. */
export async function readSchemaSource(url: string): Promise<string> {
  if (url.startsWith('base64://'))
    return Buffer.from(url.slice('base64://'.length), 'base64').toString('utf8');
  if (url.startsWith('file://')) {
    // file:///abs/path is a URL; file://relative/path (Kratos accepts it) is a path from the working directory.
    return readFile(url.startsWith('file:///') ? fileURLToPath(url) : url.slice('file://'.length), 'utf8');
  }
  if (/^https?:\/\//.test(url)) {
    const response = await fetch(url, { signal: AbortSignal.timeout(fetchTimeoutMs) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.text();
  }
  throw new Error(`${url} is not a file://, base64:// or http(s):// URL`);
}
