import type { ServerResponse } from 'node:http';
import { afterEach, vi } from 'vitest';
import type { PageRequest } from './page-metadata.js';
import { etagMatches, writeStoredPage } from './serve.js';
import type { StoredPage } from './stored-page.js';

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

describe('writeStoredPage', () => {
  afterEach(() => vi.useRealTimers());

  /** A response that records what is written to it (`writeStoredPage` only writes). */
  function recorder() {
    const heads: { status: number; headers: string[] }[] = [];
    const raw = {
      headersSent: false,
      writeHead(status: number, headers: string[]) {
        heads.push({ status, headers: [...headers] });
      },
      end() {},
    };
    return { raw: raw as unknown as ServerResponse, heads };
  }

  const request = { method: 'GET', url: '/p', headers: {} } as unknown as PageRequest;
  const page = (): StoredPage => ({
    meta: { k: 'page', s: 200, h: [['content-type', 'text/plain']], e: '"e"', t: 0, l: 0, r: 0 },
    body: Buffer.from('body'),
  });

  it('writes the current Age and label on every answer of one page', () => {
    vi.useFakeTimers({ now: 1_000 });
    const stored = page();
    const { raw, heads } = recorder();
    writeStoredPage(request, raw, raw, 'nothing', stored, 'HIT');
    writeStoredPage(request, raw, raw, 'nothing', stored, 'HIT');
    vi.setSystemTime(3_500);
    writeStoredPage(request, raw, raw, 'nothing', stored, 'HIT');
    writeStoredPage(request, raw, raw, 'nothing', stored, 'STALE');
    const shown = heads.map(({ headers }) => {
      const at = (name: string) => headers[headers.indexOf(name) + 1];
      return [at('x-cache'), at('age'), at('content-length'), at('etag'), at('content-type')];
    });
    expect(shown).toEqual([
      ['HIT', '1', '4', '"e"', 'text/plain'],
      ['HIT', '1', '4', '"e"', 'text/plain'],
      ['HIT', '3', '4', '"e"', 'text/plain'],
      ['STALE', '3', '4', '"e"', 'text/plain'],
    ]);
    expect(heads.every(({ headers }) => headers.length === 10)).toBe(true);
  });

  it('answers a stored 204 with no body and no Content-Length', () => {
    const { raw, heads } = recorder();
    const ends: unknown[][] = [];
    raw.end = ((...args: unknown[]) => ends.push(args)) as never;
    const stored = page();
    stored.meta.s = 204;
    stored.body = Buffer.alloc(0);
    const { bytesSent } = writeStoredPage(request, raw, raw, 'nothing', stored, 'HIT');
    expect(heads[0]!.status).toBe(204);
    expect(heads[0]!.headers).not.toContain('content-length');
    expect({ ends, bytesSent }).toEqual({ ends: [[]], bytesSent: 0 });
  });

  it("leaves the response as it is before Nest, and Nest's send a no-op after it", () => {
    const early = recorder();
    writeStoredPage(request, early.raw, early.raw, 'nothing', page(), 'HIT');
    expect(Object.hasOwn(early.raw, 'send')).toBe(false);
    const late = recorder();
    writeStoredPage(request, late.raw, late.raw, 'send', page(), 'HIT');
    expect((late.raw as unknown as { send(): unknown }).send()).toBe(late.raw);
  });
});
