import { assertValidKey, DIGEST_MEMO_LIMITS, digestMemoSize, variantDigest } from './keys.js';

describe('variantDigest', () => {
  it('encodes parts unambiguously', () => {
    expect(variantDigest(['a', null])).not.toBe(variantDigest(['a', '']));
    expect(variantDigest(['a,b'])).not.toBe(variantDigest(['a', 'b']));
    expect(variantDigest(['x'])).toBe(variantDigest(['x']));
  });

  it('keeps its memo bounded in bytes whatever the URLs (7,500 distinct 15 KB URLs)', () => {
    const long = 'x'.repeat(15_000);
    for (let i = 0; i < 7_500; i++) variantDigest([`/page?${i}=${long}`]);
    expect(digestMemoSize().chars).toBeLessThanOrEqual(DIGEST_MEMO_LIMITS.chars);
    // Short inputs fill it up to its bounds, never past them.
    for (let i = 0; i < 30_000; i++) variantDigest([`/p?${i}=${'y'.repeat(500)}`]);
    const size = digestMemoSize();
    expect(size.entries).toBeLessThanOrEqual(DIGEST_MEMO_LIMITS.entries);
    expect(size.chars).toBeLessThanOrEqual(DIGEST_MEMO_LIMITS.chars);
    expect(size.entries).toBeGreaterThan(0);
  });

  it('gives a long input the same digest whether remembered or not', () => {
    const parts = [`/q?${'z'.repeat(5_000)}`];
    expect(variantDigest(parts)).toBe(variantDigest([...parts]));
  });
});

describe('assertValidKey', () => {
  it('refuses a lone surrogate, which the store would read as U+FFFD (another key)', () => {
    for (const key of ['search:\ud800', 'search:\udc00x', 'a\ud800\ud800b']) {
      expect(() => assertValidKey(key)).toThrow(/lone surrogate/);
    }
    expect(() => assertValidKey('search:\ufffd')).not.toThrow();
    expect(() => assertValidKey('search:\ud83d\ude00')).not.toThrow(); // a real pair: 😀
  });
});
