import { internalField } from './internal-field.js';

describe('internalField', () => {
  it('reads the field under the symbol of that description, on every object that has it', () => {
    const first = { [Symbol('test.field')]: 1 };
    const second = Object.fromEntries(Object.entries({})) as Record<symbol, unknown>;
    const symbol = Object.getOwnPropertySymbols(first)[0]!;
    second[symbol] = 2;
    expect(internalField(first, 'test.field')).toBe(1);
    expect(internalField(second, 'test.field')).toBe(2);
  });

  it('is undefined on an object without it, and still found on a later one that has it', () => {
    expect(internalField({}, 'test.later')).toBeUndefined();
    expect(internalField({ [Symbol('test.later')]: 'x' }, 'test.later')).toBe('x');
  });

  it('does not read a string-keyed field of the same name', () => {
    expect(internalField({ 'test.string': 1 }, 'test.string')).toBeUndefined();
  });

  it('finds the field of another copy of the framework, whose symbol has the same description', () => {
    const first = { [Symbol('test.copies')]: 'first' };
    const second = { [Symbol('test.copies')]: 'second' };
    expect(internalField(first, 'test.copies')).toBe('first');
    expect(internalField(second, 'test.copies')).toBe('second');
    expect(internalField(first, 'test.copies')).toBe('first');
  });
});
