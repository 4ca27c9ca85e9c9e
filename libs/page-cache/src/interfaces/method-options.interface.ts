import type { Ttl } from '../ttl.js';
import type { ModelDependency, ModelRef } from './model-ref.interface.js';

// Provider methods take and return anything: `any` lets a key or id function be written with the
// method's own parameter types, `(id: number) => …`, which `unknown` would refuse.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** Options of `@Cached()`. */
export interface CachedOptions {
  /** Lifetime of a result (ms or `'5m'`…; `0` = until invalidated). Default: the module's `ttl`. */
  ttl?: Ttl;
  /**
   * The whole cache key of a call, from its arguments (a key of the cache's namespace, as
   * `cache.get(key)` takes it), called with the provider's instance as `this` (a `function`, not
   * an arrow, can read it). Default: `Class.method:` and an encoding of the arguments; for a class
   * provided several times, `Class["token"].method:` and the arguments.
   */
  key?: (this: any, ...args: any[]) => string;
  /**
   * Models the result is built from: saving one clears it. A list, or a function of the
   * arguments (read before the method runs, with the instance as `this`), e.g.
   * `(id: number) => [{ model: Price, id }]`.
   */
  models?: readonly ModelDependency[] | ((this: any, ...args: any[]) => readonly ModelDependency[]);
  /** The named cache to store results in (`CacheModule.forRoot({ name })`). Default: the default one. */
  cache?: string;
}

/**
 * An entity a provider method changes, for `@Invalidates()` on that method: its id read from the
 * call once the method's promise has resolved.
 *
 * ```ts
 * @Invalidates({ model: Post, idFrom: ([id]) => id })            // update(id, changes)
 * @Invalidates({ model: Post, idFrom: (_args, post) => post.id }) // create(input): Promise<Post>
 * ```
 */
export interface MethodEntity {
  model: ModelRef;
  /**
   * The id (or ids) of the changed entity, from the arguments and the resolved result. `undefined`,
   * `null` or an empty list invalidates every entity of the model.
   */
  idFrom: (
    args: any[],
    result: any,
  ) => string | number | readonly (string | number)[] | undefined | null;
}
