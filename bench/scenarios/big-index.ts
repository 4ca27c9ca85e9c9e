import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { resolveCacheOptions } from '../../libs/page-cache/src/cache.options.js';
import { DependencyTracker } from '../../libs/page-cache/src/dependency-tracker.js';
import { createStore } from '../../libs/page-cache/src/stores/create-store.js';
import type { BenchContext } from '../lib/context.js';
import { round } from '../lib/stats.js';

export interface BigIndexResult {
  members: number;
  /** Wall time of one invalidation of the model (ms). */
  invalidationMs: number;
  /** Entries it removed. */
  removed: number;
  /** Longest single Redis command during it (µs, from SLOWLOG). */
  longestRedisCommandUs: number;
  /** That command's name. */
  longestRedisCommand: string;
  /** Longest event-loop stall of the app process during it (ms). */
  longestStallMs: number;
}

/**
 * One invalidation of a model whose index holds `members` entries (an attacker who makes a page
 * cache every query variant can grow one that far): how long it takes, the longest command it
 * makes Redis run, and the longest stall of the process's event loop.
 */
export async function runBigIndex(ctx: BenchContext): Promise<BigIndexResult> {
  const members = ctx.quick ? 20_000 : 500_000;
  const redis = await ctx.startRedis();
  const client = new Redis(redis.url);
  const namespace = 'bench-big:1';
  const store = await createStore(
    resolveCacheOptions({ redis: redis.url, keyPrefix: 'bench-big', commandTimeout: 5_000 }),
    new Logger('bench'),
  );
  try {
    const setKey = `${namespace}:~idx:Big`;
    for (let i = 0; i < members; i += 10_000) {
      const batch = Array.from(
        { length: Math.min(10_000, members - i) },
        (_, j) => `${namespace}:page:v:${i + j}`,
      );
      const pipeline = client.pipeline();
      for (const key of batch) pipeline.set(key, 'x');
      pipeline.sadd(setKey, ...batch);
      await pipeline.exec();
    }
    ctx.log(`  big index: ${members} entries indexed under one model`);
    await client.config('SET', 'slowlog-log-slower-than', '0');
    await client.config('SET', 'slowlog-max-len', '100000');
    await client.slowlog('RESET');
    const tracker = new DependencyTracker(store, namespace);
    const stalls = monitorEventLoopDelay({ resolution: 1 });
    stalls.enable();
    const started = performance.now();
    const removed = await tracker.invalidate(['Big']);
    const invalidationMs = performance.now() - started;
    stalls.disable();
    const log = (await client.slowlog('GET', 100_000)) as [number, number, number, string[]][];
    let longest: [number, number, number, string[]] | undefined;
    for (const entry of log) {
      const command = String(entry[3][0]).toLowerCase();
      if (command === 'slowlog' || command === 'config') continue;
      if (!longest || entry[2] > longest[2]) longest = entry;
    }
    const result = {
      members,
      invalidationMs: round(invalidationMs, 0),
      removed,
      longestRedisCommandUs: longest?.[2] ?? 0,
      longestRedisCommand: longest ? String(longest[3][0]).toUpperCase() : '',
      longestStallMs: round(stalls.max / 1e6, 1),
    };
    ctx.log(
      `  big index: invalidated in ${result.invalidationMs} ms, removed ${removed}; longest Redis command ${result.longestRedisCommand} ${result.longestRedisCommandUs} µs; longest event-loop stall ${result.longestStallMs} ms`,
    );
    return result;
  } finally {
    await store.close?.();
    client.disconnect();
  }
}
