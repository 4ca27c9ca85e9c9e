import type { PageRequest } from '../page-metadata.js';
import type { PagePolicy } from '../policy/page-policy.js';
import fc from 'fast-check';
import {
  buildLocation,
  isBypass,
  locatePage,
  LOCATION_MEMO_BYTES,
  locationMemoSize,
  TAG_MEMO_BYTES,
  tagMemoSize,
  urlTagOf,
  type PageLocation,
} from './page-key.js';

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
  it('keys spellings every reader takes alike as one: unreserved escapes, hex case, host case and default port', () => {
    const one = ['/p/a-b?x=%2F', '/p/%61-b?x=%2f', '/p/a%2Db?x=%2F', '/p/a%2db?x=%2f'];
    expect(new Set(one.map(url => keyOf(policy(), request(url)))).size).toBe(1);
    const hosts = ['a.test', 'A.TEST', 'a.test:80', 'A.test:80'];
    const byHost = hosts.map(host => keyOf(policy(), request('/p', { headers: { host } })));
    expect(new Set(byHost).size).toBe(1);
    // Distinct to some reader: a slash, a dot segment, a space, invalid UTF-8, another port.
    const apart = [
      '/p/a%2Fb',
      '/p/a/b',
      '/p/%2E%2E',
      '/p/..',
      '/p/a+b',
      '/p/a%20b',
      '/p/%FF',
      '/p/%ff',
    ];
    expect(new Set(apart.map(url => keyOf(policy(), request(url)))).size).toBe(apart.length);
    const port = keyOf(policy(), request('/p', { headers: { host: 'a.test:8080' } }));
    expect(byHost).not.toContain(port);
  });

  it('keys the request as sent for a route that reads its spelling, apart from canonical keys', () => {
    const raw = (url: string, host = 'a.test') =>
      (
        locatePage(
          'ns:1',
          policy(),
          request(url, { headers: { host } }),
          noUser,
          true,
        ) as PageLocation
      ).key;
    expect(raw('/p/a-b')).not.toBe(raw('/p/%61-b'));
    expect(raw('/p', 'a.test')).not.toBe(raw('/p', 'A.TEST'));
    expect(raw('/p/a-b')).not.toBe(keyOf(policy(), request('/p/a-b')));
  });

  it('keys learned headers after the declared ones, as a declared one would be', () => {
    const declared = policy({
      vary: { headers: ['origin'], cookies: [], query: [], user: false, functions: [] },
    });
    const plain = policy();
    const from = (origin?: string) =>
      request('/p', { headers: { host: 'a.test', ...(origin ? { origin } : {}) } });
    const learned = (r: PageRequest) => locatePage('ns:1', plain, r, noUser, false, ['origin']);
    const a = learned(from('https://a.example')) as PageLocation;
    expect(a.varyHeaders).toEqual(['origin']);
    expect(a.key).toBe(keyOf(declared, from('https://a.example')));
    expect(a.key).not.toBe((learned(from('https://b.example')) as PageLocation).key);
    // A key that holds the header never meets one that did not, even for a request without it.
    expect((learned(from()) as PageLocation).key).not.toBe(keyOf(plain, from()));
    expect((locatePage('ns:1', plain, from(), noUser) as PageLocation).varyHeaders).toEqual([]);
  });

  it('keys the request target as sent, but for unreserved escapes', () => {
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

describe('the lookup-tag memo', () => {
  it('stays within one byte bound for the whole process, however many routes and URLs', () => {
    for (let route = 0; route < 200; route++) {
      const routePolicy = policy({ view: `Route${route}` });
      for (let i = 0; i < 50; i++) {
        locatePage('ns', routePolicy, request(`/r${route}/${'x'.repeat(900)}/${i}`), noUser);
      }
    }
    const { entries, bytes } = tagMemoSize();
    expect(bytes).toBeLessThanOrEqual(TAG_MEMO_BYTES);
    // Full, not empty: the bound is what stopped it.
    expect(bytes).toBeGreaterThan(TAG_MEMO_BYTES * 0.9);
    expect(entries).toBeLessThan(200 * 50);
  });
});

describe('the location memo', () => {
  // Few values each, some that look like the memo's own encoding ('n', 's…', '\0'), so that
  // requests whose inputs differ in one place meet often.
  const text = fc.constantFrom('a', 'n', 'sn', 'a\0b', '', 'a,b', 'ja', '[]', '{}');
  const maybe = <T>(arbitrary: fc.Arbitrary<T>) =>
    fc
      .option(arbitrary, { nil: undefined })
      .chain(value =>
        value === undefined ? fc.constantFrom(undefined, null) : fc.constant(value),
      );
  const requests = fc.record({
    url: fc.constantFrom('/p', '/p?page=1', '/P', '/p%2F', '/p/1', '/p/01', '/p?page=1&x=2'),
    originalUrl: maybe(fc.constantFrom('/p', '/m/p', '/p?page=2')),
    hostHeader: maybe(fc.oneof(fc.constantFrom('a.test', 'a.test:80', 'A.test:8080'), text)),
    host: maybe(fc.oneof(fc.constantFrom('a.test', 'b.test:80'), text)),
    hostname: maybe(fc.constantFrom('a.test', 'n')),
    protocol: maybe(fc.constantFrom('http', 'https', 'n')),
    localPort: fc.constantFrom(undefined, 80, 8080, Number.NaN),
    route: fc.constantFrom(undefined, '/p', '/p/:id'),
    // Fastify's are objects whose prototype's prototype is null.
    params: maybe(
      fc.constantFrom(
        {},
        { id: '1' },
        { id: '01' },
        { id: 1 },
        { id: 'n' },
        Object.create(Object.create(null) as object) as object,
        Object.assign(Object.create(Object.create(null) as object) as object, { id: '1' }),
      ),
    ),
    language: maybe(fc.oneof(text, fc.constant(['a', 'b']), fc.constant(['a,b']))),
    cookie: maybe(fc.constantFrom('lang=a', 'lang=a; lang=b', 'lang="a"', 'x=1')),
    jar: maybe(fc.constantFrom({}, { lang: 'a' }, { lang: 'n' }, { lang: ['a'] })),
    page: fc.constantFrom(undefined, '1', ['1'], { a: '1' }, 'n'),
  });
  const FIELDS = [
    'url',
    'originalUrl',
    'hostHeader',
    'host',
    'hostname',
    'protocol',
    'localPort',
    'route',
    'params',
    'language',
    'cookie',
    'jar',
    'page',
  ] as const;
  const policies = [
    policy(),
    policy({ view: 'V.headers', vary: { ...policy().vary, headers: ['accept-language'] } }),
    policy({ view: 'V.cookies', vary: { ...policy().vary, cookies: ['lang'] } }),
    policy({ view: 'V.query', query: new Set(['page']) }),
    policy({ view: 'V.varyQuery', vary: { ...policy().vary, query: ['page'] } }),
    policy({ view: 'V.entity', models: ['Post'], entities: [{ model: 'Post', id: 'id' }] }),
  ];
  const toRequest = (r: Record<string, unknown>) =>
    ({
      method: 'GET',
      url: r.url,
      originalUrl: r.originalUrl,
      headers: {
        host: r.hostHeader,
        'accept-language': r.language,
        cookie: r.cookie,
      },
      host: r.host,
      hostname: r.hostname,
      protocol: r.protocol,
      socket: { localPort: r.localPort },
      route: r.route === undefined ? undefined : { path: r.route },
      params: r.params,
      cookies: r.jar,
      query: r.page === undefined ? {} : { page: r.page },
    }) as unknown as PageRequest;

  it('gives every request the location built from it, whatever requests came before', () => {
    // A request, then variants of it that differ in one input each: a memo that missed an input
    // would hand a variant the request's location.
    fc.assert(
      fc.property(
        fc.nat(policies.length - 1),
        fc.boolean(),
        requests,
        fc.array(fc.tuple(fc.constantFrom(...FIELDS), requests), { minLength: 1, maxLength: 12 }),
        (which, raw, base, changes) => {
          const route = policies[which]!;
          const sequence = changes.flatMap(([field, other]) => [
            base,
            { ...base, [field]: other[field as keyof typeof other] },
          ]);
          for (const fieldsOf of sequence) {
            const req = toRequest(fieldsOf);
            let built: unknown;
            try {
              built = buildLocation('ns:1', route, req, noUser, raw, []);
            } catch {
              expect(() => locatePage('ns:1', route, req, noUser, raw)).toThrow();
              continue;
            }
            expect(locatePage('ns:1', route, req, noUser, raw)).toEqual(built);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads a missing Cookie header alike whether it is undefined or null, as the memo does', () => {
    // The memo encodes both as one input: a reader that threw on one and not the other would
    // answer by the order requests came in (the property test above found it now and then).
    const route = policy({ view: 'V.nullCookie', vary: { ...policy().vary, cookies: ['lang'] } });
    const absent = request('/c', { headers: { host: 'a.test', cookie: undefined } });
    const nulled = request('/c', { headers: { host: 'a.test', cookie: null } as never });
    const built = buildLocation('ns:c', route, nulled, noUser, false, []);
    expect(built).toEqual(buildLocation('ns:c', route, absent, noUser, false, []));
  });

  it('hands each request a location of its own, which an overridden locate() may add to', () => {
    // `PageCacheInterceptor.locate()` overrides are told to add to `super.locate()`'s inputs: one
    // that sets the key in place must not change the location another request is handed.
    const route = policy({ view: 'V.tenant', models: ['Post'] });
    const tenantA = locatePage('ns:t', route, request('/t'), noUser) as PageLocation;
    const plain = tenantA.key;
    const deps = [...tenantA.deps];
    tenantA.key = `${tenantA.key}:tenant-a`;
    const anonymous = locatePage('ns:t', route, request('/t'), noUser) as PageLocation;
    expect(anonymous.key).toBe(plain);
    expect(() => (anonymous.deps as string[]).push('@tenant:a')).toThrow(TypeError);
    expect(locatePage('ns:t', route, request('/t'), noUser)).toEqual({ ...anonymous, deps });
  });

  it('gives no request the location of an earlier one whose parameters were changed after', () => {
    const route = policy({
      view: 'V.mutated',
      models: ['Post'],
      entities: [{ model: 'Post', id: 'id' }],
    });
    // Parameters a middleware set, not read from the URL: the URL alone does not tell them apart.
    const first = request('/p', { params: { id: '1' } });
    locatePage('ns:1', route, first, noUser);
    // A handler (or middleware) changes the request's own parameters in place afterwards.
    first.params!.id = '2';
    const second = request('/p', { params: { id: '2' } });
    expect(locatePage('ns:1', route, second, noUser)).toEqual(
      buildLocation('ns:1', route, second, noUser, false, []),
    );
  });

  it('stays within one byte bound for the whole process', () => {
    for (let i = 0; i < 20_000; i++) {
      locatePage('ns', policy(), request(`/r/${'x'.repeat(300)}/${i}`), noUser);
    }
    expect(locationMemoSize().bytes).toBeLessThanOrEqual(LOCATION_MEMO_BYTES);
    expect(locationMemoSize().bytes).toBeGreaterThan(LOCATION_MEMO_BYTES * 0.9);
  });
});
