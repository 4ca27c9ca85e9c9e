import fc from 'fast-check';
import { assertValidKey } from '../keys.js';
import { argumentKey, MAX_READABLE_ARGUMENTS } from './argument-key.js';

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
});
