import {
  canonicalHost,
  canonicalTarget,
  defaultPorts,
  keyedSpellings,
} from './canonical-request.js';

describe('canonicalTarget', () => {
  it('decodes percent-encoded unreserved characters and upper-cases the other escapes', () => {
    expect(canonicalTarget('/articles/hello%2Dworld')).toBe('/articles/hello-world');
    expect(canonicalTarget('/%61%5F%7e%30?q=%41%2b')).toBe('/a_~0?q=A%2B');
    expect(canonicalTarget('/a%2fb%c3%a9')).toBe('/a%2Fb%C3%A9');
  });

  it('keeps what some reader takes apart: slashes, dots, spaces, plus signs, invalid UTF-8', () => {
    for (const url of ['/a%2Fb', '/%2E%2E/x', '/a%20b', '/a+b', '/p?x=%3D']) {
      expect(canonicalTarget(url)).toBe(url);
    }
    // Not UTF-8: routers disagree, so it is kept exactly as sent (hex case included).
    expect(canonicalTarget('/a%ff%41')).toBe('/a%ff%41');
    expect(canonicalTarget('/plain?x=1')).toBe('/plain?x=1');
  });
});

describe('canonicalHost', () => {
  it('lower-cases and drops a default port, keeping any other', () => {
    expect(canonicalHost('Example.COM:80', ['80'])).toBe('example.com');
    expect(canonicalHost('example.com:3000', ['80', '3000'])).toBe('example.com');
    expect(canonicalHost('example.com:8080', ['80'])).toBe('example.com:8080');
    expect(canonicalHost('[::1]:443', ['443'])).toBe('[::1]');
  });

  it('takes the protocol default and the port the connection came in on as default', () => {
    const request = { method: 'GET', url: '/', headers: {}, protocol: 'https' };
    expect(defaultPorts(request)).toEqual(['443']);
    expect(
      defaultPorts({ ...request, protocol: 'http', socket: { localPort: 3000 } } as never),
    ).toEqual(['80', '3000']);
  });

  it('gives the spellings as sent when the route reads them', () => {
    const request = { method: 'GET', url: '/%61', headers: { host: 'A.test:80' } };
    expect(keyedSpellings(request, false)).toMatchObject({ target: '/a', hostHeader: 'a.test' });
    expect(keyedSpellings(request, true)).toMatchObject({
      target: '/%61',
      hostHeader: 'A.test:80',
    });
  });

  it('keys what the router made of the path: its pattern and decoded parameters', () => {
    const routed = (url: string, slug: string) => ({
      method: 'GET',
      url,
      headers: {},
      route: { path: '/articles/:slug' },
      params: { slug },
    });
    const one = keyedSpellings(routed('/ARTICLES/a-b?x=%41', 'a-b'), false);
    expect(one.target).toEqual(keyedSpellings(routed('/articles/a%2Db?x=A', 'a-b'), false).target);
    expect(one.target).not.toEqual(
      keyedSpellings(routed('/articles/a-b?x=B', 'a-b'), false).target,
    );
    // The literal path of another pattern is another key, whatever it decodes to.
    const literal = {
      ...routed('/articles/latest', 'x'),
      route: { path: '/articles/latest' },
      params: {},
    };
    expect(keyedSpellings(literal, false).target).not.toEqual(
      keyedSpellings(routed('/articles/%6Catest', 'latest'), false).target,
    );
  });
});
