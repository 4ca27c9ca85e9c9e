import type { ModelDependency, ModelRef } from './interfaces/model-ref.interface.js';
import { assertModelName, dependency } from './keys.js';

export type { ModelDependency } from './interfaces/model-ref.interface.js';

/** The name of a model reference (a class's name, or the string), validated. */
export function modelName(model: ModelRef, where = 'model'): string {
  const name = typeof model === 'function' ? model.name : model;
  assertModelName(name, where);
  return name;
}

/** The dependencies an entry built from `dep` is indexed under. */
export function entryDependencies(dep: ModelDependency): string[] {
  if (typeof dep === 'object' && dep !== null) {
    const name = modelName(dep.model);
    return [dependency.entity(name, dep.id), dependency.anyEntity(name)];
  }
  return [dependency.model(modelName(dep))];
}

/** The name of the model a dependency (`Post`, `Post/42`, `Post/`) belongs to. */
export function dependencyModel(dep: string): string {
  const slash = dep.indexOf('/');
  return slash === -1 ? dep : dep.slice(0, slash);
}

/**
 * The dependencies a save of `model` (or of its entity `id`) outdates: the model as a whole, and
 * that entity, or every entity when no id is given.
 */
export function invalidationTargets(model: ModelRef, id?: string | number | null): string[] {
  const name = modelName(model);
  return id === undefined || id === null
    ? [dependency.model(name), dependency.anyEntity(name)]
    : [dependency.model(name), dependency.entity(name, id)];
}

/** Checks model names against the app's entities (see `ModelNames`). */
export interface NameCheck {
  check(model: string, where: string): void;
}

/**
 * The dependencies of an entry built from `models`, each model's name checked by `names` when
 * given (`where` says where the models come from, in its message).
 */
export function checkedDependencies(
  models: readonly ModelDependency[],
  where: string,
  names?: NameCheck,
): string[] {
  const deps = [...new Set(models.flatMap(model => entryDependencies(model)))];
  if (names) for (const dep of deps) names.check(dependencyModel(dep), where);
  return deps;
}
