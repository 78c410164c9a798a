import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface IgnoreRule {
  pattern: RegExp;
  exception: boolean;
}

/** One .dockerignore pattern as a regular expression over context-relative paths (`**`, `*`, `?`). */
function patternOf(text: string): RegExp {
  const cleaned = text.replace(/^\/+/, '').replace(/\/+$/, '');
  let source = '';
  for (let index = 0; index < cleaned.length; index += 1) {
    const char = cleaned[index] ?? '';
    if (cleaned.startsWith('**/', index)) {
      source += '(?:.*/)?';
      index += 2;
    } else if (cleaned.startsWith('**', index)) {
      source += '.*';
      index += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * The build context's .dockerignore: whether a context-relative path reaches the build. A pattern that
 * matches a directory excludes everything under it; the last matching rule wins, `!` re-includes.
 */
export function dockerignore(contextDir: string): (relativePath: string) => boolean {
  const file = join(contextDir, '.dockerignore');
  const rules: IgnoreRule[] = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => ({
          exception: line.startsWith('!'),
          pattern: patternOf(line.replace(/^!/, '')),
        }))
    : [];
  return (relativePath) => {
    const segments = relativePath.split('/').filter((segment) => segment !== '' && segment !== '.');
    let included = true;
    for (const rule of rules) {
      for (let length = 1; length <= segments.length; length += 1) {
        if (rule.pattern.test(segments.slice(0, length).join('/'))) {
          included = rule.exception;
          break;
        }
      }
    }
    return included;
  };
}
