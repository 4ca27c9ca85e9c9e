import type { PageRequest } from '../page-metadata.js';
import type { PagePolicy } from '../policy/page-policy.js';
import { isBypass, locatePage, urlTagOf, type PageLocation } from './page-key.js';

const policy = (over: Partial<PagePolicy> = {}): PagePolicy => ({
  view: 'Posts.show',
  route: '["Posts"]',
  ttlMs: 0,
  statuses: new Set([200]),
  vary: { headers: [], cookies: [], query: [], user: false, functions: [] },
  models: [],
  entities: [],
  allowsAuthorization: false,
  personalised: false,
  graceMs: 0,
  earlyRefreshBeta: 0,
  rendered: false,
  ...over,
});
const request = (url: string, over: Partial<PageRequest> = {}): PageRequest => ({
  method: 'GET',
  url,
  headers: { host: 'a.test' },
  query: {},
  ...over,
});
const noUser = () => undefined;
const keyOf = (p: PagePolicy, r: PageRequest) =>
  (locatePage('ns:1', p, r, noUser) as PageLocation).key;

describe('locatePage', () => {
  it('keys the request target exactly as sent', () => {
    const keys = ['/p?a=1&b=2', '/p?b=2&a=1', '/p??a=1', '/p?a=%31', '/P?a=1', '/p/?a=1'].map(url =>
      keyOf(policy(), request(url)),
    );
    expect(new Set(keys).size).toBe(keys.length);
    expect(keyOf(policy(), request('/p?a=1'))).toBe(keyOf(policy(), request('/p?a=1')));
  });

  it('keys an allowlisted query as the adapter parsed it', () => {
    const listed = policy({ query: new Set(['page']) });
    const page2 = keyOf(listed, request('/p?page=2&utm=x', { query: { page: '2', utm: 'x' } }));
    expect(keyOf(listed, request('/p?page=2', { query: { page: '2' } }))).toBe(page2);
    // "??page=2": the adapter read a parameter named "?page", not "page".
    expect(keyOf(listed, request('/p??page=2', { query: { '?page': '2' } }))).not.toBe(page2);
  });

  it('keys host and protocol as the framework reports them', () => {
    const plain = keyOf(policy(), request('/p', { host: 'a.test', protocol: 'http' }));
    expect(keyOf(policy(), request('/p', { host: 'evil.test', protocol: 'http' }))).not.toBe(plain);
    expect(keyOf(policy(), request('/p', { host: 'a.test', protocol: 'https' }))).not.toBe(plain);
  });

  it('bypasses a principal that is missing on a request with credentials, or not an id', () => {
    const byUser = policy({ vary: { ...policy().vary, user: true } });
    const withAuth = request('/me', { headers: { host: 'a', authorization: 'Bearer x' } });
    expect(locatePage('ns', byUser, withAuth, () => undefined)).toMatchObject({
      bypass: 'principal',
    });
    expect(locatePage('ns', byUser, request('/me'), () => ({ id: 1 }))).toMatchObject({
      bypass: 'principal',
    });
    expect(isBypass(locatePage('ns', byUser, request('/me'), () => undefined))).toBe(false);
    expect(
      locatePage('ns', byUser, withAuth, () => {
        throw new Error('no user');
      }),
    ).toMatchObject({ bypass: 'principal' });
  });

  it('depends on entity ids in canonical form', () => {
    const show = policy({ entities: [{ model: 'Post', id: 'id', parse: Number }] });
    const located = locatePage('ns', show, request('/posts/07', { params: { id: '07' } }), noUser);
    expect((located as PageLocation).deps.slice(0, 2)).toEqual(['Post/7', 'Post/']);
    const raw = policy({ entities: [{ model: 'Post', id: 'id' }] });
    expect(
      locatePage('ns', raw, request('/posts/07', { params: { id: '07' } }), noUser),
    ).toMatchObject({
      bypass: 'entity-id',
    });
  });

  it('gives every router spelling of a URL the same lookup tag', () => {
    const tags = ['/posts/3', '/posts/3/', '/POSTS/3', '/posts/%33'].map(url =>
      (locatePage('ns', policy(), request(url), noUser) as PageLocation).deps.at(-2),
    );
    expect(new Set(tags).size).toBe(1);
    expect(tags[0]).toBe(urlTagOf('/posts/3'));
  });
});
