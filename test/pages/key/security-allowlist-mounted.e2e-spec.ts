/**
 * On Express, `req.originalUrl` differs from `req.url` when the Nest app is mounted under a path
 * of an outer Express server (`outer.use('/api', nestExpress)`, the usual serverless setup) or a
 * middleware rewrote `req.url`. On a route with a `query` allowlist, the original target's own
 * query must not be keyed: every unlisted parameter (`utm_*`, a counter) would be an entry.
 */
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import express from 'express';
import type { Server } from 'node:http';
import { CacheService } from 'nestjs-page-cache';
import { catalogModule } from '../../fixtures/security/catalog.fixture.js';

describe('allowlisted route of a Nest app mounted under a path (Express)', () => {
  let cache: CacheService;
  let close: () => Promise<void>;
  let base: string;
  beforeAll(async () => {
    const inner = express();
    const moduleRef = await Test.createTestingModule({
      imports: [catalogModule('key-mounted', ['127.0.0.1'])],
    }).compile();
    const app = moduleRef.createNestApplication(new ExpressAdapter(inner), {
      logger: ['error', 'warn'],
    });
    await app.init();
    cache = app.get(CacheService);
    const outer = express();
    outer.use('/api', inner);
    const server: Server = await new Promise(resolve => {
      const s = outer.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
    close = async () => {
      await new Promise(resolve => server.close(resolve));
      await app.close();
    };
  });
  afterAll(async () => {
    await cache.clear();
    await close();
  });

  it('unlisted parameters do not multiply the entries of one page', async () => {
    const first = await fetch(`${base}/api/catalog?page=1`);
    expect(first.status).toBe(200);
    const stored: string[] = [];
    for (const n of ['1', '2', '3', '4']) {
      await fetch(`${base}/api/catalog?page=1&utm_id=${n}`);
      const again = await fetch(`${base}/api/catalog?page=1&utm_id=${n}`);
      // The allowlist promises these are all the entry of ?page=1: never a MISS after the first.
      stored.push(`${n}:${again.headers.get('x-cache')}`);
    }
    const misses = await Promise.all(
      ['5', '6'].map(async n =>
        (await fetch(`${base}/api/catalog?page=1&utm_id=${n}`)).headers.get('x-cache'),
      ),
    );
    expect(misses, `entries per utm_id: ${stored.join(' ')}`).toEqual(['HIT', 'HIT']);
  });
});
