import type { ModelDependency } from '../interfaces/model-ref.interface.js';
import type { FillLock } from '../pages/fill/fill-lock.js';
import type { ValueFills } from '../values/value-fills.js';
import { argumentKey } from './argument-key.js';
import type { CachedSpec } from './method-metadata.js';

/** A method of a provider, as it is called. */
export type AnyMethod = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/**
 * Wraps `method` so that its calls go through the cache: the key from the arguments, the models'
 * tokens read before the method runs, one run per missing key (see `ValueFills.callOnce`).
 *
 * @param view `Class.method`: the default key's prefix, the statistics' name, the errors' subject.
 * @param warn Told once, the first time a result cannot be stored (it is still returned).
 */
export function cachedMethod(
  method: AnyMethod,
  view: string,
  spec: CachedSpec,
  fills: ValueFills,
  lock: FillLock,
  warn: (message: string) => void,
): AnyMethod {
  const { key, models } = spec;
  const keyOf = key
    ? (instance: unknown, args: unknown[]) => {
        const found: unknown = key.apply(instance, args);
        if (typeof found !== 'string') {
          throw new TypeError(
            `@Cached ${view}: its key function returned ${describe(found)}, not a string.`,
          );
        }
        return found;
      }
    : (_instance: unknown, args: unknown[]) => `${view}:${argumentKey(view, args)}`;
  const modelsOf =
    typeof models === 'function'
      ? (instance: unknown, args: unknown[]) => checkedModels(view, models.apply(instance, args))
      : () => models ?? [];
  let warned = false;
  const unstorable = (error: TypeError) => {
    if (warned) return;
    warned = true;
    warn(
      `@Cached ${view}: a result was returned but not cached (${error.message}). ` +
        'Return plain data the serializer can store (null rather than undefined).',
    );
  };
  return async function cached(this: unknown, ...args: unknown[]): Promise<unknown> {
    const callKey = keyOf(this, args);
    const callModels = modelsOf(this, args);
    return fills.callOnce(callKey, () => method.apply(this, args), {
      view,
      ttlMs: spec.ttlMs,
      models: callModels,
      lock,
      unstorable,
    });
  };
}

/** Checks what a `models` function returned, naming the method. */
function checkedModels(view: string, models: unknown): readonly ModelDependency[] {
  if (!Array.isArray(models)) {
    throw new TypeError(
      `@Cached ${view}: its models function returned ${describe(models)}, not a list of models.`,
    );
  }
  for (const model of models as unknown[]) {
    if (typeof model === 'object' && model !== null) {
      const { id } = model as { id?: unknown };
      if (!(typeof id === 'number' && Number.isFinite(id)) && !(typeof id === 'string' && id)) {
        throw new TypeError(
          `@Cached ${view}: its models function returned an entity with id ${describe(id)}. ` +
            'Expected a non-empty string or a finite number (or the model alone, for all of it).',
        );
      }
    }
  }
  return models as readonly ModelDependency[];
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
