import { EventEmitter2 } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { CacheService, ENTITY_DELETED, ENTITY_SAVED } from 'nestjs-page-cache';
import {
  Article,
  ArticleTable,
  BlogModule,
  EditorModule,
} from '../fixtures/invalidation/blog.fixture.js';
import { BACKENDS, MATRIX, redisOption } from '../support/backends.js';
import { fetchPage } from '../support/fetch-page.js';
import { startApp, type RunningApp } from '../support/http-app.js';
import { uniquePrefix } from '../support/redis.js';

async function page(
  app: RunningApp,
  path: string,
): Promise<{ cache: string | null; body: string }> {
  const { cache, text } = await fetchPage(app, path);
  return { cache, body: text };
}

describe.each(MATRIX)('model-driven invalidation on %s/%s', (adapter, backend) => {
  let table: ArticleTable;
  let app: RunningApp;
  let events: EventEmitter2;
  let cache: CacheService;

  beforeEach(async () => {
    table = new ArticleTable();
    app = await startApp(
      adapter,
      BlogModule.with(table, { redis: redisOption(backend), keyPrefix: uniquePrefix('inv') }),
    );
    events = app.app.get(EventEmitter2);
    cache = app.app.get(CacheService);
  });
  afterEach(async () => {
    await cache.clear();
    await app.close();
  });

  async function warm(...paths: string[]): Promise<void> {
    for (const path of paths) {
      await page(app, path);
      expect((await page(app, path)).cache).toBe('HIT');
    }
  }

  it('a save clears the list page and that entity, and leaves other entities cached', async () => {
    await warm('/articles', '/articles/1', '/articles/2');
    table.rows.get(1)!.title = 'renamed';
    await events.emitAsync(ENTITY_SAVED, table.rows.get(1));

    const list = await page(app, '/articles');
    expect(list.cache).toBe('MISS');
    expect(list.body).toContain('1:renamed');
    const one = await page(app, '/articles/1');
    expect(one).toEqual({ cache: 'MISS', body: '1:renamed' });
    expect((await page(app, '/articles/2')).cache).toBe('HIT');
  });

  it('a delete clears them likewise, with a { model, id } payload', async () => {
    await warm('/articles', '/articles/3', '/articles/4');
    table.rows.delete(3);
    await events.emitAsync(ENTITY_DELETED, { model: Article, id: 3 });

    expect((await page(app, '/articles')).body).not.toContain('3:');
    const gone = await app.get('/articles/3');
    expect(gone.status).toBe(404);
    expect((await page(app, '/articles/4')).cache).toBe('HIT');
  });

  it('an event without an id clears every page of the model, entity pages included', async () => {
    await warm('/articles', '/articles/1', '/articles/settings/page');
    await events.emitAsync(ENTITY_SAVED, { model: 'Article' });
    expect((await page(app, '/articles')).cache).toBe('MISS');
    expect((await page(app, '/articles/1')).cache).toBe('MISS');
    expect((await page(app, '/articles/settings/page')).cache).toBe('HIT');
  });

  it('CacheService.invalidate does the same and counts what it removed', async () => {
    await warm('/articles', '/articles/1', '/articles/2');
    expect(await cache.invalidate(Article, 2)).toBe(2);
    expect((await page(app, '/articles/1')).cache).toBe('HIT');
    expect(await cache.invalidate('Article', 2)).toBe(0);
    await warm('/articles');
    expect(await cache.invalidate('Article', 7)).toBe(1);
  });

  it('@Invalidates clears after a 2xx answer, and a failed request clears nothing', async () => {
    await warm('/articles', '/articles/1', '/articles/5');
    const failed = await app.get('/articles/1/fail/x', { method: 'PUT' });
    expect(failed.status).toBe(404);
    expect((await page(app, '/articles/1')).cache).toBe('HIT');

    const ok = await app.get('/articles/1/fresh', { method: 'PUT' });
    expect(ok.status).toBe(200);
    expect(await page(app, '/articles/1')).toEqual({ cache: 'MISS', body: '1:fresh' });
    expect((await page(app, '/articles')).body).toContain('1:fresh');
    expect((await page(app, '/articles/5')).cache).toBe('HIT');
  });

  it('@Invalidates works on a controller whose module does not import the (non-global) cache', async () => {
    const editing = await startApp(adapter, {
      module: class EditingAppModule {},
      imports: [
        BlogModule.with(table, { redis: redisOption(backend), keyPrefix: uniquePrefix('inv') }),
        EditorModule.with(table),
      ],
    });
    try {
      const read = (path: string) => page(editing, path);
      for (const path of ['/articles/1', '/articles/2']) {
        await read(path);
        expect((await read(path)).cache).toBe('HIT');
      }
      const ok = await editing.get('/editor/1/edited', { method: 'PUT' });
      expect(ok.status).toBe(200);
      expect(await read('/articles/1')).toEqual({ cache: 'MISS', body: '1:edited' });
      expect((await read('/articles/2')).cache).toBe('HIT');
    } finally {
      await editing.app.get(CacheService).clear();
      await editing.close();
    }
  });

  it('values stored with models are cleared by the same saves', async () => {
    const factory = vi.fn(async () => table.renderOne(2));
    await cache.getOrSet('summary:2', factory, { models: [{ model: Article, id: 2 }] });
    await cache.set('all', table.renderList(), { ttl: 0, models: [Article] });
    await cache.set('other', 'kept', { models: [{ model: Article, id: 3 }] });
    await cache.getOrSet('summary:2', factory, { models: [{ model: Article, id: 2 }] });
    expect(factory).toHaveBeenCalledTimes(1);

    await events.emitAsync(ENTITY_SAVED, table.rows.get(2));
    expect(await cache.get('summary:2')).toBeUndefined();
    expect(await cache.get('all')).toBeUndefined();
    expect(await cache.get('other')).toBe('kept');
  });

  it('expirePage removes every variant of one URL and nothing else', async () => {
    await warm('/articles/1', '/articles/2');
    expect(await cache.expirePage('/articles/1')).toBe(1);
    expect((await page(app, '/articles/1')).cache).toBe('MISS');
    expect((await page(app, '/articles/2')).cache).toBe('HIT');
  });
});

describe.each(BACKENDS)('defaultModels on %s', backend => {
  it('a save of a default model clears every page', async () => {
    const table = new ArticleTable();
    const app = await startApp(
      'express',
      BlogModule.with(table, {
        redis: redisOption(backend),
        keyPrefix: uniquePrefix('defaults'),
        defaultModels: ['SiteSettings'],
      }),
    );
    try {
      for (const path of ['/articles', '/articles/1', '/articles/settings/page']) {
        await app.get(path);
        expect((await app.get(path)).headers.get('x-cache')).toBe('HIT');
      }
      await app.app.get(EventEmitter2).emitAsync(ENTITY_SAVED, { model: 'SiteSettings' });
      for (const path of ['/articles', '/articles/1', '/articles/settings/page']) {
        expect((await app.get(path)).headers.get('x-cache')).toBe('MISS');
      }
      const keys: string[] = [];
      for await (const key of app.app.get(CacheService).keys('page:*')) keys.push(key);
      expect(keys.some(key => key.includes(':Article,SiteSettings:'))).toBe(true);
    } finally {
      await app.app.get(CacheService).clear();
      await app.close();
    }
  });
});

describe('without EventEmitterModule', () => {
  it('fails at startup when pages declare models, naming what is missing', async () => {
    const module = await Test.createTestingModule({
      imports: [BlogModule.with(new ArticleTable(), { store: 'memory' }, false)],
    }).compile();
    await expect(module.init()).rejects.toThrow(/EventEmitterModule\.forRoot\(\)/);
    await module.close();
  });

  it('starts when only the low-level API is used', async () => {
    const { CacheModule } = await import('nestjs-page-cache');
    const module = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ store: 'memory' })],
    }).compile();
    await module.init();
    expect(await module.get(CacheService).getOrSet('k', () => 1)).toBe(1);
    await module.close();
  });
});
