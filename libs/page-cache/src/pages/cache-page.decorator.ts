import { SetMetadata } from '@nestjs/common';
import { assertModelName } from '../keys.js';
import { checkOptionNames, type OptionNames } from '../option-names.js';
import { parseTtl, type Ttl } from '../ttl.js';
import { CACHE_PAGE_METADATA, type CachePageOptions } from './page-metadata.js';

/** Every name `@CachePage()` takes. */
const CACHE_PAGE_OPTION_NAMES: OptionNames<CachePageOptions> = {
  ttl: true,
  key: true,
  query: true,
  statuses: true,
  grace: true,
  earlyRefresh: { beta: true },
  cache: true,
  early: true,
};

const UNSTORABLE_STATUSES = new Set([204, 205, 206, 304]);

/**
 * Caches the whole response of a GET handler (or of every GET handler of a controller): status,
 * headers and body bytes, served as they are on a hit. The page cache interceptor that
 * `CacheModule` installs picks it up; no `@UseInterceptors` is needed.
 *
 * ```ts
 * @Get(':id')
 * @CachePage('10m')
 * @CacheKeyFrom({ model: Post, id: 'id' })
 * show(@Param('id') id: string) { … }
 * ```
 */
export function CachePage(
  ttlOrOptions: Ttl | CachePageOptions = {},
): ClassDecorator & MethodDecorator {
  const options = typeof ttlOrOptions === 'object' ? ttlOrOptions : { ttl: ttlOrOptions };
  validate(options);
  return SetMetadata(CACHE_PAGE_METADATA, options);
}

function validate(options: CachePageOptions): void {
  checkOptionNames(options, CACHE_PAGE_OPTION_NAMES, '@CachePage');
  if (options.ttl !== undefined) parseTtl(options.ttl, '@CachePage ttl');
  if (options.key !== undefined) assertModelName(options.key, '@CachePage key');
  if (options.cache !== undefined) assertModelName(options.cache, '@CachePage cache');
  if (options.grace !== undefined) parseTtl(options.grace, '@CachePage grace');
  if (options.query !== undefined && !isStringArray(options.query)) {
    throw new TypeError(
      `Invalid @CachePage query: ${JSON.stringify(options.query)}. Expected an array of parameter names.`,
    );
  }
  if (options.statuses !== undefined) {
    const list: unknown = options.statuses;
    const bad = Array.isArray(list)
      ? list.find(s => !Number.isInteger(s) || s < 200 || s > 599 || UNSTORABLE_STATUSES.has(s))
      : list;
    if (bad !== undefined) {
      throw new TypeError(
        `Invalid @CachePage statuses: ${JSON.stringify(bad)}. Expected an array of status codes 200-599 other than 204, 205, 206 and 304.`,
      );
    }
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(v => typeof v === 'string' && v.length > 0);
}
