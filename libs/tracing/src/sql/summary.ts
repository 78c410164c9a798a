export interface SqlSummary {
  /** The statement's verb, upper-cased: SELECT, INSERT, UPDATE, DELETE, BEGIN … */
  operation: string;
  /** The first table the statement names, when there is one. */
  collection: string | undefined;
}

const collectionAfter: Record<string, RegExp> = {
  SELECT: /\bFROM\s+("?)([A-Za-z_][\w.]*)\1/i,
  DELETE: /\bFROM\s+("?)([A-Za-z_][\w.]*)\1/i,
  INSERT: /\bINTO\s+("?)([A-Za-z_][\w.]*)\1/i,
  UPDATE: /^\s*UPDATE\s+("?)([A-Za-z_][\w.]*)\1/i,
  CREATE: /\b(?:TABLE|INDEX)\s+(?:IF\s+NOT\s+EXISTS\s+)?("?)([A-Za-z_][\w.]*)\1/i,
};

/** db.operation.name and db.collection.name, read from the (parameterized) statement text. */
export function summarizeSql(text: string): SqlSummary {
  const withoutComments = text.replace(/--[^\n]*\n|\/\*[\s\S]*?\*\//g, ' ').trim();
  const operation = (withoutComments.match(/^[A-Za-z]+/)?.[0] ?? 'QUERY').toUpperCase();
  const from = operation === 'WITH' ? collectionAfter.SELECT : collectionAfter[operation];
  const collection = from ? withoutComments.match(from)?.[2] : undefined;
  return { operation, collection };
}

/** The span name of the stable database conventions: `{operation} {collection}`, or the operation alone. */
export function sqlSpanName(summary: SqlSummary): string {
  return summary.collection ? `${summary.operation} ${summary.collection}` : summary.operation;
}
