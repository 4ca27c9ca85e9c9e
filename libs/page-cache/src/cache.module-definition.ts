import { ConfigurableModuleBuilder, type Type } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { withName } from './cache-name.js';
import { PageCacheInterceptor } from './pages/page-cache.interceptor.js';
import type {
  CacheModuleExtras,
  CacheModuleOptions,
} from './interfaces/cache-module-options.interface.js';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: CACHE_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CacheModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<CacheModuleExtras>(
    { isGlobal: false, name: undefined, interceptor: undefined },
    (definition, extras) =>
      withName(
        {
          ...definition,
          global: extras.isGlobal,
          // Global, so that @CachePage needs no @UseInterceptors and site-wide mode reaches every
          // handler; it leaves handlers without page caching alone.
          providers: [
            ...(definition.providers ?? []),
            { provide: APP_INTERCEPTOR, useClass: pageInterceptor(extras.interceptor) },
          ],
        },
        extras.name,
      ),
  )
  .build();

/** The `interceptor` extra, checked: `PageCacheInterceptor` or a subclass of it. */
function pageInterceptor(
  interceptor: CacheModuleExtras['interceptor'],
): Type<PageCacheInterceptor> {
  if (interceptor === undefined) return PageCacheInterceptor;
  if (
    interceptor !== PageCacheInterceptor &&
    !(interceptor?.prototype instanceof PageCacheInterceptor)
  ) {
    throw new TypeError(
      `CacheModule interceptor must be PageCacheInterceptor or a class that extends it, got ${
        typeof interceptor === 'function'
          ? `class ${interceptor.name || '(anonymous)'}`
          : String(interceptor)
      }.`,
    );
  }
  return interceptor as unknown as Type<PageCacheInterceptor>;
}
