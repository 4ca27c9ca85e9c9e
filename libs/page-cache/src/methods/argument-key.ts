import { digest } from '../keys.js';

/**
 * Encodes the arguments of a `@Cached` call into the part of its key after `Class.method:`.
 *
 * The encoding is injective: two argument lists get the same text only if every method that
 * reads them the usual ways (values, not identities) sees the same inputs. That is what keeps two
 * different calls from sharing an entry, so nothing is guessed:
 * - strings are quoted, so `1` and `'1'`, `null` and `'null'` differ; numbers keep `-0`, `NaN`
 *   and `Infinity`; bigints end in `n`;
 * - `undefined` is written out wherever it appears (`f(1)` ≠ `f(1, undefined)`, `{}` ≠
 *   `{ a: undefined }`, `[ , 1]` ≠ `[undefined, 1]`), where JSON would turn it into `null` or
 *   drop it: a different entry for inputs most methods treat alike costs a miss, a shared one
 *   would cost a wrong answer;
 * - plain objects are written with their keys sorted (insertion order is not an input);
 * - `Date`s and other objects with `toJSON()` are written as their class name and what `toJSON()`
 *   returns; `Map` and `Set` as their entries in order.
 * Anything else — functions, symbols, class instances without `toJSON()` (their state is not
 * visible), cycles, symbol keys — cannot be encoded: the call fails with a `TypeError` naming the
 * method, the argument and where in it, rather than sharing an entry with another call.
 *
 * Encodings longer than {@link MAX_READABLE_ARGUMENTS} characters are replaced by a digest, so
 * keys stay short whatever the arguments; short ones stay readable in `redis-cli`.
 *
 * @param method `Class.method`, for the error message.
 * @throws TypeError naming the method and the argument position.
 */
export function argumentKey(method: string, args: readonly unknown[]): string {
  const parts: string[] = [];
  for (let i = 0; i < args.length; i++) {
    try {
      parts.push(encode(args[i], [], ''));
    } catch (error) {
      if (!(error instanceof Unencodable)) throw error;
      const at = error.path === '' ? '' : ` (at ${error.path})`;
      throw new TypeError(
        `@Cached ${method}: its ${ordinal(i + 1)} argument${at} cannot be part of a cache key: ${error.reason}. ` +
          'Pass plain data (strings, numbers, booleans, null, arrays, plain objects, Dates), or give @Cached a key function.',
      );
    }
  }
  const text = `(${parts.join(',')})`;
  // '#' never starts an encoding, so a digest cannot equal a readable encoding.
  return text.length <= MAX_READABLE_ARGUMENTS ? text : `#${digest(text, 32)}`;
}

/** Longest encoding kept as it is in the key; longer ones are hashed (SHA-256, 192 bits). */
export const MAX_READABLE_ARGUMENTS = 200;

class Unencodable extends Error {
  constructor(
    readonly reason: string,
    readonly path: string,
  ) {
    super(reason);
  }
}

function encode(value: unknown, ancestors: object[], path: string): string {
  switch (typeof value) {
    case 'string':
      // JSON escapes control characters but not DEL, which keys may not hold either.
      return JSON.stringify(value).replace(/\u007f/g, '\\u007f');
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'undefined';
    case 'function':
      throw new Unencodable(`it is a function (${value.name || 'anonymous'})`, path);
    case 'symbol':
      throw new Unencodable(`it is a symbol (${value.toString()})`, path);
  }
  if (value === null) return 'null';
  const object = value as object;
  if (ancestors.includes(object)) throw new Unencodable('it contains itself (a cycle)', path);
  ancestors.push(object);
  try {
    return encodeObject(object, ancestors, path);
  } finally {
    ancestors.pop();
  }
}

function encodeObject(object: object, ancestors: object[], path: string): string {
  if (Array.isArray(object)) {
    const items: string[] = [];
    for (let i = 0; i < object.length; i++) {
      // A hole stays empty, as in `[1, , 3]`, unlike an undefined element.
      items.push(i in object ? encode(object[i], ancestors, `${path}[${i}]`) : '');
    }
    // As in JavaScript's own syntax, a trailing hole takes one more comma: `[,]` has one slot,
    // `[]` none.
    const trailingHole = object.length > 0 && !(object.length - 1 in object);
    return `[${items.join(',')}${trailingHole ? ',' : ''}]`;
  }
  if (object instanceof Map) {
    const entries: string[] = [];
    let i = 0;
    for (const [key, item] of object) {
      const at = `${path}.get(#${i++})`;
      entries.push(`${encode(key, ancestors, at)}=>${encode(item, ancestors, at)}`);
    }
    return `Map{${entries.join(',')}}`;
  }
  if (object instanceof Set) {
    const items: string[] = [];
    let i = 0;
    for (const item of object) items.push(encode(item, ancestors, `${path}.values()[${i++}]`));
    return `Set{${items.join(',')}}`;
  }
  const prototype = Object.getPrototypeOf(object) as object | null;
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const name = (object.constructor as { name?: string } | undefined)?.name || 'Object';
    let json: unknown;
    try {
      json = (toJSON as (key: string) => unknown).call(object, '');
    } catch (error) {
      throw new Unencodable(`its toJSON() threw: ${(error as Error).message}`, path);
    }
    return `${name}(${encode(json, ancestors, `${path}.toJSON()`)})`;
  }
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (object.constructor as { name?: string } | undefined)?.name || 'anonymous class';
    throw new Unencodable(`it is an instance of ${name}, which has no toJSON()`, path);
  }
  for (const symbol of Object.getOwnPropertySymbols(object)) {
    if (Object.prototype.propertyIsEnumerable.call(object, symbol)) {
      throw new Unencodable(`it has a symbol key (${symbol.toString()})`, path);
    }
  }
  const record = object as Record<string, unknown>;
  const fields = Object.keys(record)
    .sort()
    .map(
      key => `${JSON.stringify(key)}:${encode(record[key], ancestors, `${path}${member(key)}`)}`,
    );
  return `{${fields.join(',')}}`;
}

function member(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}
