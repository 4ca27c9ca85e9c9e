import { cacheErrorCode, UnknownOptionError } from './errors.js';
import { checkOptionNames, type OptionNames } from './option-names.js';

interface Sample {
  ttl?: number;
  nested?: { beta?: number; gamma?: string } | false;
  client?: object;
}

const NAMES: OptionNames<Sample> = { ttl: true, nested: { beta: true, gamma: true }, client: true };

function failure(options: unknown): UnknownOptionError {
  try {
    checkOptionNames(options, NAMES, 'Sample', { isGlobal: 'give it elsewhere' });
  } catch (error) {
    return error as UnknownOptionError;
  }
  throw new Error('expected the options to be refused');
}

describe('checkOptionNames', () => {
  it('takes every known name, at any depth', () => {
    expect(() =>
      checkOptionNames({ ttl: 1, nested: { beta: 1, gamma: 'x' }, client: {} }, NAMES, 'Sample'),
    ).not.toThrow();
  });

  it('names an unknown name by its path, with the closest known name, and a stable code', () => {
    const error = failure({ tll: 1 });
    expect(error).toBeInstanceOf(TypeError);
    expect(cacheErrorCode(error)).toBe('E_UNKNOWN_OPTION');
    expect(error.message).toBe("Unknown Sample option 'tll' (did you mean 'ttl'?).");
    expect(failure({ nested: { bta: 1 } }).message).toBe(
      "Unknown Sample option 'nested.bta' (did you mean 'nested.beta'?).",
    );
  });

  it('lists the known names when none is close, and every unknown name at once', () => {
    const error = failure({ near: 1, nested: { zzzzzz: 1 } });
    expect(error.options).toEqual(['near', 'nested.zzzzzz']);
    expect(error.message).toBe(
      "Unknown Sample options 'near' (Sample takes ttl, nested, client), " +
        "'nested.zzzzzz' (nested takes beta, gamma).",
    );
  });

  it('refuses a known name spelt with another case, and an unknown name even when undefined', () => {
    expect(failure({ TTL: 1 }).message).toContain("did you mean 'ttl'?");
    expect(failure({ tll: undefined }).options).toEqual(['tll']);
  });

  it('says where a name that belongs elsewhere goes', () => {
    expect(failure({ isGlobal: true }).message).toBe(
      "Unknown Sample option 'isGlobal' (give it elsewhere).",
    );
  });

  it('does not walk into values that are not plain objects, nor into open ones', () => {
    expect(() => checkOptionNames({ nested: false }, NAMES, 'Sample')).not.toThrow();
    expect(() =>
      checkOptionNames({ client: { anything: 1 }, nested: new Map() }, NAMES, 'Sample'),
    ).not.toThrow();
    expect(() => checkOptionNames(undefined, NAMES, 'Sample')).not.toThrow();
  });

  it('does not take inherited names for known ones', () => {
    expect(failure({ toString: 1 }).options).toEqual(['toString']);
    expect(failure({ nested: { constructor: 1 } }).options).toEqual(['nested.constructor']);
  });
});
