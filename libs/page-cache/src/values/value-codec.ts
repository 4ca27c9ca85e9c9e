import { encodeEntry, type ValueMeta } from '../codec.js';
import type { CacheSerializer } from '../interfaces/cache-module-options.interface.js';

/** What encoding a value depends on: the module's serializer and compression threshold. */
export interface ValueCodecOptions {
  serializer?: CacheSerializer;
  compressAbove?: number;
}

/** The message of a value that cannot be stored, naming why. */
function unserializable(reason: string): TypeError {
  return new TypeError(`Cannot serialize cache value${reason}`);
}

/**
 * The stored form of a value: a `Buffer` as it is, through the module's serializer if there is
 * one, else JSON. A safe integer without dependencies stays plain decimal, so that `incr`/`decr`
 * (Redis `INCRBY`) work on it. `deps` and `generations` (the tokens read before the value's data)
 * are recorded in the entry's header.
 * @throws TypeError naming why, for a value the serializer or JSON cannot represent.
 */
export function encodeValue(
  value: unknown,
  options: ValueCodecOptions,
  deps: readonly string[] = [],
  generations: readonly string[] = [],
): Buffer {
  const withDeps = deps.length > 0 ? { d: [...deps], g: [...generations] } : {};
  if (Buffer.isBuffer(value)) {
    return encodeEntry({ k: 'buf', ...withDeps }, value, options.compressAbove);
  }
  if (options.serializer) {
    let out: Buffer | string;
    try {
      out = options.serializer.serialize(value);
    } catch (error) {
      throw unserializable(`: ${(error as Error).message}`);
    }
    return encodeEntry({ k: 'ser', ...withDeps }, Buffer.isBuffer(out) ? out : Buffer.from(out));
  }
  if (deps.length === 0 && Number.isSafeInteger(value)) return Buffer.from(String(value));
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw unserializable(`: ${(error as Error).message}`);
  }
  if (json === undefined) {
    throw unserializable(` of type ${typeof value}: JSON has no representation for it.`);
  }
  return encodeEntry({ k: 'json', ...withDeps }, Buffer.from(json), options.compressAbove);
}

/**
 * The value of a decoded entry's payload, as {@link encodeValue} stored it.
 * @throws when the payload is corrupt, or was written by a serializer this module does not have.
 */
export function decodeValuePayload(
  meta: ValueMeta,
  payload: Buffer,
  serializer: CacheSerializer | undefined,
): unknown {
  switch (meta.k) {
    case 'buf':
      return Buffer.from(payload);
    case 'ser':
      if (!serializer) throw new Error('no serializer configured');
      return serializer.deserialize(payload);
    default:
      return JSON.parse(payload.toString('utf8'));
  }
}
