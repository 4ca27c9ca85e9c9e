/**
 * Express routes case-insensitively by default (and Fastify with `caseSensitive: false`): every
 * letter-case spelling of one URL of a literal route reaches the same handler with the same
 * params, and is one entry — a client cannot multiply it (2^n spellings for a path of n letters).
 */
import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import { CacheService, CachePage } from 'nestjs-page-cache';
import { Redis } from 'ioredis';
import { pageCache } from '../../fixtures/pages/cache-import.js';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from '../../support/http-app.js';
import { redisUrl } from '../../support/redis.js';

@Controller('open')
class OpenController {
  @Get('home')
  @CachePage({ ttl: '1m', query: ['page'] })
  home() {
    return { home: 'welcome' };
  }
}

function growthModule(name: string): DynamicModule {
  @Module({})
  class GrowthModule {}
  return {
    module: GrowthModule,
    imports: [pageCache(name, { pages: { hosts: ['example.com'], unkeyedInputs: 'off' } })],
    controllers: [OpenController],
  };
}

/** Every letter-case spelling of `/open/home` (256 of them). */
function caseSpellings(path: string): string[] {
  const letters = [...path].filter(c => /[a-z]/.test(c)).length;
  const out: string[] = [];
  for (let mask = 0; mask < 2 ** letters; mask++) {
    let bit = 0;
    out.push(
      [...path]
        .map(c => (/[a-z]/.test(c) ? ((mask >> bit++) & 1 ? c.toUpperCase() : c) : c))
        .join(''),
    );
  }
  return out;
}

describe.each(ADAPTERS)('letter case of a literal path, on %s', adapter => {
  let app: RunningApp;
  let redis: Redis;
  beforeAll(async () => {
    app = await startApp(adapter, growthModule(`key-case-${adapter}`));
    redis = new Redis(redisUrl());
  });
  afterAll(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
    redis.disconnect();
  });

  it('is one entry, whatever the spelling the router accepts', async () => {
    let routed = 0;
    for (const target of caseSpellings('/open/home')) {
      const answer = await rawRequest(app, `${target}?page=1`, { host: 'example.com' });
      if (answer.status === 200) routed++;
    }
    const namespace = app.app.get(CacheService).namespace;
    const pages = (await redis.keys(`${namespace}:page:*`)).length;
    // eslint-disable-next-line no-console
    console.log(`${adapter}: ${routed} spellings routed to the handler, ${pages} page entries`);
    expect(pages).toBeLessThanOrEqual(1);
  });
});
