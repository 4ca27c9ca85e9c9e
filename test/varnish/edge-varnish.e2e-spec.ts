import { EventEmitter2 } from '@nestjs/event-emitter';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { fileURLToPath } from 'node:url';
import { CACHE_EVENTS, CacheService } from 'nestjs-page-cache';
import { varnishPurge } from 'nestjs-page-cache/varnish';
import { AppModule } from '../../apps/demo/src/app.module.js';
import { configureApp } from '../../apps/demo/src/app.setup.js';
import { fetchPage, json } from '../support/fetch-page.js';
import { freePort } from '../support/free-port.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';
import { VarnishServer, varnishMissing } from '../support/varnish.js';

/** The VCL the README documents and the package ships. */
const VCL = fileURLToPath(
  new URL('../../libs/page-cache/src/varnish/page-cache.vcl', import.meta.url),
);

/** A response through Varnish, read whole. */
interface Answer {
  status: number;
  headers: Headers;
  /** The ids of `X-Varnish`: one on a miss, two (this request's and the object's) on a hit. */
  varnish: string[];
  title: string;
}

const missing = varnishMissing();
if (missing) console.warn(`Skipping the Varnish tests: ${missing}.`);

describe.skipIf(missing !== undefined)('Varnish in front of the demo app', () => {
  let app: NestExpressApplication;
  let cache: CacheService;
  let varnish: VarnishServer;
  const purges: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const varnishPort = await freePort();
    const moduleRef = await Test.createTestingModule({
      imports: [
        AppModule.forRoot({
          redisUrl: redisUrl(),
          keyPrefix: uniquePrefix('varnish'),
          databasePath: ':memory:',
          edge: {
            header: 'xkey',
            purge: varnishPurge({ url: `http://127.0.0.1:${varnishPort}/` }),
          },
        }),
      ],
    }).compile();
    app = configureApp(
      moduleRef.createNestApplication<NestExpressApplication>(new ExpressAdapter(), {
        logger: ['error'],
      }),
    );
    await app.listen(0, '127.0.0.1');
    cache = app.get(CacheService);
    app
      .get(EventEmitter2)
      .on(CACHE_EVENTS.purge, (payload: Record<string, unknown>) => purges.push(payload));
    const appPort = Number(new URL(await app.getUrl()).port);
    varnish = new VarnishServer(VCL, varnishPort, appPort);
    await varnish.start();
    // The seed's saves found no Varnish to purge: their retries go through now.
    await vi.waitFor(() => expect(cache.stats().edge?.pendingTags).toBe(0), {
      timeout: 15_000,
      interval: 50,
    });
  }, 60_000);

  afterAll(async () => {
    await varnish?.remove();
    await app?.close();
  });

  async function viaVarnish(path: string): Promise<Answer> {
    const page = await fetchPage(varnish, path);
    return {
      status: page.status,
      headers: page.headers,
      varnish: (page.headers.get('x-varnish') ?? '').split(' ').filter(Boolean),
      title: json<{ title: string }>(page).title,
    };
  }

  async function save(base: string, id: number, title: string): Promise<void> {
    const response = await fetch(`${base}/posts/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title }),
    });
    expect(response.status).toBe(200);
  }

  /** Requests the app answered (from its cache or by rendering) since startup. */
  const appRequests = () => {
    const { hits, misses } = cache.stats().pages;
    return hits + misses;
  };

  it('serves a page from Varnish until a save through the app purges it', async () => {
    const first = await viaVarnish('/posts/1');
    expect(first.status).toBe(200);
    expect(first.varnish).toHaveLength(1);
    // The tags are for Varnish only.
    expect(first.headers.get('xkey')).toBeNull();

    const before = appRequests();
    const hit = await viaVarnish('/posts/1');
    expect(hit.varnish).toHaveLength(2);
    expect(Number(hit.headers.get('age'))).toBeGreaterThanOrEqual(0);
    expect(hit.title).toBe(first.title);
    expect(appRequests()).toBe(before);

    // Saved through Varnish (which passes a PUT to the app); TypeORM's subscriber invalidates.
    await save(varnish.url, 1, 'Edited behind Varnish');
    const fresh = await viaVarnish('/posts/1');
    expect(fresh.varnish).toHaveLength(1);
    expect(fresh.title).toBe('Edited behind Varnish');
    expect((await viaVarnish('/posts/1')).varnish).toHaveLength(2);
    // A page no purge can reach (it varies on Accept-Language) is never kept.
    const list = async () =>
      (await fetch(`${varnish.url}/posts`)).headers.get('x-varnish')?.split(' ').length;
    expect([await list(), await list()]).toEqual([1, 1]);
  });

  it('retries a purge that failed while Varnish was down, and the retry reaches it once it is back', async () => {
    const appUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    await viaVarnish('/posts/2');
    expect((await viaVarnish('/posts/2')).varnish).toHaveLength(2);

    await varnish.stop();
    const from = purges.length;
    await save(appUrl, 2, 'Edited while Varnish was down');
    expect(purges.slice(from)).toEqual([
      expect.objectContaining({ outcome: 'failed', tags: ['Post', 'Post/2'], attempt: 1 }),
    ]);

    // Let the retries back off to their longest pause, so the next one comes 5 s after Varnish is
    // back: long enough to put a page the retry must purge into the restarted, empty Varnish.
    await vi.waitFor(
      () => expect(purges.at(-1)).toMatchObject({ outcome: 'failed', retryInMs: 5_000 }),
      { timeout: 15_000, interval: 50 },
    );
    const waiting = purges.length;
    await varnish.start();
    const restarted = await viaVarnish('/posts/2');
    expect(restarted.title).toBe('Edited while Varnish was down');
    expect((await viaVarnish('/posts/2')).varnish).toHaveLength(2);
    expect(purges.length).toBe(waiting);
    expect(cache.stats().edge).toMatchObject({ pendingTags: 2 });

    await vi.waitFor(() => expect(purges.at(-1)).toMatchObject({ outcome: 'succeeded' }), {
      timeout: 10_000,
      interval: 50,
    });
    expect(purges.slice(waiting).map(p => p.outcome)).toEqual(['retrying', 'succeeded']);
    expect(cache.stats().edge).toMatchObject({ pendingTags: 0 });

    // The retry reached this Varnish: its log has that one purge, naming the post, and it
    // removed the object just cached — the next request is a Varnish miss.
    const logged = await varnish.requests('ReqMethod eq "PURGE"');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/ReqHeader\s+xkey: Post Post\/2\n/);
    expect(logged[0]).toMatch(/RespHeader\s+x-purged: [1-9]/);
    expect((await viaVarnish('/posts/2')).varnish).toHaveLength(1);
  }, 60_000);
});
