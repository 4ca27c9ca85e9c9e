/** The primary key fields of each model, in key order: `{ Edition: ['bookId', 'lang'] }`. */
export type PrismaPrimaryKeys = Readonly<Record<string, readonly string[]>>;

/**
 * Reads each model's primary key from a Prisma schema: a field marked `@id`, or the fields of
 * `@@id([a, b])` / `@@id(fields: [a, b], name: "…")` in the order written.
 *
 * The generated client keeps the schema it was generated from (its runtime data model does not
 * say which fields are the key), so the extension finds the keys without being told.
 */
export function parsePrimaryKeys(schema: string): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  const models = /^[ \t]*model[ \t]+(\w+)[ \t]*\{([\s\S]*?)^[ \t]*\}/gm;
  for (const [, model, body] of schema.matchAll(models)) {
    for (const raw of body.split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      const compound = /^@@id\s*\(\s*(?:fields\s*:\s*)?\[([^\]]*)\]/.exec(line);
      if (compound) {
        keys[model] = compound[1]
          .split(',')
          .map(field => /^\s*(\w+)/.exec(field)?.[1])
          .filter((field): field is string => field !== undefined);
        break;
      }
      const single = /^(\w+)\s+\S+.*?(?:^|\s)@id\b/.exec(line);
      if (single) keys[model] = [single[1]];
    }
  }
  return keys;
}
