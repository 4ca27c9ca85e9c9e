import { etagMatches } from './serve.js';

describe('etagMatches', () => {
  it('compares entity-tags weakly, as a list of quoted strings', () => {
    expect(etagMatches('"a"', '"a"')).toBe(true);
    expect(etagMatches('W/"a"', '"a"')).toBe(true);
    expect(etagMatches('"x", W/"a"', '"a"')).toBe(true);
    expect(etagMatches('"b"', '"a"')).toBe(false);
    expect(etagMatches(undefined, '"a"')).toBe(false);
    expect(etagMatches('*', '"a"')).toBe(true);
  });

  it('keeps a comma inside a tag whole', () => {
    expect(etagMatches('"a,b"', '"a,b"')).toBe(true);
    expect(etagMatches('"x", "a,b"', '"a,b"')).toBe(true);
    expect(etagMatches('"a"', '"a,b"')).toBe(false);
    expect(etagMatches('"a,b"', '"a"')).toBe(false);
  });

  it('does not match garbage', () => {
    expect(etagMatches('a', '"a"')).toBe(false);
    expect(etagMatches('"a', '"a"')).toBe(false);
  });
});
