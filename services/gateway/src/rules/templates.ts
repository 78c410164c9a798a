/** What a template can read: Oathkeeper's AuthenticationSession and match context. */
export interface TemplateContext {
  subject: string;
  extra: unknown;
  captures: readonly string[];
}

type Part = string | ((context: TemplateContext) => string);

export type Template = (context: TemplateContext) => string;

function pathValue(value: unknown, path: readonly string[]): string {
  let current = value;
  for (const key of path) {
    current =
      current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  }
  if (current === undefined || current === null) return '';
  return typeof current === 'string' ? current : JSON.stringify(current);
}

/** The Go-template forms Oathkeeper's rules use; anything else is refused when the rules load. */
function compileExpression(expression: string, rule: string): (context: TemplateContext) => string {
  const subject = /^(?:print\s+)?\.Subject$/.exec(expression);
  if (subject) return (context) => context.subject;
  const extra = /^(?:print\s+)?\.Extra((?:\.[A-Za-z0-9_-]+)+)$/.exec(expression);
  if (extra) {
    const path = (extra[1] ?? '').slice(1).split('.');
    return (context) => pathValue(context.extra, path);
  }
  const capture = /^printIndex\s+\.MatchContext\.RegexpCaptureGroups\s+(\d+)$/.exec(expression);
  if (capture) {
    const index = Number(capture[1]);
    return (context) => {
      const value = context.captures[index];
      if (value === undefined) throw new Error(`capture group ${index} does not exist`);
      return value;
    };
  }
  throw new Error(`rule ${rule}: the template "{{ ${expression} }}" cannot be evaluated`);
}

/**
 * Compiles a template once, when the rules load. `escape` is applied to every inserted value (JSON
 * escaping for payloads, so a subject cannot break out of its string).
 */
export function compileTemplate(
  source: string,
  rule: string,
  escape: (value: string) => string = (value) => value,
): Template {
  const parts: Part[] = [];
  let last = 0;
  for (const match of source.matchAll(/\{\{-?\s*(.*?)\s*-?\}\}/g)) {
    parts.push(source.slice(last, match.index));
    const evaluate = compileExpression(match[1] ?? '', rule);
    parts.push((context) => escape(evaluate(context)));
    last = (match.index ?? 0) + match[0].length;
  }
  if (source.slice(last).includes('{{')) throw new Error(`rule ${rule}: an unclosed template in "${source}"`);
  parts.push(source.slice(last));
  return (context) => parts.map((part) => (typeof part === 'string' ? part : part(context))).join('');
}

/** A JSON string's inside: quotes, backslashes and control characters escaped. */
export const jsonEscape = (value: string): string => JSON.stringify(value).slice(1, -1);

/** Header values: no CR or LF, so a value cannot start a new header. */
export const headerEscape = (value: string): string => value.replace(/[\r\n]/g, '');
