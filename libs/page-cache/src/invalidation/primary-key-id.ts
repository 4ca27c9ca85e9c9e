import { compositeEntityId } from '../pages/key/entity-id.js';

/**
 * The id an ORM integration's events give a primary key's column values: one value as it is (a
 * `bigint` as a string), several encoded by `compositeEntityId`, as a `@CacheKeyFrom` page names it.
 * @returns `undefined` when a value is missing or cannot be encoded: the event then names the
 *   model alone (too much, never too little).
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
