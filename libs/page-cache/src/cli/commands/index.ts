import { clear } from './clear.js';
import { expire } from './expire.js';
import { invalidate } from './invalidate.js';
import { keys } from './keys.js';
import { show } from './show.js';
import { stats } from './stats.js';

/**
 * The tool's commands, in the order the help lists them: what this cache needs beyond
 * `redis-cli`, each through `CacheService` where the cache has an API for it.
 */
export const COMMANDS = { stats, keys, show, invalidate, expire, clear };

/** A command's name, as users type it. */
export type CommandName = keyof typeof COMMANDS;
