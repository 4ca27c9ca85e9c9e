import { compositeEntityId } from '../pages/key/entity-id.js';
import { primaryKeyId } from './primary-key-id.js';

describe('primaryKeyId', () => {
  it('keeps a one-column key as the database gives it', () => {
    expect(primaryKeyId([7])).toBe(7);
    expect(primaryKeyId(['slug'])).toBe('slug');
    expect(primaryKeyId([9007199254740993n])).toBe('9007199254740993');
  });

  it('encodes a key of several columns as a page names it', () => {
    expect(primaryKeyId([7, 'en'])).toBe(compositeEntityId(['7', 'en']));
    expect(primaryKeyId([7, 'a,b'])).not.toBe(primaryKeyId(['7,a', 'b']));
  });

  it('gives no id (the whole model) for a missing or unusable value', () => {
    expect(primaryKeyId([])).toBeUndefined();
    expect(primaryKeyId([undefined])).toBeUndefined();
    expect(primaryKeyId([''])).toBeUndefined();
    expect(primaryKeyId([7, null])).toBeUndefined();
    expect(primaryKeyId([{ id: 1 }])).toBeUndefined();
  });
});
