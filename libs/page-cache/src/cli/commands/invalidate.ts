import { asCommand, type Command } from '../command.js';
import { formatEntries, json, printable } from '../format.js';

/**
 * `invalidate`: `CacheService.invalidate()` from a shell, for a change made where no save event
 * reaches the app (a migration, a fix in the database by hand). The edge cache is not purged: its
 * `pages.edge.purge` is the app's configuration, not the tool's.
 */
export const invalidate: Command = {
  usage: 'invalidate <Model> [id]',
  summary: 'Clear what was built from a model or one entity of it, as invalidate()',
  args: [1, 2],
  async run(ctx) {
    const [model, id] = ctx.line.args;
    const removed = await asCommand(ctx.cache.invalidate(model, id));
    const what = id === undefined ? model : `${model} ${id}`;
    ctx.io.out(
      ctx.line.json
        ? json({ namespace: ctx.namespace, model, id: id ?? null, removed })
        : `Removed ${formatEntries(removed)} built from ${printable(what)} in ${ctx.namespace}.\n`,
    );
    return 0;
  },
};
