import type { EntityIdParser } from '../page-metadata.js';

/** Integers as a database prints them: no sign but `-`, no leading zero. */
const CANONICAL_INTEGER = /^(?:0|-?[1-9][0-9]*)$/;
/** Anything a numeric column or `Number()` would read as a number. */
const NUMERIC = /^\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?\s*$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The id an entity dependency is keyed by, in the form an invalidation event carries it (an event
 * for `Post 7` must clear `/posts/07`), or `undefined`: bypass. With `parse`, what it returns;
 * without, only ids no database reads as another value (not `07`, `+7`, `7.0`, an upper-case UUID,
 * surrounding spaces), since they could name the same row as their canonical spelling.
 */
export function canonicalEntityId(
  raw: unknown,
  parse?: EntityIdParser,
): string | number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (parse) {
    let parsed: unknown;
    try {
      parsed = parse(String(raw));
    } catch {
      return undefined;
    }
    return acceptable(parsed);
  }
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'bigint') return raw.toString();
  if (typeof raw !== 'string') return undefined;
  if (NUMERIC.test(raw) && !CANONICAL_INTEGER.test(raw)) return undefined;
  if (UUID.test(raw) && raw !== raw.toLowerCase()) return undefined;
  if (raw.trim() !== raw) return undefined;
  return raw;
}

function acceptable(value: unknown): string | number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' && value.length > 0) return value;
  return undefined;
}

/**
 * The id of an entity whose primary key has several columns, in the one form both sides use: the
 * ORM integrations put it in their events, and a page names it with
 * `@CacheKeyFrom({ model, id: req => compositeEntityId([req.params.a, req.params.b]) })`.
 *
 * Each part must be canonical as {@link canonicalEntityId} defines it (a route's `'7'` and the
 * database's `7` are the same part; `'07'` is refused), and is percent-encoded before the parts are
 * joined with `,`, so no two different keys share an encoding (`['a,b', 'c']` is `a%2Cb,c`).
 * Parts are in the order of the key's columns (as the ORM declares them). A single part is that
 * part's canonical id, unencoded, as for a one-column key.
 *
 * @returns `undefined` when a part is missing or not canonical (a page then bypasses the cache; an
 *   event then clears the whole model).
 */
export function compositeEntityId(parts: readonly unknown[]): string | number | undefined {
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return canonicalEntityId(parts[0]);
  const encoded: string[] = [];
  for (const part of parts) {
    const canonical = canonicalEntityId(part);
    if (canonical === undefined) return undefined;
    encoded.push(encodeURIComponent(String(canonical)));
  }
  return encoded.join(',');
}
