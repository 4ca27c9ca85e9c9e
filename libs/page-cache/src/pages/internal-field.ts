/**
 * Node and Fastify keep some fields under symbols they do not export (`kOutHeaders`,
 * `fastify.context`, `fastify.reply.headers`): found by their description on the first object
 * that has one, then read directly. Not found is asked again next time (an HTTP/2 response, say,
 * lacks a field an HTTP/1 one has).
 */
const found = new Map<string, symbol>();

/** The field of `object` under the internal symbol described `description`; `undefined` if none. */
export function internalField(object: object, description: string): unknown {
  const known = found.get(description);
  if (known !== undefined) {
    const value = (object as Record<symbol, unknown>)[known];
    // Another copy of the framework (its own symbols) in the same process: looked up again.
    if (value !== undefined || Object.prototype.hasOwnProperty.call(object, known)) return value;
  }
  const symbol = Object.getOwnPropertySymbols(object).find(
    each => each.description === description,
  );
  if (symbol === undefined) return undefined;
  found.set(description, symbol);
  return (object as Record<symbol, unknown>)[symbol];
}
