import { checkOptionNames, type OptionNames } from '../option-names.js';
import {
  VARY_ON_METADATA,
  type VaryFunction,
  type VaryOnOptions,
  type VarySpec,
} from './page-metadata.js';

/** Every name `@VaryOn({ … })` takes. */
const VARY_ON_OPTION_NAMES: OptionNames<VaryOnOptions> = {
  headers: true,
  cookies: true,
  query: true,
  user: true,
};

/** A request header name (an RFC 9110 token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Declares what selects a variant of a cached page besides its path and query. Each distinct
 * value gets its own entry, so two users who differ in a varied header or cookie never receive
 * each other's page. Stackable; class-level and handler-level declarations add up.
 *
 * ```ts
 * @VaryOn('accept-language')                    // headers (also sent in the response's Vary)
 * @VaryOn({ cookies: ['theme'], user: true })   // cookies, query parameters, the principal
 * @VaryOn(req => req.headers['x-tenant'] as string)
 * @VaryOn(req => req.query.preview === '1')     // a string, number or boolean; undefined: none
 * ```
 */
export function VaryOn(
  ...args: [VaryOnOptions] | [VaryFunction] | string[]
): ClassDecorator & MethodDecorator {
  const spec = toSpec(args);
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const where = (descriptor?.value ?? target) as object;
    const previous = (Reflect.getMetadata(VARY_ON_METADATA, where) as VarySpec[] | undefined) ?? [];
    Reflect.defineMetadata(VARY_ON_METADATA, [...previous, spec], where);
  };
}

function toSpec(args: unknown[]): VarySpec {
  const spec: VarySpec = { headers: [], cookies: [], query: [], user: false, functions: [] };
  if (args.length === 1 && typeof args[0] === 'function') {
    spec.functions.push(args[0] as VaryFunction);
    return spec;
  }
  if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) {
    const options = args[0] as VaryOnOptions;
    checkOptionNames(options, VARY_ON_OPTION_NAMES, '@VaryOn');
    spec.headers = names(options.headers, 'headers').map(header);
    spec.cookies = names(options.cookies, 'cookies');
    spec.query = names(options.query, 'query');
    spec.user = options.user === true;
    return spec;
  }
  if (args.length === 0 || !args.every(arg => typeof arg === 'string')) {
    throw new TypeError(
      `Invalid @VaryOn arguments: ${describe(args)}. Expected header names, an options object or a function.`,
    );
  }
  spec.headers = (args as string[]).map(header);
  return spec;
}

function names(list: readonly string[] | undefined, option: string): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every(n => typeof n === 'string' && n.length > 0)) {
    throw new TypeError(
      `Invalid @VaryOn ${option}: ${describe(list)}. Expected an array of names.`,
    );
  }
  return [...list];
}

function header(name: string): string {
  if (!HEADER_NAME.test(name)) {
    throw new TypeError(`Invalid @VaryOn header: ${JSON.stringify(name)} is not a header name.`);
  }
  return name.toLowerCase();
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
