/** The primary key fields of each model, in key order: `{ Edition: ['bookId', 'lang'] }`. */
export type PrismaPrimaryKeys = Readonly<Record<string, readonly string[]>>;

/**
 * Reads each model's primary key from the schema the client keeps (its runtime data model does not
 * say which fields are the key): a field marked `@id`, or the fields of `@@id([a, b])` in order.
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
