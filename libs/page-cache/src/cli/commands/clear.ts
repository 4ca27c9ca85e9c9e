import type { CliContext, Command } from '../command.js';
import { formatCount, json } from '../format.js';
import { kindOfKey } from '../key-kinds.js';
import { forEachKey } from '../scan.js';

/**
 * `clear`: `CacheService.clear()` from a shell, asked for first. Unlike a `redis-cli --scan |
 * xargs redis-cli unlink`, it stays in the namespace however the prefix is spelled and leaves the
 * locks other owners hold.
 */
export const clear: Command = {
  usage: 'clear',
  summary: 'Delete the namespace keys but held locks (asks first), as clear()',
  args: [0, 0],
  options: { yes: '-y, --yes     do not ask (required when stdin is not a terminal)' },
  refusal(line, io) {
    if (line.yes || io.interactive) return undefined;
    return 'Refusing to clear without confirmation: stdin is not a terminal. Re-run with --yes to delete every key of the namespace.';
  },
  async run(ctx) {
    if (!ctx.line.yes) {
      // The keys clear() would delete now: all of the namespace's but its locks.
      let count = 0;
      await forEachKey(ctx, `counting ${ctx.namespace}`, key => {
        if (!['lock', 'fill'].includes(kindOfKey(key))) count += 1;
      });
      if (count === 0) return done(ctx, 0, `Nothing to delete: ${ctx.namespace} has no keys.`);
      const answer = await ctx.io.ask(
        `Delete ${formatCount(count)} keys under ${ctx.namespace}:? [y/N] `,
      );
      if (!/^\s*y(es)?\s*$/i.test(answer)) {
        ctx.io.err('Cancelled; nothing was deleted.\n');
        return 1;
      }
    }
    const deleted = await ctx.cache.clear();
    return done(ctx, deleted, `Deleted ${formatCount(deleted)} keys under ${ctx.namespace}:.`);
  },
};

function done(ctx: CliContext, deleted: number, text: string): number {
  ctx.io.out(ctx.line.json ? json({ namespace: ctx.namespace, deleted }) : `${text}\n`);
  return 0;
}
