import { describe, expect, it } from 'vitest';
import { escapeGlob, globToRegExp } from './glob.js';

/** Asserts which of `candidates` the pattern matches, and that it rejects all the others. */
function expectMatches(pattern: string, matching: string[], notMatching: string[]): void {
  const re = globToRegExp(pattern);
  for (const s of matching) expect(re.test(s), `${pattern} should match ${s}`).toBe(true);
  for (const s of notMatching) expect(re.test(s), `${pattern} should not match ${s}`).toBe(false);
}

describe('globToRegExp', () => {
  it('matches literals exactly and anchored at both ends', () => {
    expectMatches('abc', ['abc'], ['ab', 'abcd', 'xabc', 'ABC', '']);
  });

  it('treats regex metacharacters as literals', () => {
    expectMatches(
      'a.b+c(d)|e{1}$^/',
      ['a.b+c(d)|e{1}$^/'],
      ['axb+c(d)|e{1}$^/', 'abbc(d)|e{1}$^/'],
    );
    expectMatches('a.c', ['a.c'], ['abc']);
  });

  it('lets * match any sequence, including the empty one and colons', () => {
    expectMatches('pc:*', ['pc:', 'pc:a', 'pc:1:page:/x?y=1', 'pc:\n'], ['pc', 'p:c', 'xpc:a']);
    expectMatches('a*b', ['ab', 'axb', 'a:x:b', 'abb'], ['a', 'b', 'abc']);
    expectMatches('*:dep:*', ['x:dep:y', ':dep:'], ['x:dep', 'dep:y']);
  });

  it('collapses runs of * without changing the meaning', () => {
    expectMatches('a***b', ['ab', 'axyzb'], ['a', 'abx']);
    expect(globToRegExp('a***b').source).toBe(globToRegExp('a*b').source);
  });

  it('lets ? match exactly one character', () => {
    expectMatches('a?c', ['abc', 'a:c', 'a?c'], ['ac', 'abbc']);
    expectMatches('??', ['ab'], ['a', 'abc']);
  });

  it('matches the empty key only with the empty pattern or a lone *', () => {
    expect(globToRegExp('').test('')).toBe(true);
    expect(globToRegExp('*').test('')).toBe(true);
    expect(globToRegExp('**').test('')).toBe(false);
    expect(globToRegExp('').test('a')).toBe(false);
  });

  it('supports sets, ranges and negation', () => {
    expectMatches('h[ae]llo', ['hallo', 'hello'], ['hillo', 'hllo', 'haello']);
    expectMatches('v[0-9]', ['v0', 'v5', 'v9'], ['va', 'v', 'v10']);
    expectMatches('[a-cx-z]', ['a', 'b', 'c', 'x', 'z'], ['d', 'w', 'A']);
    expectMatches('h[^e]llo', ['hallo', 'h:llo'], ['hello', 'hllo']);
    expectMatches('[^a-c]', ['d', '-'], ['a', 'b', 'c']);
  });

  it('swaps reversed ranges like Redis', () => {
    expectMatches('[z-a]', ['a', 'm', 'z'], ['A', '0']);
  });

  it('follows Redis for degenerate sets', () => {
    // `]` right after `[` closes the set: an empty set matches nothing, a negated one anything.
    expectMatches('a[]', [], ['a', 'a]', 'ab']);
    expectMatches('a[^]b', ['axb', 'a]b'], ['ab', 'axxb']);
    // The range test precedes the search for `]`: `[a-]` is the range `]`..`a`, left open.
    expectMatches('[a-]', [']', '^', '_', 'a'], ['-', 'b', 'a]']);
    // `-` first or last (with nothing after it) is a plain member.
    expectMatches('[-a]', ['-', 'a'], ['b']);
  });

  it('runs an unterminated set to the end of the pattern', () => {
    expectMatches('a[bc', ['ab', 'ac'], ['a', 'abc', 'a[bc', 'ad']);
    // `[` with nothing after it is an empty set: never matches. `[^` matches any one character.
    expectMatches('a[', [], ['a', 'a[', 'ab']);
    expectMatches('a[^', ['ab', 'a['], ['a', 'abc']);
  });

  it('honours backslash escapes outside sets', () => {
    expectMatches('a\\*', ['a*'], ['a', 'ab', 'a\\*']);
    expectMatches('a\\?', ['a?'], ['ab']);
    expectMatches('\\[ab]', ['[ab]'], ['a', 'b']);
    expectMatches('a\\\\b', ['a\\b'], ['ab', 'a\\\\b']);
    expectMatches('\\x', ['x'], ['\\x']);
    // A lone trailing backslash matches a backslash.
    expectMatches('a\\', ['a\\'], ['a']);
  });

  it('honours backslash escapes inside sets', () => {
    expectMatches('[\\]]', [']'], ['\\', '\\]']);
    expectMatches('[\\^a]', ['^', 'a'], ['b']);
    expectMatches('[a\\-z]', ['a', '-', 'z'], ['b', 'y']);
    expectMatches('[\\\\]', ['\\'], ['a']);
    expectMatches('[^\\]]', ['a'], [']']);
  });

  it('never splits a character outside the BMP', () => {
    expectMatches('a?b', ['a😀b'], ['a😀😀b']);
    expectMatches('[😀]', ['😀'], ['a']);
  });

  it('returns a reusable expression', () => {
    const re = globToRegExp('a*');
    expect(re.test('abc')).toBe(true);
    expect(re.test('abc')).toBe(true);
    expect(re.flags).not.toContain('g');
  });
});

describe('escapeGlob', () => {
  it('escapes exactly the glob syntax characters', () => {
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
    expect(escapeGlob('pc:1:/page?x=1')).toBe('pc:1:/page\\?x=1');
    expect(escapeGlob('plain:key-^$.')).toBe('plain:key-^$.');
  });

  it('makes a literal match only itself', () => {
    const re = globToRegExp(escapeGlob('a*'));
    expect(re.test('a*')).toBe(true);
    expect(re.test('a')).toBe(false);
    expect(re.test('ab')).toBe(false);
    expect(re.test('a**')).toBe(false);
  });

  it('round-trips awkward literals, also as a prefix', () => {
    for (const literal of ['[x]', 'a\\', '?', '*', '\\*', '[^a-z]', 'a]b', '']) {
      expect(globToRegExp(escapeGlob(literal)).test(literal), literal).toBe(true);
      const prefix = globToRegExp(`${escapeGlob(literal)}:*`);
      expect(prefix.test(`${literal}:tail`), literal).toBe(true);
      expect(prefix.test(`x${literal}:tail`), literal).toBe(false);
    }
  });
});
