import { SetMetadata } from '@nestjs/common';
import { DEFAULT_CACHE } from '../cache.constants.js';
import type { CachedOptions } from '../interfaces/method-options.interface.js';
import { assertModelName } from '../keys.js';
import { entryDependencies } from '../models.js';
import { checkOptionNames, type OptionNames } from '../option-names.js';
import { parseTtl } from '../ttl.js';
import { CACHED_METADATA, type CachedSpec } from './method-metadata.js';

/** Every name `@Cached()` takes. */
const CACHED_OPTION_NAMES: OptionNames<CachedOptions> = {
  ttl: true,
  key: true,
  models: true,
  cache: true,
};

/**
 * A decorator for `async` methods only: applying it to a method that does not return a promise is
 * a compile error (and, for one that is not `async`, an error at startup).
 */
export type CachedMethodDecorator = <T extends (...args: never[]) => Promise<unknown>>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<T>,
) => void;

/**
 * Caches the results of an `async` method of a provider, by its arguments: a call whose key is
 * stored returns the stored result without running the method; concurrent callers of a missing key
 * share one run (in this process and, through a fill lock, across processes). With `models`,
 * saving one of them clears the results built from it. `CacheModule` finds decorated methods at
 * startup; nothing needs to be injected into the class.
 *
 * ```ts
 * @Injectable()
 * export class PriceService {
 *   @Cached({ ttl: '10m', models: (sku: string) => [{ model: Price, id: sku }] })
 *   async price(sku: string): Promise<number> { … }
 * }
 * ```
 */
export function Cached(options: CachedOptions = {}): CachedMethodDecorator {
  const spec = validate(options);
  return SetMetadata(CACHED_METADATA, spec) as CachedMethodDecorator;
}

function validate(options: CachedOptions): CachedSpec {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Invalid @Cached options: ${String(options)}. Expected an object.`);
  }
  checkOptionNames(options, CACHED_OPTION_NAMES, '@Cached');
  const { ttl, key, models, cache } = options;
  if (key !== undefined && typeof key !== 'function') {
    throw new TypeError('Invalid @Cached key: expected a function of the arguments.');
  }
  if (models !== undefined) {
    if (Array.isArray(models)) {
      // Checks every model name and entity id now, at decoration time.
      for (const model of models) entryDependencies(model);
    } else if (typeof models !== 'function') {
      throw new TypeError(
        'Invalid @Cached models: expected a list of models or a function of the arguments.',
      );
    }
  }
  if (cache !== undefined) assertModelName(cache, '@Cached cache');
  return {
    ttlMs: ttl === undefined ? undefined : parseTtl(ttl, '@Cached ttl'),
    key,
    models,
    cache: cache ?? DEFAULT_CACHE,
  };
}
