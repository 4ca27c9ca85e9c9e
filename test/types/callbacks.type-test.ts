// Type tests, checked by `npx tsc -p tsconfig.json --noEmit` (nothing here runs): the callbacks the
// docs show must compile as written, and results the cache cannot key must not.
import { CacheModule, VaryOn, type CacheModuleOptions, type PageRequest } from 'nestjs-page-cache';

// The `user` option of the README: `req.user` is the app's own shape.
export const userOption: CacheModuleOptions = { user: req => req.user?.userId };
CacheModule.forRoot({ user: (req: PageRequest) => req.user?.sub as string | undefined });

// A boolean, a number or a string selects a variant; missing is undefined or null.
export class PreviewController {
  @VaryOn(req => req.query.preview === '1')
  preview() {}

  @VaryOn(req => req.headers['x-tenant'] as string | undefined)
  tenant() {}

  @VaryOn(req => Number(req.headers['x-version'] ?? 0))
  version() {}

  @VaryOn(req => (req.user ? null : undefined))
  anonymous() {}

  // @ts-expect-error an object is no variant: the cache would bypass every request
  @VaryOn(req => ({ tenant: req.headers['x-tenant'] }))
  object() {}
}

// @ts-expect-error a misspelt option name is refused by the types as well as at startup
export const misspelt: CacheModuleOptions = { keyprefix: 'x' };
