import { closestName } from './did-you-mean.js';
import { UnknownOptionError } from './errors.js';

/**
 * The names an options object of type `T` accepts, each with how its value is checked: `true` for
 * a value whose names are not checked (a scalar, a list, a callback, or an object whose shape is
 * open by design, such as ioredis options or a store), or the table of a nested options object.
 * A table is the one list of its object's names: the compiler refuses one that misses a name of
 * `T` or has one `T` lacks, so it cannot drift from the public type.
 */
export type OptionNames<T> = {
  readonly [K in keyof T]-?: true | OptionNames<Extract<NonNullable<T[K]>, object>>;
};

/**
 * Refuses names `options` does not have, at any depth of nested tables: a misspelt option would
 * otherwise be ignored, and the app would run without the setting it asked for.
 * @param owner what the options belong to, for the message (`CacheModule`, `@CachePage`…).
 * @param elsewhere names that belong to another place, with where (a hint in place of a guess).
 * @throws UnknownOptionError naming every unknown option by its path, with the closest known name.
 */
export function checkOptionNames<T>(
  options: unknown,
  names: OptionNames<T>,
  owner: string,
  elsewhere: Readonly<Record<string, string>> = {},
): void {
  const problems: string[] = [];
  const paths: string[] = [];
  walk(options, names as Table, '', (path, name, known) => {
    paths.push(path + name);
    const hint = path === '' ? elsewhere[name] : undefined;
    // A misspelt name of another place is suggested too (its hint then says where it goes).
    const closest = closestName(name, path === '' ? [...known, ...Object.keys(elsewhere)] : known);
    problems.push(
      hint !== undefined
        ? `'${path}${name}' (${hint})`
        : closest !== undefined
          ? `'${path}${name}' (did you mean '${path}${closest}'?)`
          : `'${path}${name}' (${path === '' ? `${owner} takes` : `${path.slice(0, -1)} takes`} ${known.join(', ')})`,
    );
  });
  if (problems.length === 0) return;
  throw new UnknownOptionError(
    paths,
    `Unknown ${owner} option${problems.length > 1 ? 's' : ''} ${problems.join(', ')}.`,
  );
}

type Table = { readonly [name: string]: true | Table };

function walk(
  value: unknown,
  names: Table,
  path: string,
  unknown: (path: string, name: string, known: string[]) => void,
): void {
  // Anything but a plain object is left to the value checks (`fillLock: false`, a class instance).
  if (!isPlainObject(value)) return;
  for (const name of Object.keys(value)) {
    if (!Object.hasOwn(names, name)) {
      unknown(path, name, Object.keys(names));
      continue;
    }
    const nested = names[name];
    if (nested !== true) walk(value[name], nested, `${path}${name}.`, unknown);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
