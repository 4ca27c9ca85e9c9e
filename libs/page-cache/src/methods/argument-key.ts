import { types } from 'node:util';
import { digest } from '../keys.js';

/**
 * Encodes the arguments of a `@Cached` call into the part of its key after `Class.method:` (the
 * README's "Keys" says what is encoded and what is refused).
 *
 * The encoding is injective: two argument lists get the same text only if every method that
 * reads them the usual ways (values, not identities) sees the same inputs, so nothing is guessed.
 * Where JSON would confuse inputs (`undefined` dropped or turned into `null`, `-0`, holes) they are
 * kept apart: a different entry for inputs most methods treat alike costs a miss, a shared one
 * would cost a wrong answer. What the encoding cannot see (state behind a class without
 * `toJSON()`, a subclass, a proxy, an accessor…) fails the call with a `TypeError` naming the
 * method, the argument and where in it, rather than share an entry with another call. Not inputs:
 * whether an object is frozen or its properties writable, and non-enumerable symbol keys other
 * than the well-known ones (libraries keep private bookkeeping there).
 *
 * Encodings longer than {@link MAX_READABLE_ARGUMENTS} characters are replaced by a digest, so
 * keys stay short whatever the arguments; short ones stay readable in `redis-cli`.
 *
 * @param method `Class.method`, for the error message.
 * @throws TypeError naming the method and the argument position.
 */
export function argumentKey(method: string, args: readonly unknown[]): string {
  const parts: string[] = [];
  const context: Context = { ancestors: new Set(), values: 0 };
  for (let i = 0; i < args.length; i++) {
    try {
      parts.push(encode(args[i], context, ''));
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

/**
 * Deepest nesting of objects, arrays, `Map`s and `Set`s encoded (an argument that is an array is
 * at depth 1): deeper arguments are refused, rather than overflowing the stack.
 */
export const MAX_DEPTH = 64;

/**
 * Most values (elements, entries, fields, holes of sparse arrays) encoded for one call. A value
 * shared by several branches is encoded, and counted, each time, so that a small object graph
 * such as `let v = []; for (…) v = [v, v]` cannot take exponential time; nor can a sparse array
 * of length 2³² − 1.
 */
export const MAX_VALUES = 1_000_000;

interface Context {
  /** Objects being encoded, from the argument down to the current value: a repeat is a cycle. */
  readonly ancestors: Set<object>;
  /** Values encoded so far, against {@link MAX_VALUES}. */
  values: number;
}

class Unencodable extends Error {
  constructor(
    readonly reason: string,
    readonly path: string,
  ) {
    super(reason);
  }
}

/** `Symbol.iterator`, `Symbol.toPrimitive`…: they change how the language itself reads an object. */
const WELL_KNOWN_SYMBOLS: ReadonlySet<symbol> = new Set(
  Object.getOwnPropertyNames(Symbol)
    .map(name => (Symbol as unknown as Record<string, unknown>)[name])
    .filter((value): value is symbol => typeof value === 'symbol'),
);

function encode(value: unknown, context: Context, path: string): string {
  if (++context.values > MAX_VALUES) throw tooLarge(path);
  switch (typeof value) {
    case 'string':
      return encodeString(value);
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
  const { ancestors } = context;
  if (ancestors.has(object)) throw new Unencodable('it contains itself (a cycle)', path);
  if (ancestors.size >= MAX_DEPTH) {
    throw new Unencodable(`it is nested deeper than the limit of ${MAX_DEPTH} levels`, path);
  }
  ancestors.add(object);
  try {
    return encodeObject(object, context, path);
  } finally {
    ancestors.delete(object);
  }
}

function encodeString(text: string): string {
  // JSON escapes control characters (and lone surrogates) but not DEL, which keys may not hold.
  return JSON.stringify(text).replace(/\u007f/g, '\\u007f');
}

function encodeObject(object: object, context: Context, path: string): string {
  // First, as a proxy's traps would answer every question below.
  if (types.isProxy(object)) {
    throw new Unencodable('it is a Proxy (what it reads as depends on its handler)', path);
  }
  const prototype = Object.getPrototypeOf(object) as object | null;
  // Exact prototypes only: a subclass may hold state or behaviour the key cannot see.
  if (prototype === Array.prototype && Array.isArray(object)) {
    return encodeArray(object as unknown[], context, path);
  }
  const isMap = prototype === Map.prototype && types.isMap(object);
  if (isMap || (prototype === Set.prototype && types.isSet(object))) {
    const kind = isMap ? 'Map' : 'Set';
    // Their content is their entries: another own property would be hidden.
    for (const key of Reflect.ownKeys(object)) {
      if (typeof key === 'symbol') refuseSymbol(object, key, path);
      else
        throw new Unencodable(
          `it is a property of a ${kind} besides its entries`,
          path + member(key),
        );
    }
    const items: string[] = [];
    for (const item of object as Iterable<unknown>) {
      const at = isMap ? `${path}.get(#${items.length})` : `${path}.values()[${items.length}]`;
      if (!isMap) items.push(encode(item, context, at));
      else {
        const [key, value] = item as [unknown, unknown];
        items.push(`${encode(key, context, at)}=>${encode(value, context, at)}`);
      }
    }
    return `${kind}{${items.join(',')}}`;
  }
  // Its prototype is Object.prototype, but `arguments.length` and `arguments.callee` are read too.
  if (types.isArgumentsObject(object)) {
    throw new Unencodable('it is an `arguments` object (pass an array instead)', path);
  }
  if (prototype === Object.prototype) return encodeFields(object, '', context, path);
  if (prototype === null) return encodeFields(object, 'null', context, path);
  const name = className(prototype);
  if (types.isBoxedPrimitive(object)) {
    throw new Unencodable(
      `it is a boxed primitive (a ${name || 'primitive'} object; pass the primitive itself)`,
      path,
    );
  }
  if (name === 'Object') {
    // Another realm's Object.prototype (a vm context), or an object whose prototype was changed.
    throw new Unencodable(
      'it is an object from another realm, or whose prototype was changed',
      path,
    );
  }
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    // The class name is what tells a Date from an object whose toJSON() returns the same string.
    if (!/^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u.test(name)) {
      throw new Unencodable(
        name === ''
          ? 'it is an instance of an anonymous class (its toJSON() alone does not tell it from another class)'
          : `it is an instance of a class whose name ${JSON.stringify(name)} is not an identifier`,
        path,
      );
    }
    let json: unknown;
    try {
      json = (toJSON as (key: string) => unknown).call(object, '');
    } catch (error) {
      throw new Unencodable(`its toJSON() threw: ${(error as Error).message}`, path);
    }
    return `${name}(${encode(json, context, `${path}.toJSON()`)})`;
  }
  for (const [base, is, kind] of [
    ['Array', Array.isArray, 'an array'],
    ['Map', types.isMap, 'a Map'],
    ['Set', types.isSet, 'a Set'],
  ] as const) {
    if (!is(object)) continue;
    throw new Unencodable(
      name === base
        ? `it is ${kind} from another realm, or whose prototype was changed`
        : `it is an instance of ${name || 'an anonymous class'}, a subclass of ${base} without toJSON()`,
      path,
    );
  }
  if (types.isArrayBufferView(object) || types.isAnyArrayBuffer(object)) {
    // Refused rather than encoded as `Uint8Array[…]`: no binary argument needs to share a key
    // with anything, and hex or base64 text is both shorter and readable.
    throw new Unencodable(
      `it is binary data (${name || 'an ArrayBuffer view'}; pass it as a hex or base64 string)`,
      path,
    );
  }
  throw new Unencodable(
    name
      ? `it is an instance of ${name}, which has no toJSON()`
      : 'it is an object whose prototype is not a class (an Object.create(…) chain)',
    path,
  );
}

function encodeArray(array: unknown[], context: Context, path: string): string {
  const keys = Reflect.ownKeys(array);
  // Own keys come as indices in order, then other strings ('length' first), then symbols: this
  // many keys ending in 'length' can only be every index and 'length', the usual case.
  const dense = keys.length === array.length + 1 && keys[array.length] === 'length';
  let present = dense ? array.length : 0;
  if (!dense) {
    for (const key of keys) {
      if (typeof key === 'symbol') refuseSymbol(array, key, path);
      // Own index keys are always below the length; '4294967295', '01' or '-1' are not indices.
      else if (/^(?:0|[1-9]\d*)$/.test(key) && Number(key) < array.length) present++;
      else if (key !== 'length') {
        throw new Unencodable(
          'it is a property of an array besides its elements',
          `${path}${member(key)}`,
        );
      }
    }
  }
  // Each hole takes a comma, and a turn of the loop below.
  context.values += array.length - present;
  if (context.values > MAX_VALUES) throw tooLarge(path);
  const items: string[] = [];
  for (let i = 0; i < array.length; i++) {
    const descriptor = Reflect.getOwnPropertyDescriptor(array, i);
    if (descriptor === undefined) {
      // A hole stays empty, as in `[1, , 3]`, unlike an undefined element.
      items.push('');
    } else {
      refuseUnusual(descriptor, path, i);
      items.push(encode(descriptor.value, context, `${path}[${i}]`));
    }
  }
  // As in JavaScript's own syntax, a trailing hole takes one more comma: `[,]` has one slot,
  // `[]` none.
  const trailingHole = array.length > 0 && !Object.hasOwn(array, array.length - 1);
  return `[${items.join(',')}${trailingHole ? ',' : ''}]`;
}

/** `{…}` for a plain object, `null{…}` for a null-prototype one. */
function encodeFields(object: object, prefix: string, context: Context, path: string): string {
  const keys: string[] = [];
  for (const key of Reflect.ownKeys(object)) {
    if (typeof key === 'symbol') refuseSymbol(object, key, path);
    else {
      refuseUnusual(Reflect.getOwnPropertyDescriptor(object, key)!, path, key);
      keys.push(key);
    }
  }
  // Checked above: an enumerable data property, so reading it runs no code.
  const record = object as Record<string, unknown>;
  const fields = keys
    .sort()
    .map(key => `${encodeString(key)}:${encode(record[key], context, `${path}${member(key)}`)}`);
  return `${prefix}{${fields.join(',')}}`;
}

/**
 * Refuses a property that the usual reads (`o.a`, `Object.keys(o)`, spreading) see differently,
 * or differently each time.
 */
function refuseUnusual(descriptor: PropertyDescriptor, path: string, key: string | number): void {
  if (descriptor.enumerable && 'value' in descriptor) return;
  const at = typeof key === 'number' ? `${path}[${key}]` : `${path}${member(key)}`;
  if (!('value' in descriptor)) {
    throw new Unencodable('it is a getter or setter (read anew at each access)', at);
  }
  throw new Unencodable('it is a non-enumerable property (read by o.a, not by Object.keys)', at);
}

function refuseSymbol(object: object, symbol: symbol, path: string): void {
  if (
    WELL_KNOWN_SYMBOLS.has(symbol) ||
    Object.prototype.propertyIsEnumerable.call(object, symbol)
  ) {
    throw new Unencodable(`it has a symbol key (${symbol.toString()})`, path);
  }
}

function tooLarge(path: string): Unencodable {
  return new Unencodable(
    `the arguments hold more than ${MAX_VALUES} values (elements, entries, fields and holes, ` +
      'a value shared by several branches counting each time)',
    path,
  );
}

/** The name of the class whose prototype this is, or '' (no own `constructor`, or no name). */
function className(prototype: object): string {
  const constructor = Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value as unknown;
  if (typeof constructor !== 'function') return '';
  const name = (constructor as { name?: unknown }).name;
  return typeof name === 'string' ? name : '';
}

function member(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}
