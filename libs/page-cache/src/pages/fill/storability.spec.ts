import type { PagePolicy } from '../policy/page-policy.js';
import type { CapturedResponse } from './capture.js';
import {
  mergeVary,
  pageMetaOf,
  rejectResponse,
  storedHeaders,
  strongEtag,
  unkeyedVary,
  varyNames,
} from './storability.js';

const policy = {
  statuses: new Set([200]),
  vary: { headers: ['accept-language'] },
} as unknown as PagePolicy;
const response = (
  headers: Record<string, string | string[]> = {},
  over = {},
): CapturedResponse => ({
  status: 200,
  headers: new Map(Object.entries(headers)),
  body: Buffer.from('body'),
  streamed: false,
  ...over,
});

describe('rejectResponse', () => {
  it('stores a plain 200', () => {
    expect(rejectResponse(response(), policy, 100)).toBeUndefined();
  });

  it('names why a response is not stored', () => {
    expect(rejectResponse(response({}, { status: 404 }), policy, 100)).toBe('status');
    expect(rejectResponse(response({}, { streamed: true }), policy, 100)).toBe('stream');
    expect(rejectResponse(response({ 'set-cookie': ['a=1'] }), policy, 100)).toBe('set-cookie');
    expect(rejectResponse(response({ 'cache-control': 'Private' }), policy, 100)).toBe(
      'cache-control',
    );
    expect(rejectResponse(response({ 'content-encoding': 'gzip' }), policy, 100)).toBe('encoding');
    expect(rejectResponse(response({ vary: 'Origin' }), policy, 100)).toBe('vary');
    expect(rejectResponse(response({ vary: '*' }), policy, 100)).toBe('vary');
    expect(rejectResponse(response(), policy, 3)).toBe('size');
  });

  it('accepts a Vary the page varies on, and Accept-Encoding announced over a plain body', () => {
    expect(
      rejectResponse(response({ vary: 'Accept-Language, Accept-Encoding' }), policy, 100),
    ).toBeUndefined();
  });
});

describe('the Vary a key covers', () => {
  it('refuses a Vary the key did not hold, against the headers it held', () => {
    const cors = response({ vary: 'Origin, Accept-Language' });
    expect(rejectResponse(cors, policy, 100)).toBe('vary');
    expect(rejectResponse(cors, policy, 100, ['accept-language', 'origin'])).toBeUndefined();
    expect(unkeyedVary(cors, ['accept-language'])).toEqual(['origin']);
    expect(unkeyedVary(response({ vary: ['X-A, *', 'x-a'] }), [])).toEqual(['x-a', '*']);
  });

  it('reads names case-insensitively, each once', () => {
    expect(varyNames(' Origin ,origin,, X-Foo')).toEqual(['origin', 'x-foo']);
    expect(varyNames(undefined)).toEqual([]);
  });

  it('merges Vary values with each header once, its first spelling kept', () => {
    expect(mergeVary('Origin', ['origin', 'accept-language'])).toBe('Origin, accept-language');
    expect(mergeVary(['Origin, X-A', 'x-a'], undefined, 'ORIGIN')).toBe('Origin, X-A');
    expect(mergeVary(undefined, ' , ')).toBeUndefined();
  });
});

describe('storedHeaders and strongEtag', () => {
  it('leaves out per-response and hop-by-hop headers, keeps repeated ones', () => {
    expect(
      storedHeaders(
        response({ date: 'x', 'content-type': 'text/plain', link: ['<a>', '<b>'], etag: '"e"' }),
      ),
    ).toEqual([
      ['content-type', 'text/plain'],
      ['link', '<a>'],
      ['link', '<b>'],
    ]);
  });

  it("keeps the handler's strong ETag and replaces a weak one", () => {
    expect(strongEtag('"mine"', Buffer.from('x'))).toBe('"mine"');
    expect(strongEtag('W/"weak"', Buffer.from('x'))).toMatch(/^"[\w-]+"$/);
  });
});

describe('pageMetaOf', () => {
  it('stores the status, the kept headers, a strong ETag, the TTL and the render time', () => {
    const before = Date.now();
    const meta = pageMetaOf(
      response({ 'content-type': 'text/plain', date: 'x' }, { status: 203 }),
      { ttlMs: 5_000 },
      12.6,
    );
    expect(meta).toMatchObject({
      k: 'page',
      s: 203,
      h: [['content-type', 'text/plain']],
      l: 5_000,
      r: 13,
    });
    expect(meta.e).toBe(strongEtag(undefined, Buffer.from('body')));
    expect(meta.t).toBeGreaterThanOrEqual(before);
  });

  it("replaces the handler's own tag header with the page's tags", () => {
    const meta = pageMetaOf(response({ 'cache-tag': 'forged', link: '<a>' }), { ttlMs: 0 }, 0, {
      name: 'Cache-Tag',
      value: 'pc-post',
    });
    expect(meta.h).toEqual([
      ['link', '<a>'],
      ['cache-tag', 'pc-post'],
    ]);
  });
});

describe('pageMetaOf with an edge tag that varies', () => {
  it("joins the tag's Vary to the handler's, in one header", () => {
    const tag = { name: 'xkey', value: 'Post', vary: 'X-Forwarded-Proto' };
    expect(pageMetaOf(response({ vary: 'Accept-Encoding' }), { ttlMs: 0 }, 0, tag).h).toEqual([
      ['vary', 'Accept-Encoding, X-Forwarded-Proto'],
      ['xkey', 'Post'],
    ]);
    expect(pageMetaOf(response(), { ttlMs: 0 }, 0, tag).h).toEqual([
      ['vary', 'X-Forwarded-Proto'],
      ['xkey', 'Post'],
    ]);
    expect(pageMetaOf(response({ vary: 'x-forwarded-proto' }), { ttlMs: 0 }, 0, tag).h).toEqual([
      ['vary', 'x-forwarded-proto'],
      ['xkey', 'Post'],
    ]);
  });
});
