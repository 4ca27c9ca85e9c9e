import { resolveCacheOptions } from './cache.options.js';

describe('resolveCacheOptions', () => {
  it("refuses a keyPrefix with ':', which could share keys with another namespace", () => {
    expect(() => resolveCacheOptions({ keyPrefix: 'a:1', store: 'none' })).toThrow(
      /keyPrefix: "a:1" contains ":"/,
    );
    expect(resolveCacheOptions({ keyPrefix: 'a-1.b_c', store: 'none' }).namespace).toBe(
      'a-1.b_c:1',
    );
  });

  it('validates pages.hosts and pages.unkeyedInputs, naming the value', () => {
    expect(() => resolveCacheOptions({ store: 'none', pages: { hosts: ['a b'] } })).toThrow(
      /pages\.hosts entry: "a b"/,
    );
    expect(() =>
      resolveCacheOptions({ store: 'none', pages: { unkeyedInputs: 'loud' as 'warn' } }),
    ).toThrow(/pages\.unkeyedInputs: "loud"/);
    expect(
      resolveCacheOptions({ store: 'none', pages: { hosts: ['x.test'] } }).pages.hosts!('x.test'),
    ).toBe(true);
  });

  it('reads pages.vary as header names, lower-case, naming a value that is none', () => {
    const vary = (value: unknown) =>
      resolveCacheOptions({ store: 'none', pages: { vary: value as string[] } }).pages.vary;
    expect(vary(['Origin', 'origin', 'X-Tenant'])).toEqual(['origin', 'x-tenant']);
    expect(vary(undefined)).toEqual([]);
    expect(() => vary('origin')).toThrow(/pages\.vary: "origin"\. Expected an array/);
    expect(() => vary(['a b'])).toThrow(/pages\.vary entry: "a b"/);
    expect(() => vary(['*'])).toThrow(/pages\.vary entry: "\*"/);
    expect(() => vary([3])).toThrow(/pages\.vary entry: 3/);
  });

  it("defaults the unkeyed-input detector to 'warn', and 'off' in production", () => {
    const before = process.env.NODE_ENV;
    try {
      process.env.NODE_ENV = 'development';
      expect(resolveCacheOptions({ store: 'none' }).pages.unkeyedInputs).toBe('warn');
      process.env.NODE_ENV = 'production';
      expect(resolveCacheOptions({ store: 'none' }).pages.unkeyedInputs).toBe('off');
    } finally {
      process.env.NODE_ENV = before;
    }
  });

  it('takes commandTimeout as milliseconds or a duration, and refuses 0', () => {
    expect(resolveCacheOptions({ store: 'none' }).commandTimeoutMs).toBe(200);
    expect(resolveCacheOptions({ store: 'none', commandTimeout: 500 }).commandTimeoutMs).toBe(500);
    expect(resolveCacheOptions({ store: 'none', commandTimeout: '1s' }).commandTimeoutMs).toBe(
      1000,
    );
    expect(() => resolveCacheOptions({ store: 'none', commandTimeout: 0 })).toThrow(
      /commandTimeout: 0/,
    );
  });
});
