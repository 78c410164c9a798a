import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The `version` of the nearest package.json above `directory`: what /version and service.version report. */
export function packageVersion(directory: string): string {
  let current = directory;
  while (!existsSync(join(current, 'package.json'))) {
    const parent = dirname(current);
    if (parent === current) return '0.0.0';
    current = parent;
  }
  return (
    (JSON.parse(readFileSync(join(current, 'package.json'), 'utf8')) as { version?: string }).version ??
    '0.0.0'
  );
}
