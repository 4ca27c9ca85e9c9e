import { asCommand, PROGRAM, type Command } from '../command.js';
import { formatEntries, json, printable } from '../format.js';

/**
 * `invalidate`: `CacheService.invalidate()` from a shell, for a change made where no save event
 * reaches the app (a migration, a fix in the database by hand). The edge cache is not purged: its
 * `pages.edge.purge` is the app's configuration, not the tool's.
 */
export const invalidate: Command = {
  usage: 'invalidate <Model> [id]',
  summary: 'Clear every page and value built from a model, or from one entity of it',
  args: [1, 2],
  options: [],
  details: `Does what CacheService.invalidate(model, id) and an entity.saved event do: replaces the
model's (or the entity's) generation tokens, so nothing computed before is served again, and
removes the entries indexed under them. Prints how many entries were removed.

Examples:
  ${PROGRAM} invalidate Post 42
  ${PROGRAM} invalidate SiteSettings`,
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
