import { privateCacheControl } from './page-policy.js';

describe('privateCacheControl', () => {
  it('drops what lets a shared cache keep the page and says private', () => {
    expect(privateCacheControl('public, max-age=60')).toBe('private, max-age=60');
    expect(privateCacheControl('public, max-age=60, s-maxage=600, proxy-revalidate')).toBe(
      'private, max-age=60',
    );
    expect(privateCacheControl('max-age=0, must-revalidate')).toBe(
      'private, max-age=0, must-revalidate',
    );
    expect(privateCacheControl('PUBLIC,S-MAXAGE=5')).toBe('private');
  });
});
