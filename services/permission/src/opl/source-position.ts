import type { PermissionModel } from './model';

/** Keto's API shape of a parse error: `Line` is capitalised there, `column` is not. */
export interface SourcePosition {
  Line: number;
  column: number;
}

export interface OplError {
  message: string;
  start: SourcePosition;
  end: SourcePosition;
}

export interface OplParseResult {
  model: PermissionModel;
  errors: OplError[];
}

/**
 * Keto's conversion of an offset to a position, kept exactly (including its off-by-one at the start of a
 * line) so that editors and tests that know Keto's answers get the same numbers from us.
 */
export function sourcePosition(input: string, offset: number): SourcePosition {
  const position = { Line: 1, column: 0 };
  let rest = offset;
  for (const char of input) {
    position.column++;
    rest--;
    if (rest <= 0) break;
    if (char === '\n') {
      position.Line++;
      position.column = 0;
    }
  }
  return position;
}
