import { createHash } from 'node:crypto';
import { BoundedMemo } from './bounded-memo.js';
import { escapeGlob } from './stores/glob.js';

/**
 * How every key on the wire is built, escaped and validated. This is the one place to read to
 * know what a key looks like:
 *
 * - user values:   `{keyPrefix}:{version}:{key}`
 * - pages:         `{keyPrefix}:{version}:page:{view}:{dependencies}:{digest}`
 * - internal keys: `{keyPrefix}:{version}:~{kind}:…` (`~` is refused at the start of user keys)
 *
 * Anything that comes from a request (ids, paths, query strings, header and cookie values) is
 * either hashed or percent-encoded before it reaches a key, so it can never add glob syntax to a
 * pattern built from the key, nor be confused with another input.
 */

/** Longest user key accepted, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Model names: letters, digits, `_`, `.` and `-`, so they never carry glob or key syntax. */
export const MODEL_NAME = /^[A-Za-z0-9_.-]+$/;

/** Whether `text` holds a C0 control character or DEL (they break logs and redis-cli). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Builds `{keyPrefix}:{version}`. */
export function namespaceOf(keyPrefix: string, version: number): string {
  return `${keyPrefix}:${version}`;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Checks a user key: a non-empty string of well-formed UTF-16 without control characters, at most
 * 1024 UTF-8 bytes, not starting with the reserved `~`.
 * @throws TypeError naming the key.
 */
export function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new TypeError(`Invalid cache key: ${describe(key)}. Expected a non-empty string.`);
  }
  if (hasControlCharacter(key)) {
    throw new TypeError(`Invalid cache key: ${JSON.stringify(key)} contains a control character.`);
  }
  if (LONE_SURROGATE.test(key)) {
    // Sent to the store as UTF-8, a lone surrogate becomes U+FFFD: two keys would be one entry.
    throw new TypeError(
      `Invalid cache key: ${JSON.stringify(key)} contains a lone surrogate (not well-formed UTF-16).`,
    );
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new TypeError(
      `Invalid cache key: ${JSON.stringify(key.slice(0, 40))}… is ${Buffer.byteLength(key)} bytes long; the limit is ${MAX_KEY_BYTES}.`,
    );
  }
  if (key.startsWith('~')) {
    throw new TypeError(
      `Invalid cache key: ${JSON.stringify(key)}. Keys starting with "~" are reserved for the cache's own bookkeeping.`,
    );
  }
}

/**
 * Checks a model name (for `@CacheKeyFrom`, `defaultModels`, `invalidate`).
 * @throws TypeError naming the value.
 */
export function assertModelName(name: unknown, where = 'model'): asserts name is string {
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw new TypeError(
      `Invalid ${where}: ${describe(name)}. Model names may contain only letters, digits, "_", "." and "-".`,
    );
  }
}

/**
 * Turns an entity id (possibly taken from a request) into a key-safe token: everything outside
 * `[A-Za-z0-9_-]` is percent-encoded, and long ids are hashed, so an id such as `*` or `1]*` can
 * neither widen a pattern nor collide with another id.
 */
export function encodeId(id: string | number): string {
  const raw = String(id);
  if (raw.length === 0) {
    throw new TypeError('Invalid entity id: "". Expected a non-empty string or a number.');
  }
  const encoded = encodeURIComponent(raw).replace(
    /[!'()*.~]/g,
    c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  // '#' never appears in an encoded id, so hashed ids cannot collide with literal ones.
  return encoded.length <= 64 ? encoded : `#${digest(raw, 22)}`;
}

/**
 * Dependency names. A page or value built from a whole model depends on `Model`; one built from a
 * single entity depends on `Model/{id}` and on `Model/` (every entity of the model), so that
 * invalidating the model without an id also reaches the per-entity pages.
 */
export const dependency = {
  model: (model: string): string => model,
  entity: (model: string, id: string | number): string => `${model}/${encodeId(id)}`,
  anyEntity: (model: string): string => `${model}/`,
};

/**
 * The key of the generation token of a dependency (see `DependencyTracker`), in one epoch of the
 * store (`''` for a store without epochs).
 */
export function generationKey(ns: string, dep: string, epoch = ''): string {
  return epoch === '' ? `${ns}:~gen:${dep}` : `${ns}:~gen:${epoch}:${dep}`;
}

/** The key of the index set that lists every entry built from a dependency or tag. */
export function indexKey(ns: string, tag: string): string {
  return `${ns}:~idx:${tag}`;
}

/** The key of the lock held by the process filling a missing page. */
export function fillLockKey(ns: string, pageKey: string): string {
  return `${ns}:~fill:${digest(pageKey, 22)}`;
}

/** Tag under which every variant of one URL path is indexed, for `expirePage`. */
export function pathTag(path: string): string {
  return `@path:${digest(path, 22)}`;
}

/** Tag under which every variant of one URL path and normalized query is indexed. */
export function urlTag(path: string, normalizedQuery: string): string {
  return `@url:${digest(`${path}?${normalizedQuery}`, 22)}`;
}

/** The key of a page entry. `dependencies` stay readable so pages can be found by pattern. */
export function pageKey(
  ns: string,
  view: string,
  dependencies: readonly string[],
  variant: string,
): string {
  return `${ns}:page:${view}:${dependencies.join(',')}:${variant}`;
}

/**
 * A short digest of variant inputs. The inputs are JSON-encoded as one array first, which makes the
 * encoding unambiguous: a missing value (`null`), an empty string and a string that contains a
 * separator all encode differently.
 */
export function variantDigest(parts: readonly unknown[]): string {
  const text = JSON.stringify(parts);
  // Hashing on every hit costs more than the rest of the key: recent digests are remembered.
  let known = RECENT_DIGESTS.get(text);
  if (known === undefined) {
    known = digest(text, 32);
    RECENT_DIGESTS.set(text, known);
  }
  return known;
}

/** How much the digest memo holds at most: entries, characters of input, one input's length. */
export const DIGEST_MEMO_LIMITS = { entries: 10_000, chars: 2_000_000, text: 1024 } as const;
const RECENT_DIGESTS = new BoundedMemo<string>(
  DIGEST_MEMO_LIMITS.entries,
  DIGEST_MEMO_LIMITS.chars,
  DIGEST_MEMO_LIMITS.text,
);

/** How many inputs the digest memo holds and their total length in characters (for tests). */
export function digestMemoSize(): { entries: number; chars: number } {
  const { entries, weight } = RECENT_DIGESTS.size();
  return { entries, chars: weight };
}

/** Glob that matches a user glob inside one namespace only (the namespace itself is escaped). */
export function namespacedGlob(ns: string, glob: string): string {
  return `${escapeGlob(ns)}:${glob}`;
}

/** SHA-256, base64url, cut to `length` characters. */
export function digest(input: string | Buffer, length: number): string {
  return createHash('sha256').update(input).digest('base64url').slice(0, length);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
