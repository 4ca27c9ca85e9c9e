import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DEFAULT_CACHE, getCacheToken } from '../cache-name.js';
import type { CacheStats } from '../cache-statistics.js';
import type { CacheService } from '../cache.service.js';
import { withTimeout } from '../stores/resilient.store.js';
import { parseTtl, type Ttl } from '../ttl.js';

/** Options of {@link CacheHealthIndicator.pingCheck}. */
export interface CacheHealthCheckOptions {
  /** The named cache to check (`CacheModule.forRoot({ name })`). Default: the default cache. */
  cache?: string;
  /** How long the PING may take before the cache is reported down (ms or `'1s'`…). Default `'1s'`. */
  timeout?: Ttl;
}

/**
 * A `@nestjs/terminus` health indicator of a cache's store: a PING through the store (its
 * circuit breaker and command timeout included), its round trip, and the breaker's state.
 *
 * ```ts
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([() => this.cache.pingCheck('cache')]);
 * }
 * ```
 *
 * Up: `{ status: 'up', cache, responseTime, breaker: 'closed', storeErrors }` (`responseTime` in
 * ms). Down when the PING fails or times out, or the breaker is open:
 * `{ status: 'down', cache, message, breaker, storeErrors }`.
 */
@Injectable()
export class CacheHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
  ) {}

  async pingCheck<const Key extends string>(
    key: Key,
    options: CacheHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const session = this.health.check(key);
    const name = options.cache ?? DEFAULT_CACHE;
    const timeout = parseTtl(options.timeout ?? '1s', 'cache health check timeout');
    if (timeout === 0) {
      throw new TypeError('Invalid cache health check timeout: 0. Expected a duration > 0.');
    }
    const cache = this.cacheNamed(name);
    let responseTime: number;
    try {
      responseTime = await withTimeout(cache.ping(), timeout);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return session.down({ cache: name, message, ...healthOf(cache) });
    }
    const health = healthOf(cache);
    if (health.breaker === 'open') {
      return session.down({ cache: name, message: 'circuit breaker open', ...health });
    }
    return session.up({ cache: name, responseTime: Math.round(responseTime), ...health });
  }

  private cacheNamed(name: string): CacheService {
    try {
      return this.moduleRef.get<CacheService>(getCacheToken(name), { strict: false });
    } catch {
      throw new Error(
        `CacheHealthIndicator: no cache named ${JSON.stringify(name)}. Register it with CacheModule.forRoot(${name === DEFAULT_CACHE ? '' : `{ name: ${JSON.stringify(name)} }`}).`,
      );
    }
  }
}

/** The store's health as the cache's statistics report it. */
function healthOf(cache: CacheService): Pick<CacheStats, 'storeErrors' | 'breaker'> {
  const { storeErrors, breaker } = cache.stats();
  return { storeErrors, breaker };
}
