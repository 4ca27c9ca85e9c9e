/**
 * Pure helpers of the command-line tool: what kind of key a key is, and how to show stored bytes.
 * Key layouts are those of `keys.ts`.
 */

/** Kinds of keys in a namespace, told apart by name. */
export type KeyKind = 'page' | 'value' | 'index' | 'token' | 'lock' | 'fill' | 'internal';

/** The kind of a key given without its namespace. */
export function kindOfKey(key: string): KeyKind {
  if (key.startsWith('page:')) return 'page';
  if (!key.startsWith('~')) return 'value';
  if (key.startsWith('~idx:')) return 'index';
  if (key.startsWith('~gen:')) return 'token';
  if (key.startsWith('~lock:')) return 'lock';
  if (key.startsWith('~fill:')) return 'fill';
  return 'internal';
}

/** The view of a page key (`page:{view}:{models}:{digest}`), e.g. `PostsController.show`. */
export function viewOfPageKey(key: string): string {
  const end = key.indexOf(':', 5);
  return end === -1 ? key.slice(5) : key.slice(5, end);
}

/** Parses `INFO` output into `field → value`. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/** Stored bytes, shown as text when they are text, else as hex (or base64 for JSON output). */
export interface BytesView {
  encoding: 'utf8' | 'hex' | 'base64';
  text: string;
  /** Bytes not shown (0 when everything is). */
  omittedBytes: number;
}

const TEXT_TYPE =
  /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded))/i;

/**
 * Whether bytes are text: by content type when there is one, else by content (valid UTF-8
 * without NUL bytes).
 */
export function isText(bytes: Buffer, contentType?: string): boolean {
  if (contentType !== undefined && TEXT_TYPE.test(contentType.trim())) return true;
  if (bytes.includes(0)) return false;
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/**
 * A view of `bytes`, cut to about `limit` bytes (`Infinity`: all). Binary bytes are shown as hex
 * for people and as base64 in JSON.
 */
export function viewBytes(
  bytes: Buffer,
  options: { limit: number; contentType?: string; json: boolean },
): BytesView {
  if (isText(bytes, options.contentType)) {
    const shown = bytes.length > options.limit ? cutUtf8(bytes, options.limit) : bytes;
    return {
      encoding: 'utf8',
      text: shown.toString('utf8'),
      omittedBytes: bytes.length - shown.length,
    };
  }
  const hexLimit = options.json ? options.limit : Math.min(options.limit, 256);
  const shown = bytes.subarray(0, hexLimit);
  return {
    encoding: options.json ? 'base64' : 'hex',
    text: options.json ? shown.toString('base64') : hexDump(shown),
    omittedBytes: bytes.length - shown.length,
  };
}

/** The first `limit` bytes or fewer, never splitting a UTF-8 sequence. */
function cutUtf8(bytes: Buffer, limit: number): Buffer {
  let end = Math.min(limit, bytes.length);
  // Step back over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** `00000000  fe ca 01 00 …  |....|`, 16 bytes a line. */
export function hexDump(bytes: Buffer): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = [...row].map(b => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row]
      .map(b => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'))
      .join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  return lines.join('\n');
}
