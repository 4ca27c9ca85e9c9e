import fc from 'fast-check';
import { plainTarget, refusesIdentity } from './request-checks.js';

describe('plainTarget', () => {
  it.each([
    ['/posts/1?page=2', true],
    ['/', true],
    ['/a?x=//;', true],
    ['//evil.example/posts', false],
    ['/posts//1', false],
    ['/posts;jsessionid=1', false],
    ['/posts#top', false],
    ['/posts?x=1#top', false],
    ['http://host/posts', false],
    ['*', false],
    ['', false],
  ])('%j: %s', (url, plain) => {
    expect(plainTarget(url)).toBe(plain);
  });

  it('agrees with its definition on any target', () => {
    const definition = (url: string): boolean => {
      if (!url.startsWith('/') || url.includes('#')) return false;
      const path = url.split('?')[0]!;
      return !path.includes('//') && !path.includes(';');
    };
    const target = fc
      .array(fc.constantFrom('/', 'a', '?', '#', ';', '%', '=', '&'), { maxLength: 12 })
      .map(parts => parts.join(''));
    fc.assert(fc.property(target, url => plainTarget(url) === definition(url)));
  });
});

describe('refusesIdentity', () => {
  it.each([
    ['identity;q=0', true],
    ['gzip, identity;q=0', true],
    ['gzip;q=1, IDENTITY ; Q=0.000', true],
    ['br, *;q=0', true],
    ['*;q=0, identity', false],
    ['*;q=0, identity;q=0.5', false],
    ['gzip, br', false],
    ['identity', false],
    ['', false],
    ['*', false],
  ])('%j: %s', (header, refused) => {
    expect(refusesIdentity(header)).toBe(refused);
  });

  it('reads every line of a repeated header, and no header as accepting anything', () => {
    expect(refusesIdentity(['gzip', 'identity;q=0'])).toBe(true);
    expect(refusesIdentity(undefined)).toBe(false);
  });
});
