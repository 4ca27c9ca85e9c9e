import { startWriter, type Writer } from '../apps/outbox-writer.js';
import type { BenchContext } from '../lib/context.js';
import { median, round, roundAll } from '../lib/stats.js';

export interface OutboxResult {
  /** Saves per second with the outbox (each round), and without it. */
  withOutbox: number[];
  withoutOutbox: number[];
  /** With ÷ without, per round. */
  ratios: number[];
  medianRatio: number;
}

/**
 * What the transactional outbox costs a write: TypeORM `save()` (one transaction, the subscriber's
 * events, the invalidation in Redis) with the outbox (one more INSERT in the transaction, one
 * DELETE after delivery) and without it, in interleaved rounds in one process.
 */
export async function runOutbox(ctx: BenchContext): Promise<OutboxResult> {
  const redis = await ctx.startRedis();
  const writers: [string, Writer][] = [
    ['with', await startWriter(true, redis.url, 'bench-outbox-on')],
    ['without', await startWriter(false, redis.url, 'bench-outbox-off')],
  ];
  const rates: Record<string, number[]> = { with: [], without: [] };
  try {
    const durationMs = ctx.durationS * 1000;
    for (let round = 0; round < ctx.rounds; round++) {
      // Alternate which goes first, so neither gains from its place in the round.
      const order = round % 2 === 0 ? writers : [...writers].reverse();
      for (const [name, writer] of order) {
        let saves = 0;
        const started = performance.now();
        while (performance.now() - started < durationMs) await writer.save(saves++);
        rates[name]!.push(saves / ((performance.now() - started) / 1000));
      }
      ctx.log(
        `  outbox round ${round + 1}/${ctx.rounds}: with ${Math.round(rates.with!.at(-1)!)} · without ${Math.round(rates.without!.at(-1)!)} saves/s`,
      );
    }
  } finally {
    for (const [, writer] of writers) await writer.close();
  }
  const ratios = rates.with!.map((rate, i) => rate / rates.without![i]!);
  return {
    withOutbox: roundAll(rates.with!, 0),
    withoutOutbox: roundAll(rates.without!, 0),
    ratios: roundAll(ratios, 3),
    medianRatio: round(median(ratios), 3),
  };
}
