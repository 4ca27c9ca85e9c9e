import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../apps/demo/src/app.module.js';
import { DEMO_ORMS, type DemoOrm } from '../../apps/demo/src/orm/demo-orm.module.js';
import { configureApp } from '../../apps/demo/src/app.setup.js';
import { seedTitle, SEED_POSTS } from '../../apps/demo/src/blog/seed.service.js';
import { percent } from '../../apps/demo/src/stats.controller.js';
import { CacheService } from 'nestjs-page-cache';
import { fetchPage, json, type Page } from '../support/fetch-page.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

/** The demo app on a loopback port, with its own in-memory database and cache keys. */
interface Demo {
  app: NestExpressApplication;
  fetch(path: string, init?: RequestInit): Promise<Page>;
  close(): Promise<void>;
}

interface PostJson {
  id: number;
  title: string;
  body: string;
  author: { id: number; name: string };
  updatedAt: string;
}

interface ListJson {
  language: string;
  greeting: string;
  page: number;
  pageSize: number;
  total: number;
  pages: number;
  posts: PostJson[];
}

async function startDemo(orm: DemoOrm = 'typeorm'): Promise<Demo> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      AppModule.forRoot({
        redisUrl: redisUrl(),
        keyPrefix: uniquePrefix('demo'),
        databasePath: ':memory:',
        databaseUrl: '',
        orm,
      }),
    ],
  }).compile();
  const app = configureApp(
    moduleRef.createNestApplication<NestExpressApplication>(new ExpressAdapter(), {
      logger: ['error', 'warn'],
    }),
  );
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  return {
    app,
    fetch: (path, init) => fetchPage({ url }, path, init),
    close: () => app.close(),
  };
}

/** Requests `path` twice: the first answer is built (MISS), the second served from the cache. */
async function missThenHit(demo: Demo, path: string, init?: RequestInit): Promise<Page> {
  const miss = await demo.fetch(path, init);
  expect(miss.status).toBe(200);
  expect(miss.cache).toBe('MISS');
  const hit = await demo.fetch(path, init);
  expect(hit.status).toBe(200);
  expect(hit.cache).toBe('HIT');
  expect(hit.body.equals(miss.body)).toBe(true);
  expect(hit.headers.get('content-type')).toBe(miss.headers.get('content-type'));
  expect(hit.headers.get('etag')).toBe(miss.headers.get('etag'));
  return miss;
}

describe('demo blog', () => {
  let demo: Demo;

  beforeAll(async () => {
    demo = await startDemo();
  });
  afterAll(() => demo.close());

  it('caches the post list: MISS, then HIT with identical bytes', async () => {
    const page = await missThenHit(demo, '/posts');
    expect(page.headers.get('content-type')).toMatch(/^application\/json/);
    expect(page.headers.get('vary')).toMatch(/accept-language/i);
    const list = json<ListJson>(page);
    expect(list).toMatchObject({
      language: 'en',
      greeting: 'Welcome to the demo blog!',
      page: 1,
      pageSize: 10,
      total: SEED_POSTS,
      pages: SEED_POSTS / 10,
    });
    expect(list.posts.map(p => p.id)).toEqual([50, 49, 48, 47, 46, 45, 44, 43, 42, 41]);
    expect(list.posts[0]).toMatchObject({ title: seedTitle(50), author: { name: 'Grace Hopper' } });
  });

  it('keeps one list entry per language, greeting in French for French readers', async () => {
    const french = await missThenHit(demo, '/posts?page=3', {
      headers: { 'accept-language': 'fr-CH, fr;q=0.9, en;q=0.8' },
    });
    expect(json<ListJson>(french)).toMatchObject({
      language: 'fr',
      greeting: 'Bienvenue sur le blog de démonstration !',
      page: 3,
    });
    const english = await demo.fetch('/posts?page=3', { headers: { 'accept-language': 'en-GB' } });
    expect(english.cache).toBe('MISS');
    expect(json<ListJson>(english).language).toBe('en');
    expect(json<ListJson>(english).posts).toEqual(json<ListJson>(french).posts);
  });

  it('paginates on ?page= only: other query parameters share the entry', async () => {
    const second = await missThenHit(demo, '/posts?page=2');
    expect(json<ListJson>(second).posts.map(p => p.id)).toEqual([
      40, 39, 38, 37, 36, 35, 34, 33, 32, 31,
    ]);
    const tracked = await demo.fetch('/posts?utm_source=newsletter&page=2');
    expect(tracked.cache).toBe('HIT');
    expect(tracked.body.equals(second.body)).toBe(true);
    expect((await demo.fetch('/posts?page=0')).status).toBe(400);
    const pastTheEnd = await demo.fetch('/posts?page=6');
    expect(pastTheEnd.status).toBe(404);
    expect((await demo.fetch('/posts?page=6')).cache).toBe('MISS');
  });

  it('caches a post page', async () => {
    const page = await missThenHit(demo, '/posts/7');
    expect(json<PostJson>(page)).toMatchObject({
      id: 7,
      title: seedTitle(7),
      author: { id: 1, name: 'Ada Lovelace' },
    });
    expect(json<PostJson>(page).body.length).toBeGreaterThan(0);
    const other = await demo.fetch('/posts/8');
    expect(other.cache).toBe('MISS');
    expect(json<PostJson>(other).id).toBe(8);
  });

  it('answers 404 for a missing post, and does not cache it', async () => {
    const missing = await demo.fetch('/posts/9999');
    expect(missing.status).toBe(404);
    expect(json<{ message: string }>(missing).message).toBe('Post 9999 not found');
    const again = await demo.fetch('/posts/9999');
    expect(again.status).toBe(404);
    expect(again.cache).toBe('MISS');
    expect((await demo.fetch('/posts/abc')).status).toBe(400);
  });

  it('renders the front page from its template, then serves it from the cache', async () => {
    const page = await missThenHit(demo, '/');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toMatch(/^<!doctype html>/);
    expect(page.text).toContain('<h1>Demo blog</h1>');
    expect(page.text).toContain(`${SEED_POSTS} posts by 3 authors`);
    expect(page.text).toContain(`<a href="/posts/50">${seedTitle(50)}</a>`);
    expect(page.text).toContain('Alan Turing <span class="meta">(16 posts)</span>');
  });

  it('shows the hit rate per view on /stats, uncached', async () => {
    await missThenHit(demo, '/posts/3');
    expect((await demo.fetch('/posts/3')).cache).toBe('HIT');
    const page = await demo.fetch('/stats');
    expect(page.status).toBe(200);
    expect(page.cache).toBeNull();
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('<h1>Cache statistics</h1>');

    const { views, pages } = demo.app.get(CacheService).stats();
    expect(Object.keys(views)).toEqual(
      expect.arrayContaining([
        'PostsController.list',
        'PostsController.show',
        'HomeController.index',
      ]),
    );
    expect(views['PostsController.show']!.hits).toBeGreaterThanOrEqual(2);
    for (const [view, figures] of Object.entries(views)) {
      expect(page.text).toContain(
        `<td>${view}</td><td>${percent(figures.hitRate)}</td><td>${figures.hits}</td>`,
      );
    }
    expect(page.text).toContain(`<td>All pages</td><td>${percent(pages.hitRate)}</td>`);
    expect(page.text.match(/<tr class="view">/g)).toHaveLength(Object.keys(views).length);
    // The statistics page is not a cached view.
    expect(Object.keys(demo.app.get(CacheService).stats().views)).toEqual(Object.keys(views));
  });
});

describe.each(DEMO_ORMS)('demo blog mutations on %s', orm => {
  let demo: Demo;

  beforeAll(async () => {
    demo = await startDemo(orm);
  });
  afterAll(() => demo.close());

  const send = (method: string, path: string, body: unknown) =>
    demo.fetch(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('creates, updates and deletes posts through the ORM', async () => {
    const created = await send('POST', '/posts', { title: 'Hello', body: 'First!', authorId: 2 });
    expect(created.status).toBe(201);
    const post = json<PostJson>(created);
    expect(post).toMatchObject({
      id: SEED_POSTS + 1,
      title: 'Hello',
      body: 'First!',
      author: { id: 2, name: 'Grace Hopper' },
    });
    expect(json<PostJson>(await demo.fetch(`/posts/${post.id}`)).title).toBe('Hello');

    const updated = await send('PUT', `/posts/${post.id}`, { title: 'Hello again', authorId: 3 });
    expect(updated.status).toBe(200);
    expect(json<PostJson>(updated)).toMatchObject({
      title: 'Hello again',
      body: 'First!',
      author: { id: 3, name: 'Alan Turing' },
    });

    const deleted = await demo.fetch(`/posts/${post.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await demo.fetch(`/posts/${post.id}`)).status).toBe(404);
    expect((await demo.fetch(`/posts/${post.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('rejects invalid bodies with 400 and the reasons', async () => {
    const invalid = await send('POST', '/posts', { title: '', authorId: 'x', extra: 1 });
    expect(invalid.status).toBe(400);
    expect(json<{ message: string[] }>(invalid).message).toEqual([
      'unknown field extra',
      'title must be a non-empty string of at most 200 characters',
      'body is required',
      'authorId must be a positive integer',
    ]);
    const unknownAuthor = await send('PUT', '/posts/1', { authorId: 99 });
    expect(unknownAuthor.status).toBe(400);
    expect(json<{ message: string[] }>(unknownAuthor).message).toEqual([
      'authorId 99 does not exist',
    ]);
    expect((await send('PUT', '/posts/1', {})).status).toBe(400);
    expect((await send('PUT', '/posts/9999', { title: 'x' })).status).toBe(404);
  });

  it("serves fresh pages after a save (the ORM's integration clears them)", async () => {
    // Post 48 is on the first list page and among the front page's latest posts.
    const paths = ['/posts', '/posts/48', '/'];
    for (const path of paths) await missThenHit(demo, path);
    await missThenHit(demo, '/posts/47');
    const updated = await send('PUT', '/posts/48', { title: 'Edited title' });
    expect(updated.status).toBe(200);
    for (const path of paths) {
      const page = await demo.fetch(path);
      expect(page.cache, path).toBe('MISS');
      expect(page.text, path).toContain('Edited title');
    }
    // A post page depends on its own post only (and on the authors).
    expect((await demo.fetch('/posts/47')).cache).toBe('HIT');
  });
});
