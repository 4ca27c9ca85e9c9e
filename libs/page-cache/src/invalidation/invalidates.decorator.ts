import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { MethodEntity } from '../interfaces/method-options.interface.js';
import { modelName } from '../models.js';
import { InvalidatesInterceptor } from './invalidates.interceptor.js';
import { INVALIDATES_METADATA, type ModelSpec, type PageModel } from '../pages/page-metadata.js';

/**
 * Invalidates models after a mutation handler (POST/PUT/PATCH/DELETE) answers with a 2xx status,
 * before the response is sent. A failed request invalidates nothing.
 *
 * ```ts
 * @Put(':id')
 * @Invalidates({ model: Post, id: 'id' })   // that post (and lists of posts)
 * update(@Param('id') id: string, @Body() body: UpdatePost) { … }
 * ```
 *
 * On an `async` method of a provider, it invalidates once the method's promise has resolved,
 * before the caller gets the result; a rejection invalidates nothing. The id of an entity comes
 * from the call there ({@link MethodEntity}):
 *
 * ```ts
 * @Invalidates({ model: Post, idFrom: ([id]) => id })
 * async update(id: number, changes: Partial<Post>) { … }
 * ```
 */
export function Invalidates(
  ...models: (PageModel | MethodEntity)[]
): ClassDecorator & MethodDecorator {
  if (models.length === 0) throw new TypeError('@Invalidates() needs at least one model.');
  const spec: ModelSpec = { models: [], entities: [] };
  for (const entry of models) {
    if (typeof entry === 'object' && entry !== null && 'idFrom' in entry) {
      const name = modelName(entry.model, '@Invalidates model');
      if (typeof entry.idFrom !== 'function' || 'id' in entry) {
        throw new TypeError(
          `Invalid @Invalidates idFrom for ${name}: expected a function (args, result) => id, and no id beside it.`,
        );
      }
      (spec.calls ??= []).push({ model: name, idFrom: entry.idFrom });
    } else if (typeof entry === 'object' && entry !== null) {
      const { id } = entry;
      const name = modelName(entry.model, '@Invalidates model');
      if (!(typeof id === 'function' || (typeof id === 'string' && id.length > 0))) {
        throw new TypeError(
          `Invalid @Invalidates id for ${name}: expected a route parameter name or a function of the request.`,
        );
      }
      spec.entities.push({ model: name, id });
    } else {
      spec.models.push(modelName(entry, '@Invalidates model'));
    }
  }
  // On a route, its own interceptor runs the invalidations: only routes that declare some pay
  // for it. On a provider method the interceptor is never called (the method is wrapped).
  return applyDecorators(
    SetMetadata(INVALIDATES_METADATA, spec),
    UseInterceptors(InvalidatesInterceptor),
  );
}
