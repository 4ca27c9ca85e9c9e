import { asCommand, type Command } from '../command.js';
import { formatEntries, json, printable } from '../format.js';

/**
 * `expire`: `CacheService.expirePage()` from a shell, for one URL whose data changed outside any
 * model. As `invalidate`, it leaves the edge cache to the app.
 */
export const expire: Command = {
  usage: 'expire <path>',
  summary: 'Remove every cached variant of a URL (/posts?page=2), as expirePage()',
  args: [1, 1],
  async run(ctx) {
    const path = ctx.line.args[0];
    const removed = await asCommand(ctx.cache.expirePage(path));
    ctx.io.out(
      ctx.line.json
        ? json({ namespace: ctx.namespace, path, removed })
        : `Removed ${formatEntries(removed)} of ${printable(path)} in ${ctx.namespace}.\n`,
    );
    return 0;
  },
};
