import type { LoggerService, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { CacheService } from 'nestjs-page-cache';
import {
  CachedTypoService,
  EntityTypoController,
  InvalidatesTypoController,
  ListTypoController,
  namesModule,
  NearNamesController,
  OwnModelController,
  RightNamesController,
} from '../fixtures/models/model-names.fixture.js';

/** Starts `module`, keeping the warnings it logs. */
async function start(module: Type): Promise<{ module: TestingModule; warnings: string[] }> {
  const warnings: string[] = [];
  const logger: LoggerService = {
    log: () => undefined,
    warn: (message: unknown) => void warnings.push(String(message)),
    error: () => undefined,
  };
  const compiled = await Test.createTestingModule({ imports: [module] })
    .setLogger(logger)
    .compile();
  await compiled.init();
  return { module: compiled, warnings };
}

describe('model names are checked at startup against the entities of the ORM integration', () => {
  it.each([
    [
      { controllers: [ListTypoController] },
      /'Artcile' in @CacheKeyFrom on ListTypoController.*Did you mean 'Article'\?/,
    ],
    [
      { controllers: [EntityTypoController] },
      /'Artcile' in @CacheKeyFrom on EntityTypoController\.one.*Did you mean 'Article'\?/,
    ],
    [
      { controllers: [InvalidatesTypoController] },
      /'articel' in @Invalidates on InvalidatesTypoController\.edit.*Did you mean 'Article'\?/,
    ],
    [
      { providers: [CachedTypoService] },
      /'Artilce' in @Cached models of CachedTypoService\.titles.*Did you mean 'Article'\?/,
    ],
  ])('a near miss of an entity fails startup with a did-you-mean (%#)', async (parts, error) => {
    await expect(start(namesModule(parts))).rejects.toThrow(error);
  });

  it('an entity by class or name starts quietly; a name no entity nearly carries is said once', async () => {
    const { module, warnings } = await start(namesModule({ controllers: [RightNamesController] }));
    try {
      const said = warnings.filter(warning => warning.includes("'Settings'"));
      expect(said).toEqual([
        expect.stringContaining(
          "is no entity of the app's ORM: what is built from it is cleared only by invalidate('Settings')",
        ),
      ]);
      expect(warnings.filter(warning => warning.includes("'Article'"))).toEqual([]);
    } finally {
      await module.close();
    }
  });

  it('a name the app builds from and invalidates itself is its own model, however close to an entity', async () => {
    const { module, warnings } = await start(namesModule({ controllers: [OwnModelController] }));
    const cache = module.get(CacheService);
    try {
      expect(warnings.filter(warning => warning.includes("'Articles'"))).toEqual([]);
      await cache.set('own', 'kept', { models: ['Articles'] });
      expect(await cache.get('own')).toBe('kept');
    } finally {
      await cache.clear();
      await module.close();
    }
  });

  it('a near miss given to set or getOrSet at runtime is refused, and nothing is stored', async () => {
    const { module } = await start(namesModule({}));
    const cache = module.get(CacheService);
    try {
      const factory = vi.fn(() => 'built');
      await expect(cache.getOrSet('titles', factory, { models: ['Artcile'] })).rejects.toThrow(
        /'Artcile' in the models of set or getOrSet.*Did you mean 'Article'\?/,
      );
      await expect(
        cache.set('titles', 'built', { models: [{ model: 'article', id: 1 }] }),
      ).rejects.toThrow(/Did you mean 'Article'\?/);
      expect(factory).not.toHaveBeenCalled();
      expect(await cache.get('titles')).toBeUndefined();
      expect(await cache.getOrSet('titles', factory, { models: ['Article'] })).toBe('built');
      expect(await cache.get('titles')).toBe('built');
    } finally {
      await module.get(CacheService).clear();
      await module.close();
    }
  });

  it('without an ORM integration, two names that nearly equal each other are said once', async () => {
    const { module, warnings } = await start(
      namesModule({ controllers: [NearNamesController] }, false),
    );
    try {
      expect(warnings.filter(warning => warning.includes('nearly equal'))).toEqual([
        "Models 'Article' (@CacheKeyFrom on NearNamesController.a) and 'Artcile' (@CacheKeyFrom on NearNamesController.b) nearly equal each other: if one is a typo, what is built from it is never cleared by saves of the other.",
      ]);
    } finally {
      await module.close();
    }
  });
});
