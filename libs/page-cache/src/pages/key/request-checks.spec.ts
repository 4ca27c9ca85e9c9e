import { refusesIdentity } from './request-checks.js';

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
