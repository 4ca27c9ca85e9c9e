import { decodeEntry, type ValueMeta } from '../codec.js';
import { decodeValuePayload, encodeValue } from './value-codec.js';

const roundTrip = (
  value: unknown,
  options = {},
  deps: string[] = [],
  generations: string[] = [],
) => {
  const entry = decodeEntry(encodeValue(value, options, deps, generations), 1 << 20)!;
  const meta = entry.meta as ValueMeta;
  return { meta, value: decodeValuePayload(meta, entry.payload, undefined) };
};

describe('encodeValue and decodeValuePayload', () => {
  it('round-trips JSON values and Buffers, recording dependencies and their tokens', () => {
    expect(roundTrip({ a: [1, 'x', null] })).toEqual({
      meta: { k: 'json' },
      value: { a: [1, 'x', null] },
    });
    const buffer = roundTrip(Buffer.from([0, 1, 2]), {}, ['Post'], ['t1']);
    expect(buffer.meta).toEqual({ k: 'buf', d: ['Post'], g: ['t1'] });
    expect(buffer.value).toEqual(Buffer.from([0, 1, 2]));
  });

  it('keeps a safe integer without dependencies plain decimal, for INCRBY', () => {
    expect(encodeValue(42, {}).toString()).toBe('42');
    expect(roundTrip(42, {}, ['Post'], ['t1']).value).toBe(42);
  });

  it('uses the serializer when there is one, and refuses its entries without it', () => {
    const serializer = {
      serialize: (value: unknown) => `<${String(value)}>`,
      deserialize: (bytes: Buffer) => bytes.toString().slice(1, -1),
    };
    const entry = decodeEntry(encodeValue('v', { serializer }), 1 << 20)!;
    const meta = entry.meta as ValueMeta;
    expect(meta.k).toBe('ser');
    expect(decodeValuePayload(meta, entry.payload, serializer)).toBe('v');
    expect(() => decodeValuePayload(meta, entry.payload, undefined)).toThrow(/no serializer/);
  });

  it('names why a value cannot be stored, with a TypeError', () => {
    const cycle: { self?: unknown } = {};
    cycle.self = cycle;
    expect(() => encodeValue(cycle, {})).toThrow(TypeError);
    expect(() => encodeValue(cycle, {})).toThrow(/^Cannot serialize cache value: /);
    expect(() => encodeValue(undefined, {})).toThrow(
      'Cannot serialize cache value of type undefined: JSON has no representation for it.',
    );
    const failing = {
      serialize: () => {
        throw new Error('boom');
      },
      deserialize: () => 0,
    };
    expect(() => encodeValue(1, { serializer: failing })).toThrow(
      'Cannot serialize cache value: boom',
    );
  });
});
