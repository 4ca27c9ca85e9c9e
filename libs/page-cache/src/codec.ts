/**
 * The byte format of stored entries. Every entry we write (except integers, which stay plain
 * decimal so Redis `INCRBY` works on them) starts with a 2-byte magic and a format version, so a
 * foreign or corrupt value, or one written by an older format, is recognised and treated as a miss
 * instead of being handed to a caller.
 *
 * Layout: magic `FE CA` · version (1 byte) · flags (1 byte) · meta length (uint32 BE) · meta JSON ·
 * payload. The payload is the value's bytes, or a page's body exactly as it was sent.
 */

import { deflateRawSync, inflateRawSync } from 'node:zlib';

const MAGIC_0 = 0xfe;
const MAGIC_1 = 0xca;
/** Bumped whenever the layout or the meta fields change incompatibly. */
export const FORMAT_VERSION = 1;
const HEADER_BYTES = 8;
/** Inflation bound when the caller gives none: the default `maxEntrySize`. */
const DEFAULT_MAX_INFLATED = 1024 * 1024;

/** Meta of a value stored through `CacheService`. */
export interface ValueMeta {
  /** How the payload is encoded: JSON, raw Buffer, or the configured serializer. */
  k: 'json' | 'buf' | 'ser';
  /** Dependencies (model names) the value was built from. */
  d?: string[];
  /** Generation tokens of those dependencies when the value was computed. */
  g?: string[];
}

/** Meta of a cached page. */
export interface PageMeta {
  k: 'page';
  /** HTTP status. */
  s: number;
  /** Response headers, lower-case names, in the order they were sent. */
  h: [string, string][];
  /** Strong ETag of the body. */
  e: string;
  /** When the entry was stored (epoch ms). */
  t: number;
  /** TTL it was stored with (ms, 0 = none). */
  l: number;
  /** Render time of the handler (ms), for early refresh. */
  r: number;
  /** SHA-256 of the body (base64url, 22 characters): what a reused body is recognised by. */
  b?: string;
  d?: string[];
  g?: string[];
}

export type EntryMeta = ValueMeta | PageMeta;

/** A decoded entry: meta plus payload (a view into the stored buffer, not a copy). */
export interface DecodedEntry<M extends EntryMeta = EntryMeta> {
  meta: M;
  payload: Buffer;
}

/** Flag bit: the payload is deflate-compressed. */
const COMPRESSED = 1;

/** Encodes meta + payload into one buffer, compressing payloads larger than `compressAbove`. */
export function encodeEntry(meta: EntryMeta, payload: Buffer, compressAbove?: number): Buffer {
  let flags = 0;
  if (compressAbove !== undefined && payload.length > compressAbove) {
    payload = deflateRawSync(payload);
    flags |= COMPRESSED;
  }
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const out = Buffer.allocUnsafe(HEADER_BYTES + metaBytes.length + payload.length);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = FORMAT_VERSION;
  out[3] = flags;
  out.writeUInt32BE(metaBytes.length, 4);
  metaBytes.copy(out, HEADER_BYTES);
  payload.copy(out, HEADER_BYTES + metaBytes.length);
  return out;
}

/**
 * The length of an entry's header: the fixed bytes and its meta, everything before the payload.
 * `undefined` when the bytes do not start with an entry of the current format.
 */
export function headerLength(raw: Buffer): number | undefined {
  if (raw.length < HEADER_BYTES || raw[0] !== MAGIC_0 || raw[1] !== MAGIC_1) return undefined;
  if (raw[2] !== FORMAT_VERSION) return undefined;
  const length = HEADER_BYTES + raw.readUInt32BE(4);
  return length <= raw.length ? length : undefined;
}

/**
 * Decodes an entry; `undefined` when the bytes are not an entry of the current format (foreign,
 * corrupt, truncated or older), which callers treat as a miss. A compressed payload is inflated to
 * at most `maxBytes` (the module's `maxEntrySize`): a larger one is not an entry we wrote.
 */
export function decodeEntry(
  raw: Buffer,
  maxBytes = DEFAULT_MAX_INFLATED,
): DecodedEntry | undefined {
  const length = headerLength(raw);
  if (length === undefined) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(raw.toString('utf8', HEADER_BYTES, length));
  } catch {
    return undefined;
  }
  if (!isEntryMeta(meta)) return undefined;
  const payload = raw.subarray(length);
  if ((raw[3] & COMPRESSED) === 0) return { meta, payload };
  try {
    return { meta, payload: inflateRawSync(payload, { maxOutputLength: maxBytes }) };
  } catch {
    return undefined;
  }
}

function isEntryMeta(meta: unknown): meta is EntryMeta {
  if (typeof meta !== 'object' || meta === null) return false;
  const m = meta as Record<string, unknown>;
  if (m.k === 'json' || m.k === 'buf' || m.k === 'ser') return true;
  return (
    m.k === 'page' &&
    typeof m.s === 'number' &&
    Array.isArray(m.h) &&
    typeof m.e === 'string' &&
    typeof m.t === 'number'
  );
}
