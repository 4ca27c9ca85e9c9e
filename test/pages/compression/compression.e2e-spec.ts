import { Controller, Get, Module, Res } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyCompress from '@fastify/compress';
import compression from 'compression';
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { CacheModule, CachePage, CacheService } from 'nestjs-page-cache';
import { ADAPTERS, startApp, type AdapterName, type RunningApp } from '../../support/http-app.js';
import { redisUrl, uniquePrefix } from '../../support/redis.js';

/** Big enough for both middlewares' 1 KiB threshold, and compressible. */
const PAGE = `<html><body>${'<p>a page worth compressing</p>'.repeat(200)}</body></html>`;

interface SendsBytes {
  header(name: string, value: string): unknown;
  send(body: Buffer): unknown;
}

@Controller()
class PagesController {
  @Get('page')
  @CachePage('1h')
  page() {
    return PAGE;
  }

  /** The uncached twin: what the middleware makes of the same handler without the cache. */
  @Get('twin')
  twin() {
    return PAGE;
  }

  /** A handler that compresses its own bytes (Express's response and Fastify's reply alike). */
  @Get('self-encoded')
  @CachePage('1h')
  selfEncoded(@Res() response: SendsBytes) {
    response.header('content-type', 'text/html; charset=utf-8');
    response.header('content-encoding', 'gzip');
    response.send(gzipSync(PAGE));
  }
}

function pagesModule(early: boolean) {
  @Module({
    imports: [
      CacheModule.forRoot({
        redis: redisUrl(),
        keyPrefix: uniquePrefix('compression'),
        pages: { early },
      }),
    ],
    controllers: [PagesController],
  })
  class CompressionModule {}
  return CompressionModule;
}

/** Express's `compression` or `@fastify/compress`, as the Nest docs set them up. */
async function useCompression(adapter: AdapterName, app: INestApplication): Promise<void> {
  if (adapter === 'express') app.use(compression());
  else await (app as NestFastifyApplication).register(fastifyCompress as never);
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  cache: string | undefined;
  encoding: string | undefined;
  /** The body as received. */
  bytes: Buffer;
  /** The body decoded once, as its Content-Encoding says. */
  decoded: string;
}

/** A request through node:http, which neither asks for nor decodes an encoding on its own. */
function send(app: RunningApp, path: string, headers: Record<string, string>, method = 'GET') {
  const { hostname, port } = new URL(app.url);
  return new Promise<Answer>((resolve, reject) => {
    const outgoing = request({ host: hostname, port, path, method, headers }, response => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const encoding = response.headers['content-encoding'];
        let decoded = bytes;
        try {
          if (encoding === 'gzip') decoded = gunzipSync(bytes);
          else if (encoding === 'br') decoded = brotliDecompressSync(bytes);
        } catch {
          decoded = Buffer.from('(not decodable)');
        }
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          cache: response.headers['x-cache'] as string | undefined,
          encoding,
          bytes,
          decoded: decoded.toString('utf8'),
        });
      });
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** `Accept-Encoding` tokens of a response's Vary, lower-case (repeated ones included). */
function varyTokens(answer: Answer): string[] {
  const vary = answer.headers.vary;
  const text = Array.isArray(vary) ? vary.join(',') : (vary ?? '');
  return text
    .split(',')
    .map(token => token.trim().toLowerCase())
    .filter(token => token === 'accept-encoding');
}

const CLIENTS = [
  ['identity', 'identity', undefined],
  ['gzip', 'gzip', 'gzip'],
  ['br', 'br', 'br'],
  ['a browser', 'gzip, deflate, br', 'br'],
] as const;

describe.each(ADAPTERS)('pages behind compression middleware on %s', adapter => {
  describe.each([
    ['the early hit path', true],
    ['the interceptor', false],
  ] as const)('served by %s', (_path, early) => {
    let app: RunningApp;
    const stats = (view: string) =>
      app.app.get(CacheService).stats().views[`PagesController.${view}`];

    beforeEach(async () => {
      app = await startApp(adapter, pagesModule(early), nest => useCompression(adapter, nest));
    });
    afterEach(async () => {
      await app.app.get(CacheService).clear();
      await app.close();
    });

    it('stores one page and serves each client an encoding it accepts, decoding to the uncached body', async () => {
      const miss = await send(app, '/page', { 'accept-encoding': 'gzip, br' });
      expect(miss.cache).toBe('MISS');
      // The render asked for identity bytes: what is stored is what the handler sent.
      expect([miss.encoding, miss.decoded]).toEqual([undefined, PAGE]);
      for (const [client, accept, encoding] of CLIENTS) {
        const twin = await send(app, '/twin', { 'accept-encoding': accept });
        const hit = await send(app, '/page', { 'accept-encoding': accept });
        expect([hit.status, hit.cache, hit.encoding], client).toEqual([200, 'HIT', encoding]);
        expect(twin.encoding, client).toBe(encoding);
        // Decoded once, the page: nothing was compressed twice.
        expect(hit.decoded, client).toBe(twin.decoded);
        expect(hit.decoded, client).toBe(PAGE);
        // Announced once where the middleware announces it.
        expect(varyTokens(hit), client).toEqual(varyTokens(twin));
      }
      expect(stats('page')).toMatchObject({
        misses: 1,
        writes: 1,
        hits: CLIENTS.length,
        earlyHits: early ? CLIENTS.length : 0,
      });
      expect(stats('page')?.bypasses).toEqual({});
    });

    it('answers a compressed client If-None-Match with 304, and a changed tag with the page', async () => {
      await send(app, '/page', { 'accept-encoding': 'gzip' });
      const hit = await send(app, '/page', { 'accept-encoding': 'gzip' });
      expect([hit.cache, hit.encoding]).toEqual(['HIT', 'gzip']);
      const etag = String(hit.headers.etag);
      const revalidated = await send(app, '/page', {
        'accept-encoding': 'gzip',
        'if-none-match': etag,
      });
      expect([revalidated.status, revalidated.cache, revalidated.bytes.length]).toEqual([
        304,
        'HIT',
        0,
      ]);
      expect(revalidated.headers.etag).toBe(etag);
      expect(varyTokens(revalidated).length).toBeLessThanOrEqual(1);
      const changed = await send(app, '/page', {
        'accept-encoding': 'gzip',
        'if-none-match': '"another"',
      });
      expect([changed.status, changed.encoding, changed.decoded]).toEqual([200, 'gzip', PAGE]);
    });

    it('answers HEAD without a body, with the head of the uncached twin', async () => {
      await send(app, '/page', { 'accept-encoding': 'gzip' });
      // Fastify routes HEAD to a route of its own: its first HEAD teaches the early path that route.
      await send(app, '/page', { 'accept-encoding': 'gzip' }, 'HEAD');
      const head = await send(app, '/page', { 'accept-encoding': 'gzip' }, 'HEAD');
      const twin = await send(app, '/twin', { 'accept-encoding': 'gzip' }, 'HEAD');
      expect([head.status, head.cache, head.bytes.length]).toEqual([200, 'HIT', 0]);
      expect(head.encoding).toBe(twin.encoding);
    });

    it('never answers a client that refuses identity from the cache', async () => {
      const refusing = { 'accept-encoding': 'gzip, identity;q=0' };
      for (const expected of ['BYPASS', 'BYPASS']) {
        const answer = await send(app, '/page', refusing);
        expect([answer.cache, answer.encoding, answer.decoded]).toEqual([expected, 'gzip', PAGE]);
      }
      await send(app, '/page', { 'accept-encoding': 'gzip' });
      const stillRefusing = await send(app, '/page', { 'accept-encoding': 'br;q=1, *;q=0' });
      expect([stillRefusing.cache, stillRefusing.encoding]).toEqual(['BYPASS', 'br']);
      expect(stats('page')?.bypasses).toEqual({ 'accept-encoding': 3 });
    });

    it('still refuses a page the handler encoded itself', async () => {
      for (const accept of ['gzip', 'identity']) {
        const answer = await send(app, '/self-encoded', { 'accept-encoding': accept });
        // Encoded once, by the handler: the middleware left it alone.
        expect([answer.cache, answer.encoding, answer.decoded]).toEqual(['MISS', 'gzip', PAGE]);
      }
      expect(stats('selfEncoded')).toMatchObject({ writes: 0, bypasses: { encoding: 2 } });
    });
  });
});
