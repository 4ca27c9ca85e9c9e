import { VersioningType, type INestApplication } from '@nestjs/common';
import {
  ClassLevelController,
  entityIdRuns,
  entityIdsModule,
  MisnamedIdController,
  OnePathController,
  ValidIdsController,
} from '../../fixtures/pages/entity-ids.fixture.js';
import { fetchPage, json } from '../../support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from '../../support/http-app.js';

describe.each(ADAPTERS)(
  '@CacheKeyFrom ids are checked against the route at startup on %s',
  adapter => {
    /** Every app a test created, started or not (a failed start still holds its store). */
    let created: INestApplication[] = [];

    beforeEach(() => {
      entityIdRuns.reset();
    });
    afterEach(async () => {
      for (const nest of created) await nest.close().catch(() => undefined);
      created = [];
    });

    function start(controllers: Parameters<typeof entityIdsModule>[0]): Promise<RunningApp> {
      return startApp(adapter, entityIdsModule(controllers), nest => {
        created.push(nest);
        nest.setGlobalPrefix('sites/:site');
        nest.enableVersioning({ type: VersioningType.URI });
      });
    }

    it.each([
      [
        MisnamedIdController,
        "MisnamedIdController.show: @CacheKeyFrom({ model: Article, id: 'articleId' }) names no parameter of its route '/sites/:site/articles/:id' (its parameters: 'site', 'id'), so every request would bypass the cache. Did you mean 'id'? Name a route parameter exactly as the route spells it, or give id as a function of the request.",
      ],
      [
        OnePathController,
        "OnePathController.show: @CacheKeyFrom({ model: Doc, id: 'id' }) names no parameter of its route '/sites/:site/docs/b/:slug' (its parameters: 'site', 'slug')",
      ],
      [
        ClassLevelController,
        "id: 'noteid' }) names no parameter of its route '/sites/:site/notes/:noteId' (its parameters: 'site', 'noteId'), so every request would bypass the cache. Did you mean 'noteId'?",
      ],
    ])('an id that names no route parameter fails the start (%o)', async (controller, message) => {
      await expect(start([controller])).rejects.toThrow(message);
    });

    it('ids naming parameters of the prefix, the controller and every path start, and cache', async () => {
      const running = await start([ValidIdsController]);
      for (const path of [
        '/sites/a/v1/t1/posts/7',
        '/sites/a/v1/t1/posts/first/7',
        '/sites/a/v1/t1/posts/second/7',
        '/sites/a/v1/t1/posts/by-query?id=7',
      ]) {
        const miss = await fetchPage(running, path);
        expect(miss.cache).toBe('MISS');
        const hit = await fetchPage(running, path);
        expect(hit.cache).toBe('HIT');
        expect(json(hit)).toEqual(json(miss));
      }
    });
  },
);
