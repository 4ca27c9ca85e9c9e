import type { EntityEventPayload } from '../invalidation/entity-events.js';
import type { ModelSpec } from '../pages/page-metadata.js';
import type { AnyMethod } from './cached-method.js';

/**
 * Wraps a provider method carrying `@Invalidates()`: once its promise resolves, the models (and
 * the entities whose ids `idFrom` reads from the call) are invalidated, and only then does the
 * caller get the result, so its next read is fresh (the README's "`@Invalidates` on a provider
 * method" says what a failing `idFrom` does, and why).
 */
export function invalidatingMethod(
  method: AnyMethod,
  view: string,
  spec: ModelSpec,
  invalidate: (payload: EntityEventPayload) => Promise<void>,
  error: (message: string) => void,
): AnyMethod {
  return async function invalidating(this: unknown, ...args: unknown[]): Promise<unknown> {
    const result = await method.apply(this, args);
    const jobs = spec.models.map(model => invalidate({ model }));
    for (const { model, idFrom } of spec.calls ?? []) {
      for (const id of idsOf(view, model, () => idFrom(args, result), error)) {
        jobs.push(invalidate(id === undefined ? { model } : { model, id }));
      }
    }
    await Promise.all(jobs);
    return result;
  };
}

/** The ids `read` returns, or `[undefined]` (every entity) when there are none or they are bad. */
function idsOf(
  view: string,
  model: string,
  read: () => unknown,
  error: (message: string) => void,
): (string | number | undefined)[] {
  let found: unknown;
  try {
    found = read();
  } catch (cause) {
    error(
      `@Invalidates on ${view}: idFrom of ${model} threw (${(cause as Error).message}); every ${model} is invalidated instead.`,
    );
    return [undefined];
  }
  if (found === undefined || found === null) return [undefined];
  const list = Array.isArray(found) ? (found as unknown[]) : [found];
  if (list.length === 0) return [undefined];
  const valid = list.every(
    id =>
      (typeof id === 'string' && id.length > 0) || (typeof id === 'number' && Number.isFinite(id)),
  );
  if (!valid) {
    error(
      `@Invalidates on ${view}: idFrom of ${model} returned ${JSON.stringify(found) ?? String(found)}, not ids; every ${model} is invalidated instead.`,
    );
    return [undefined];
  }
  return list as (string | number)[];
}
