// The app of the cached-method scenario, in the runner's process: one service with @Cached methods,
// the CacheService they go through, and @nestjs/cache-manager's cache (cache-manager + @keyv/redis,
// as its documentation wires it) on the same Redis, each called in a loop.
import 'reflect-metadata';
import KeyvRedis from '@keyv/redis';
import { CACHE_MANAGER, CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Cache } from 'cache-manager';
import { Cached, CacheModule, CacheService } from 'nestjs-page-cache';

const HOUR_MS = 3_600_000;

/** The model prices are built from. */
class Price {}

/** What every contender computes on a miss (never on a hit, which is what is measured). */
function lookUp(sku: string): Promise<{ sku: string; amount: number; currency: string }> {
  return Promise.resolve({ sku, amount: 1999, currency: 'EUR' });
}

@Injectable()
class PriceService {
  @Cached({ ttl: '1h', models: [Price] })
  async price(sku: string) {
    return lookUp(sku);
  }

  @Cached({ ttl: '1h' })
  async plainPrice(sku: string) {
    return lookUp(sku);
  }
}

/** The ways of caching one price lookup that the scenario compares, each a call to time. */
export const METHOD_CONTENDERS = [
  'cached',
  'getOrSet',
  'cached-plain',
  'getOrSet-plain',
  'cache-manager',
] as const;
export type MethodContender = (typeof METHOD_CONTENDERS)[number];

export interface MethodApp {
  calls: Record<MethodContender, () => Promise<unknown>>;
  close(): Promise<void>;
}

export async function startMethodApp(redisUrl: string, keyPrefix: string): Promise<MethodApp> {
  @Module({
    imports: [
      CacheModule.forRoot({ redis: redisUrl, keyPrefix, ttl: '1h' }),
      NestCacheModule.register({
        stores: [new KeyvRedis(redisUrl, { namespace: `${keyPrefix}-cm` })],
        ttl: HOUR_MS,
      }),
    ],
    providers: [PriceService],
  })
  class MethodAppModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(MethodAppModule, {
    logger: ['error', 'warn'],
  });
  const prices = app.get(PriceService);
  const cache = app.get(CacheService);
  const cacheManager = app.get<Cache>(CACHE_MANAGER);
  const sku = 'A-1';
  const calls: MethodApp['calls'] = {
    cached: () => prices.price(sku),
    getOrSet: () =>
      cache.getOrSet(`price:${sku}`, () => lookUp(sku), { ttl: '1h', models: [Price] }),
    'cached-plain': () => prices.plainPrice(sku),
    'getOrSet-plain': () => cache.getOrSet(`plain-price:${sku}`, () => lookUp(sku), '1h'),
    'cache-manager': () => cacheManager.wrap(`price:${sku}`, () => lookUp(sku), HOUR_MS),
  };
  // Fill every entry, so that the timed calls are hits.
  for (const call of Object.values(calls)) await call();
  return { calls, close: () => app.close() };
}
