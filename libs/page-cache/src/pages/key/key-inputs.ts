import type { PageRequest } from '../page-metadata.js';
import type { PagePolicy } from '../policy/page-policy.js';
import { routePattern } from './canonical-request.js';

/**
 * The request values a page key reads, read once: the route's number, query parameters as keyed,
 * and the encoded inputs the location memo (`page-key.ts`) remembers a location by.
 */

const ROUTE_IDS = new WeakMap<PagePolicy, number>();
let routeIds = 0;

/** A number of this process for a route's policy. */
export function routeIdOf(policy: PagePolicy): number {
  let id = ROUTE_IDS.get(policy);
  if (id === undefined) ROUTE_IDS.set(policy, (id = ++routeIds));
  return id;
}

/** A query parameter as the key holds it: `[kind, name]` when absent, else with its value. */
export function parsedParam(query: object, kind: string, name: string): unknown[] {
  const value = Object.prototype.hasOwnProperty.call(query, name)
    ? (query as Record<string, unknown>)[name]
    : undefined;
  return value === undefined ? [kind, name] : [kind, name, value];
}

/**
 * Every request value `buildLocation` reads, with the route and the cache: two requests with the
 * same inputs (see `sameInputs`, `encodeInputs`) get the same location. `undefined` where a read
 * cannot be captured so (a principal, a vary function, an entity id read by a function: they may
 * read anything).
 */
export function keyInputsOf(
  namespace: string,
  policy: PagePolicy,
  request: PageRequest,
  rawSpellings: boolean,
  learned: readonly string[],
): unknown[] | undefined {
  const { vary } = policy;
  if (vary.user || vary.functions.length > 0) return undefined;
  for (const entity of policy.entities) if (typeof entity.id === 'function') return undefined;
  const local = (request as { socket?: { localPort?: unknown } }).socket?.localPort;
  const inputs: unknown[] = [
    namespace,
    routeIdOf(policy),
    rawSpellings,
    learned,
    request.url,
    request.originalUrl,
    request.headers.host,
    // As the key reads them: the hostname only without a host.
    request.host ?? request.hostname,
    request.protocol,
    local,
    routePattern(request),
    request.params,
  ];
  if (policy.query || vary.query.length > 0) {
    const query = request.query;
    if (typeof query !== 'object' || query === null) return undefined;
    if (policy.query) for (const name of policy.query) inputs.push(parsedParam(query, 'q', name));
    for (const name of vary.query) inputs.push(parsedParam(query, 'Q', name));
  }
  for (const name of vary.headers) inputs.push(request.headers[name]);
  for (const name of learned) inputs.push(request.headers[name]);
  if (vary.cookies.length > 0) {
    const jar = request.cookies;
    inputs.push(request.headers.cookie);
    for (const name of vary.cookies) {
      inputs.push(typeof jar === 'object' && jar !== null ? jar[name] : undefined);
    }
  }
  return inputs;
}

/**
 * Inputs encoded so that no two different sets of inputs encode alike (see `encodeInput`), or
 * `undefined` when a value cannot be encoded.
 */
export function encodeInputs(inputs: readonly unknown[]): string | undefined {
  let key = '';
  for (const value of inputs) {
    const encoded = encodeInput(value);
    if (encoded === undefined) return undefined;
    key += encoded;
  }
  return key;
}

/** An object input as it was encoded when its inputs were kept (see `keptInputs`). */
class EncodedObject {
  constructor(readonly text: string) {}
}

/**
 * Inputs to keep for `sameInputs`: objects replaced by their encoding now, since the request's
 * own (its parameters, its parsed cookies) may be changed in place after the key was built.
 * `undefined` when one cannot be encoded.
 */
export function keptInputs(inputs: readonly unknown[]): unknown[] | undefined {
  const kept: unknown[] = [];
  for (const value of inputs) {
    if (typeof value !== 'object' || value === null) kept.push(value);
    else {
      const text = encodeInput(value);
      if (text === undefined) return undefined;
      kept.push(new EncodedObject(text));
    }
  }
  return kept;
}

/**
 * Whether `inputs` encode alike (`encodeInputs`) with inputs `kept` earlier (`keptInputs`),
 * without encoding equal strings and numbers.
 */
export function sameInputs(kept: readonly unknown[], inputs: readonly unknown[]): boolean {
  if (kept.length !== inputs.length) return false;
  for (let i = 0; i < kept.length; i++) {
    const x = kept[i];
    const y = inputs[i];
    if (x === y && (typeof x !== 'object' || x === null)) continue;
    if (typeof x === 'string' && typeof y === 'string') return false;
    const encoded = x instanceof EncodedObject ? x.text : encodeInput(x);
    if (encoded === undefined || encoded !== encodeInput(y)) return false;
  }
  return true;
}

/**
 * One memo-key input: its type's tag, then a string as it is (`s`; refused if it holds the
 * separator), a number or boolean as text, a missing value as `n` (read alike by the key), an
 * object or array as JSON (which escapes control characters); then the separator `\0`. So the
 * inputs split back apart, each into one value. A value JSON cannot encode is refused.
 */
function encodeInput(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value.includes('\0') ? undefined : `s${value}\0`;
    case 'undefined':
      return 'n\0';
    case 'number':
      return `d${String(value)}\0`;
    case 'boolean':
      return value ? 't\0' : 'f\0';
    case 'object':
      if (value === null) return 'n\0';
      // The common cases, without JSON: no learned headers, a route without parameters.
      if (isEmpty(value)) return Array.isArray(value) ? 'a\0' : 'o\0';
      try {
        return `j${JSON.stringify(value)}\0`;
      } catch {
        return undefined;
      }
    default:
      return undefined;
  }
}

/**
 * Whether an array has no element, or an object JSON encodes as `{}`: no own enumerable property
 * and no `toJSON` (a plain object, or a null-prototype one such as Fastify's route parameters).
 */
function isEmpty(value: object): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  for (const name in value) if (Object.prototype.hasOwnProperty.call(value, name)) return false;
  return true;
}
