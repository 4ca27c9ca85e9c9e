import { CommandError, type Command } from '../command.js';
import { formatCount, json, printable } from '../format.js';

/**
 * `keys`: `CacheService.keys()` from a shell — the namespace glob-escaped and cut off, every
 * master of a Cluster visited, which `redis-cli --scan` does not do for you. Bookkeeping keys
 * (`~idx:`…) are the cache's own, left out as `keys()` leaves them; `redis-cli --scan` lists them.
 */
export const keys: Command = {
  usage: 'keys [glob]',
  summary: 'List the namespace keys matching a glob (*, ?, [a-z]), as keys()',
  args: [0, 1],
  options: { limit: '--limit N     print at most N keys (default 100; 0 for all)' },
  async run(ctx) {
    const glob = ctx.line.args[0] ?? '*';
    if (glob.length === 0) throw new CommandError('The glob is empty; use * for every key.');
    const { limit } = ctx.line;
    const shown: string[] = [];
    let more = 0;
    for await (const key of ctx.cache.keys(glob)) {
      if (limit !== 0 && shown.length >= limit) {
        more += 1;
        continue;
      }
      shown.push(key);
      // Printed as found, so a large keyspace shows results at once.
      if (!ctx.line.json) ctx.io.out(`${printable(key)}\n`);
    }
    if (ctx.line.json) {
      // `keys()` drops every duplicate SCAN returns, so the list is always exact.
      ctx.io.out(json({ namespace: ctx.namespace, glob, keys: shown, more, exact: true }));
      return 0;
    }
    // Notes go to stderr, so stdout stays a clean list of keys for pipes.
    if (more > 0) {
      ctx.io.err(
        `… ${formatCount(more)} more, use --limit ${shown.length + more} (or --limit 0 for all)\n`,
      );
    } else if (shown.length === 0) {
      ctx.io.err(`No key of ${ctx.namespace} matches ${printable(glob)}.\n`);
    }
    return 0;
  },
};
