import { ConfigurableModuleBuilder } from '@nestjs/common';
import { withName } from './cache-name.js';
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
  .setExtras<CacheModuleExtras>({ isGlobal: false, name: undefined }, (definition, extras) =>
    withName({ ...definition, global: extras.isGlobal }, extras.name),
  )
  .build();
