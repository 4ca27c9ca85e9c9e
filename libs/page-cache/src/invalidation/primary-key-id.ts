import { compositeEntityId } from '../pages/key/entity-id.js';

/**
 * The id an ORM integration puts in its events for a primary key given as its column values, in
 * the key's column order: a one-column key's value as it is (a `bigint` as its decimal string), a
 * key of several columns encoded by `compositeEntityId` — the form a `@CacheKeyFrom` page names it
 * in, so that page is the one cleared.
 *
 * @returns `undefined` when a value is missing or cannot be encoded: the event then names the
 *   model alone, which clears every entity of it (too much, never too little).
 */
export function primaryKeyId(values: readonly unknown[]): string | number | undefined {
  if (values.length === 1) {
    const [value] = values;
    if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
    if (typeof value === 'string') return value.length > 0 ? value : undefined;
    if (typeof value === 'bigint') return value.toString();
    return undefined;
  }
  return compositeEntityId(values);
}
