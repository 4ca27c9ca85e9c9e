import fc from 'fast-check';
import { runInNewContext } from 'node:vm';
import { assertValidKey } from '../keys.js';
import { argumentKey, MAX_DEPTH, MAX_READABLE_ARGUMENTS, MAX_VALUES } from './argument-key.js';

const key = (...args: unknown[]) => argumentKey('Prices.find', args);

describe('argumentKey', () => {
  it('reads as the call it encodes', () => {
    expect(key()).toBe('()');
    expect(key(42, 'EUR', true, null)).toBe('(42,"EUR",true,null)');
    expect(key({ b: 2, a: [1, 'x'] })).toBe('({"a":[1,"x"],"b":2})');
    expect(key(10n, new Date(0))).toBe('(10n,Date("1970-01-01T00:00:00.000Z"))');
  });

  it('tells apart what JSON would confuse', () => {
    const distinct: unknown[][] = [
      [1],
      ['1'],
      [null],
      ['null'],
      [undefined],
      [],
      [1, undefined],
      [[undefined]],
      [[null]],
      // eslint-disable-next-line no-sparse-arrays
      [[, 1]],
      // eslint-disable-next-line no-sparse-arrays
      [[,]],
      [[]],
      // eslint-disable-next-line no-sparse-arrays
      [[1, ,]],
      [[undefined, 1]],
      [{}],
      [{ a: undefined }],
      [{ a: null }],
      [0],
      [-0],
      [NaN],
      [Infinity],
      ['Infinity'],
      [1n],
      ['1n'],
      [new Date(0)],
      [new Date(0).toISOString()],
      [new Map([['a', 1]])],
      [{ a: 1 }],
      [new Set([1])],
      [[1]],
      ['a,b'],
      ['a', 'b'],
      [{ 'a":1,"b': 2 }],
      [{ a: 1, b: 2 }],
      [Object.assign(Object.create(null) as object, { a: 1 })],
      [Object.create(null)],
      [Buffer.from('ab')],
      [[97, 98]],
      [{ data: [97, 98], type: 'Buffer' }],
      ['ab'],
    ];
    const keys = distinct.map(args => key(...args));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('writes holes as JavaScript does', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect([key([, 1]), key([1, ,]), key([,]), key([])]).toEqual([
      '([,1])',
      '([1,,])',
      '([,])',
      '([])',
    ]);
  });

  it('ignores the order in which object keys were added', () => {
    expect(key({ a: 1, b: { c: 2, d: 3 } })).toBe(key({ b: { d: 3, c: 2 }, a: 1 }));
  });

  it('is injective on arbitrary JSON-like data, and always a valid cache key', () => {
    // A small alphabet, so that near-identical pairs (where an encoding could slip) come up often.
    const small = fc.anything({
      key: fc.constantFrom('a', 'b', '"a"'),
      values: [fc.constantFrom<unknown>(undefined, null, 0, -0, 1, '1', '', 'a', 1n, true, NaN)],
      maxDepth: 2,
      maxKeys: 2,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withSparseArray: true,
      withNullPrototype: true,
    });
    let equal = 0;
    fc.assert(
      fc.property(fc.array(small, { maxLength: 2 }), fc.array(small, { maxLength: 2 }), (a, b) => {
        const [ka, kb] = [key(...a), key(...b)];
        assertValidKey(`Prices.find:${ka}`);
        // Same key only for structurally equal argument lists.
        if (ka === kb) {
          equal++;
          expect(a).toStrictEqual(b);
        }
      }),
      { numRuns: 5_000 },
    );
    expect(equal).toBeGreaterThan(20);
  });

  it('hashes long encodings, keeping them distinct and short', () => {
    const long = 'x'.repeat(MAX_READABLE_ARGUMENTS);
    const a = key(long, 1);
    const b = key(long, 2);
    expect(a).toMatch(/^#[\w-]{32}$/);
    expect(a).not.toBe(b);
    expect(key(long, 1)).toBe(a);
  });

  it.each([
    [[() => 1], /Prices\.find: its 1st argument cannot be part of a cache key: it is a function/],
    [[1, Symbol('s')], /its 2nd argument cannot .*: it is a symbol \(Symbol\(s\)\)/],
    [
      [1, 2, new (class Money {})()],
      /its 3rd argument .*an instance of Money, which has no toJSON/,
    ],
    [[{ items: [{ cb: Math.max }] }], /1st argument \(at \.items\[0\]\.cb\).*function \(max\)/],
    [[{ [Symbol('k')]: 1 }], /1st argument .*symbol key \(Symbol\(k\)\)/],
    [[Promise.resolve(1)], /an instance of Promise/],
    [[/a/], /an instance of RegExp, which has no toJSON/],
    [[new Error('e')], /an instance of Error, which has no toJSON/],
    [[new WeakMap()], /an instance of WeakMap, which has no toJSON/],
    [[runInNewContext('({ a: 1 })')], /an object from another realm/],
    [[runInNewContext('[1]')], /an array from another realm/],
    [[Object.create({ a: 1 })], /prototype is not a class/],
  ])('refuses %o with a TypeError naming the method and the argument', (args, message) => {
    expect(() => key(...(args as unknown[]))).toThrow(TypeError);
    expect(() => key(...(args as unknown[]))).toThrow(message);
  });

  it('refuses cycles, and accepts a value shared by two branches', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => key('x', cyclic)).toThrow(/2nd argument \(at \.self\).*a cycle/);
    const shared = { id: 1 };
    expect(key([shared, shared])).toBe('([{"id":1},{"id":1}])');
  });

  it('names the 11th, 12th, 13th, 21st and 22nd arguments in English', () => {
    const args = (at: number) => Array.from({ length: at }, (_, i) => (i === at - 1 ? key : i));
    expect(() => key(...args(11))).toThrow(/its 11th argument/);
    expect(() => key(...args(12))).toThrow(/its 12th argument/);
    expect(() => key(...args(13))).toThrow(/its 13th argument/);
    expect(() => key(...args(21))).toThrow(/its 21st argument/);
    expect(() => key(...args(22))).toThrow(/its 22nd argument/);
  });

  it('refuses subclasses of Array, Map and Set, unless they have a toJSON()', () => {
    class Tags extends Set<string> {}
    class Row extends Array<number> {}
    class Index extends Map<string, number> {}
    expect(() => key(new Tags(['a']))).toThrow(/an instance of Tags, a subclass of Set/);
    expect(() => key(Row.from([1, 2]))).toThrow(/an instance of Row, a subclass of Array/);
    expect(() => key({ i: new Index([['a', 1]]) })).toThrow(
      /\(at \.i\).*an instance of Index, a subclass of Map/,
    );
    class Labels extends Set<string> {
      toJSON() {
        return [...this].sort();
      }
    }
    expect(key(new Labels(['b', 'a']))).toBe('(Labels(["a","b"]))');
    expect(key(new Set(['a', 'b']))).toBe('(Set{"a","b"})');
  });

  it('refuses binary data other than Buffers (which have a toJSON())', () => {
    for (const binary of [
      new Uint8Array([1]),
      new Float64Array([1]),
      new BigInt64Array(1),
      new ArrayBuffer(1),
      new SharedArrayBuffer(1),
      new DataView(new ArrayBuffer(1)),
    ]) {
      expect(() => key(binary)).toThrow(TypeError);
      expect(() => key(binary)).toThrow(/it is binary data \(\w+; pass it as a hex or base64/);
    }
    expect(key(Buffer.from('ab'))).toBe('(Buffer({"data":[97,98],"type":"Buffer"}))');
  });

  it('refuses non-enumerable properties and getters, which an encoding of {} would hide', () => {
    const hidden = Object.defineProperty({}, 'a', { value: 1, enumerable: false });
    expect(() => key(hidden)).toThrow(/1st argument \(at \.a\).*a non-enumerable property/);
    const getter = {
      b: 1,
      get total() {
        return 2;
      },
    };
    expect(() => key(getter)).toThrow(/1st argument \(at \.total\).*a getter or setter/);
    const hiddenElement = Object.defineProperty([0, 1], 1, { enumerable: false });
    expect(() => key(hiddenElement)).toThrow(/\(at \[1\]\).*non-enumerable/);
    const getterElement = Object.defineProperty([0], 0, { get: () => 1 });
    expect(() => key(getterElement)).toThrow(/\(at \[0\]\).*getter or setter/);
    // A built-in with only non-enumerable properties, and no longer `{}`.
    expect(() => key(Math)).toThrow(/non-enumerable/);
  });

  it('refuses symbol keys that change how the language reads an object, even non-enumerable', () => {
    const iterable = Object.defineProperty({}, Symbol.iterator, {
      value: function* () {
        yield 1;
      },
      enumerable: false,
    });
    expect(() => key(iterable)).toThrow(/symbol key \(Symbol\(Symbol\.iterator\)\)/);
    const tagged = Object.defineProperty({}, Symbol.toPrimitive, { value: () => 1 });
    expect(() => key(tagged)).toThrow(/symbol key \(Symbol\(Symbol\.toPrimitive\)\)/);
    // A library's own hidden bookkeeping is not an input.
    const marked = Object.defineProperty({ a: 1 }, Symbol('meta'), { value: 1 });
    expect(key(marked)).toBe(key({ a: 1 }));
  });

  it('tells null-prototype objects from plain ones', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 2, a: 1 });
    expect(key(bare)).toBe('(null{"a":1,"b":2})');
    expect(key(bare)).not.toBe(key({ a: 1, b: 2 }));
    expect(key(Object.create(null))).toBe('(null{})');
    expect(key({ n: Object.create(null) })).toBe('({"n":null{}})');
  });

  it('refuses arguments objects', () => {
    function collect(..._args: unknown[]): unknown {
      return arguments;
    }
    expect(() => key(collect(1, 2))).toThrow(/1st argument .*it is an `arguments` object/);
    expect(() => key([collect()])).toThrow(/\(at \[0\]\).*an `arguments` object/);
  });

  it('refuses boxed primitives, rather than encoding them as the primitive or as {}', () => {
    for (const boxed of [new String('a'), new Number(1), new Boolean(false), Object(1n)]) {
      expect(() => key(boxed)).toThrow(/it is a boxed primitive \(a \w+ object/);
    }
    expect(() => key(Object(Symbol('s')))).toThrow(/a boxed primitive \(a Symbol object/);
  });

  it('refuses proxies, whose reads depend on their handler', () => {
    const proxy = new Proxy({ a: 1 }, { get: () => 2 });
    expect(() => key(proxy)).toThrow(/it is a Proxy/);
    expect(() => key([new Proxy([1], {})])).toThrow(/\(at \[0\]\).*a Proxy/);
  });

  it('refuses properties of arrays, Maps and Sets besides their elements', () => {
    expect(() => key(Object.assign([1], { page: 2 }))).toThrow(
      /\(at \.page\).*a property of an array besides its elements/,
    );
    expect(() => key(Object.assign(new Map(), { page: 2 }))).toThrow(
      /\(at \.page\).*a property of a Map/,
    );
    expect(() => key(Object.assign(new Set(), { page: 2 }))).toThrow(
      /\(at \.page\).*a property of a Set/,
    );
    expect(() => key(Object.assign([1], { [Symbol('s')]: 1 }))).toThrow(/symbol key/);
  });

  it('does not take a class name from what an object says of itself', () => {
    const date = new Date(0);
    // A plain object's toJSON() would hide its other fields: it is a function field, refused.
    const impostor = { constructor: { name: 'Date' }, toJSON: () => date.toJSON() };
    expect(() => key(impostor)).toThrow(/\(at \.toJSON\).*it is a function \(toJSON\)/);
    class Stamp {
      toJSON() {
        return date.toJSON();
      }
    }
    const stamp = Object.assign(new Stamp(), { constructor: Date });
    expect(key(stamp)).toBe('(Stamp("1970-01-01T00:00:00.000Z"))');
    expect(key(stamp)).not.toBe(key(date));
    // Without a class name, toJSON() alone cannot tell two classes apart.
    const anonymous = new (class {
      toJSON() {
        return 1;
      }
    })();
    expect(() => key(anonymous)).toThrow(/an instance of an anonymous class/);
  });

  it('treats a deleted element as the hole it leaves, and keeps it apart from undefined', () => {
    const deleted = [1, 2, 3];
    delete deleted[1];
    // eslint-disable-next-line no-sparse-arrays
    expect(key(deleted)).toBe(key([1, , 3]));
    const lengthened: unknown[] = [];
    lengthened.length = 2;
    expect(key(lengthened)).toBe('([,,])');
    expect(key(deleted)).not.toBe(key([1, undefined, 3]));
  });

  it('escapes DEL in object keys as in strings, so the key stays valid', () => {
    const encoded = key({ '\u007f': '\u007f' });
    expect(encoded).toBe('({"\\u007f":"\\u007f"})');
    expect(() => assertValidKey(`Prices.find:${encoded}`)).not.toThrow();
  });

  it(`refuses nesting deeper than MAX_DEPTH (${MAX_DEPTH}) with a TypeError, not a stack overflow`, () => {
    const nested = (depth: number) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = [value];
      return value;
    };
    let error: unknown;
    try {
      key(nested(100_000));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `1st argument \\(at (\\[0\\]){${MAX_DEPTH}}\\).*nested deeper than the limit of ${MAX_DEPTH} levels`,
      ),
    );
    expect(() => key(nested(MAX_DEPTH))).not.toThrow();
    expect(() => key(nested(MAX_DEPTH + 1))).toThrow(/nested deeper than the limit/);
  });

  it('encodes a 10,000-wide array in linear time', () => {
    const flat = Array.from({ length: 10_000 }, (_, i) => i);
    const records = Array.from({ length: 10_000 }, (_, i) => ({ id: i, tags: ['a'] }));
    key(records); // warm-up
    const start = performance.now();
    expect(key(flat)).toMatch(/^#/);
    expect(key(records)).toMatch(/^#/);
    expect(performance.now() - start).toBeLessThan(1_000);
  });

  it(`refuses more than MAX_VALUES values: a graph sharing its branches, a huge sparse array`, () => {
    let shared: unknown = 0;
    for (let i = 0; i < 21; i++) shared = [shared, shared]; // 2²² values, spelled out
    expect(() => key(shared)).toThrow(new RegExp(`more than ${MAX_VALUES} values`));
    const sparse: unknown[] = [];
    sparse.length = 2 * MAX_VALUES;
    expect(() => key('a', sparse)).toThrow(/2nd argument .*more than \d+ values/);
    sparse.length = 2 ** 32 - 1;
    expect(() => key(sparse)).toThrow(/more than \d+ values/);
  });
});
