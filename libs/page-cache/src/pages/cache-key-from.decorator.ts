import { SetMetadata } from '@nestjs/common';
import { modelName } from '../models.js';
import { CACHE_KEY_FROM_METADATA, type ModelSpec, type PageModel } from './page-metadata.js';

/**
 * Declares the models a cached page is built from. They are written into the page's key, and
 * saving any of them (or the one entity named by `{ model, id }`) removes the page.
 *
 * ```ts
 * @CacheKeyFrom(Post, Author)                  // a list page: any Post or Author save clears it
 * @CacheKeyFrom({ model: Post, id: 'id', parse: Number }) // a detail page: only saving that Post clears it
 * ```
 * An id is keyed in the form your events carry it: with `parse`, as `parse(raw)` returns it
 * (`/posts/07` depends on `Post/7`); without it, a request whose id a database could read as
 * another value (`07`, `+7`, `7.0`, an upper-case UUID, surrounding spaces) is not cached.
 * Names are checked here, at decoration time: letters, digits, `_ . -` only; an `id` given as a
 * name, at startup: one that is no parameter of the route fails the app's start.
 */
export function CacheKeyFrom(...models: PageModel[]): ClassDecorator & MethodDecorator {
  if (models.length === 0) {
    throw new TypeError('@CacheKeyFrom() needs at least one model.');
  }
  const spec: ModelSpec = { models: [], entities: [] };
  for (const entry of models) {
    if (typeof entry === 'object' && entry !== null) {
      const { id, parse } = entry;
      const model = modelName(entry.model, '@CacheKeyFrom model');
      if (!(typeof id === 'function' || (typeof id === 'string' && id.length > 0))) {
        throw new TypeError(
          `Invalid @CacheKeyFrom id for ${model}: expected a route parameter name or a function of the request.`,
        );
      }
      if (parse !== undefined && typeof parse !== 'function') {
        throw new TypeError(
          `Invalid @CacheKeyFrom parse for ${model}: ${String(parse)}. Expected a function (raw id) => id, such as Number.`,
        );
      }
      spec.entities.push(parse ? { model, id, parse } : { model, id });
    } else {
      spec.models.push(modelName(entry, '@CacheKeyFrom model'));
    }
  }
  return SetMetadata(CACHE_KEY_FROM_METADATA, spec);
}
