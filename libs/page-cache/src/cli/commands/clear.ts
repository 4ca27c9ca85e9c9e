import { namespacedGlob } from '../../keys.js';
import { startProgress, type CliContext, type Command } from '../command.js';
import { formatCount, json } from '../format.js';
import { kindOfKey } from '../key-kinds.js';
import { Distinct, scanKeys } from '../scan.js';

/**
 * `clear`: `CacheService.clear()` from a shell, asked for first. Unlike a `redis-cli --scan |
 * xargs redis-cli unlink`, it stays in the namespace however the prefix is spelled and leaves the
 * locks other owners hold.
 */
export const clear: Command = {
  usage: 'clear [--yes]',
  summary: 'Delete every key of the namespace (asks first)',
  args: [0, 0],
  options: ['yes'],
  details: `Does what CacheService.clear() does: deletes the namespace's keys only, with SCAN and
UNLINK (never FLUSHDB or FLUSHALL), except the locks their owners still hold. On a terminal it
counts them and asks for confirmation; without a terminal it refuses unless --yes.

  -y, --yes     do not ask`,
  refusal(line, io) {
    if (line.yes || io.interactive) return undefined;
    return 'Refusing to clear without confirmation: stdin is not a terminal. Re-run with --yes to delete every key of the namespace.';
  },
  async run(ctx) {
    if (!ctx.line.yes) {
      const count = await countDeletable(ctx);
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

/** The keys `clear()` would delete now: all of the namespace's but its locks. */
async function countDeletable(ctx: CliContext): Promise<number> {
  const skip = ctx.namespace.length + 1;
  let count = 0;
  const distinct = new Distinct();
  const progress = await startProgress(ctx, `counting ${ctx.namespace}`);
  const pattern = namespacedGlob(ctx.namespace, '*');
  for await (const batch of scanKeys(ctx.conn.servers(), pattern, progress)) {
    for (const key of batch) {
      const kind = kindOfKey(key.slice(skip));
      if (distinct.add(key) && kind !== 'lock' && kind !== 'fill') count += 1;
    }
  }
  progress.done();
  return count;
}

function done(ctx: CliContext, deleted: number, text: string): number {
  ctx.io.out(ctx.line.json ? json({ namespace: ctx.namespace, deleted }) : `${text}\n`);
  return 0;
}
