import { canonicalEntityId, compositeEntityId } from './entity-id.js';

describe('canonicalEntityId', () => {
  it('keeps ids no database reads as another value', () => {
    for (const id of [
      '7',
      '0',
      '-3',
      '12345678901234567890',
      'slug-a',
      'abc',
      'f47ac10b-58cc-4372-a567-0e02b2c3d479',
    ]) {
      expect(canonicalEntityId(id), id).toBe(id);
    }
    expect(canonicalEntityId(7)).toBe(7);
  });

  it('refuses spellings that name the same row as another id', () => {
    for (const id of [
      '07',
      '+7',
      '7.0',
      '1e1',
      '-0',
      ' 7',
      '7 ',
      'F47AC10B-58CC-4372-A567-0E02B2C3D479',
      'x ',
    ]) {
      expect(canonicalEntityId(id), JSON.stringify(id)).toBeUndefined();
    }
    expect(canonicalEntityId(Number.NaN)).toBeUndefined();
    expect(canonicalEntityId({ id: 1 })).toBeUndefined();
  });

  it('uses parse when given: /posts/07 is Post 7', () => {
    expect(canonicalEntityId('07', Number)).toBe(7);
    expect(canonicalEntityId('007', String)).toBe('007');
    expect(canonicalEntityId('abc', Number)).toBeUndefined();
    expect(canonicalEntityId('1', () => '')).toBeUndefined();
    expect(
      canonicalEntityId('x', () => {
        throw new Error('bad id');
      }),
    ).toBeUndefined();
    expect(canonicalEntityId('9007199254740993', BigInt)).toBe('9007199254740993');
  });
});

describe('compositeEntityId', () => {
  it('encodes the parts of a key so that a route and the database agree', () => {
    expect(compositeEntityId([7, 'en'])).toBe('7,en');
    expect(compositeEntityId(['7', 'en'])).toBe('7,en');
    expect(compositeEntityId([7n, 'en'])).toBe('7,en');
    expect(compositeEntityId([7])).toBe(7);
  });

  it('never gives two different keys one encoding', () => {
    const keys: unknown[][] = [
      ['a,b', 'c'],
      ['a', 'b,c'],
      ['a', 'b', 'c'],
      ['a%2Cb', 'c'],
      ['a,b,c', 'd'],
    ];
    const encoded = keys.map(compositeEntityId);
    expect(new Set(encoded).size).toBe(keys.length);
  });

  it('refuses a missing or non-canonical part', () => {
    expect(compositeEntityId([])).toBeUndefined();
    expect(compositeEntityId([7, undefined])).toBeUndefined();
    expect(compositeEntityId(['07', 'en'])).toBeUndefined();
    expect(compositeEntityId([7, ' en'])).toBeUndefined();
    expect(compositeEntityId([7, new Date(0)])).toBeUndefined();
  });
});
