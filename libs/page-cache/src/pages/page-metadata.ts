import type { MethodEntity } from '../interfaces/method-options.interface.js';
import type {
  EntityIdParser,
  EntityIdSource,
  VaryFunction,
} from '../interfaces/page-options.interface.js';

export type {
  CachePageOptions,
  EntityIdParser,
  EntityIdSource,
  PageEntity,
  PageModel,
  PageRequest,
  VaryFunction,
  VaryOnOptions,
} from '../interfaces/page-options.interface.js';

/** @internal Normalized `@VaryOn` metadata (they stack). */
export interface VarySpec {
  headers: string[];
  cookies: string[];
  query: string[];
  user: boolean;
  functions: VaryFunction[];
}

/** @internal Normalized `@CacheKeyFrom` metadata. */
export interface ModelSpec {
  models: string[];
  entities: EntityDependencySpec[];
  /** `@Invalidates` on a provider method: entities whose ids are read from the call. */
  calls?: { model: string; idFrom: MethodEntity['idFrom'] }[];
}

/** @internal One entity dependency, its model named. */
export interface EntityDependencySpec {
  model: string;
  id: EntityIdSource;
  parse?: EntityIdParser;
}

/** @internal Metadata keys. */
export const CACHE_PAGE_METADATA = 'nestjs-page-cache:page';
export const VARY_ON_METADATA = 'nestjs-page-cache:vary';
export const CACHE_KEY_FROM_METADATA = 'nestjs-page-cache:models';
export const NO_CACHE_METADATA = 'nestjs-page-cache:no-cache';
export const INVALIDATES_METADATA = 'nestjs-page-cache:invalidates';
