import type { PageMeta, ValueMeta } from '../../codec.js';
import { decodeEntry } from '../../codec.js';
import { plainIntegerOf } from '../../counter.js';
import { DependencyTracker } from '../../dependency-tracker.js';
import { CommandError, type CliContext, type Command } from '../command.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  json,
  printable,
  table,
  viewBytes,
  type BytesView,
} from '../format.js';

/** Preview sizes without `--body`. */
const BODY_PREVIEW_BYTES = 512;
const VALUE_PREVIEW_CHARS = 2_000;

/** What `show --json` prints (besides `key` and `fullKey`). */
export type ShownEntry =
  | {
      type: 'page';
      status: number;
      headers: [string, string][];
      etag: string;
      storedAt: string;
      ageMs: number;
      /** TTL it was stored with (0: never expires). */
      ttlMs: number;
      /** Until it is stale (negative: stale for that long); null when it never expires. */
      freshForMs: number | null;
      /** Until Redis drops it (TTL plus grace); null when it never expires. */
      expiresInMs: number | null;
      models: string[];
      /** False when a model it was built from was invalidated since: it will not be served. */
      current: boolean;
      renderMs: number | null;
      bodyBytes: number;
      storedBytes: number;
      body: BytesView;
    }
  | {
      type: 'value';
      kind: ValueMeta['k'];
      bytes: number;
      storedBytes: number;
      expiresInMs: number | null;
      models: string[];
      current: boolean;
      /** The decoded value, for JSON values shown whole. */
      value?: unknown;
      preview: BytesView;
    }
  /** `value` is a string beyond ±(2^53 - 1), where a JSON number would not stay exact. */
  | { type: 'integer'; value: number | string; expiresInMs: number | null }
  | {
      type: 'foreign';
      redisType: string;
      reason: string;
      bytes?: number;
      preview?: BytesView;
      expiresInMs: number | null;
    };

/**
 * `show`: one key decoded as the cache reads it — what `redis-cli GET` shows as bytes of its
 * binary format: a page's status, headers, age and models, whether it is still current, its body.
 */
export const show: Command = {
  usage: 'show <key> [--body]',
  summary: 'Decode one entry: a page (status, headers, age, TTL, models) or a value',
  args: [1, 1],
  options: ['body'],
  details: `The key is given without its namespace, as \`keys\` prints it. A page shows its status,
headers, body size, age, time to live, the models it was built from and whether it is still
current, its ETag, render time and the start of its body; a value its kind, size and content; a
counter its value. Bytes that are not an entry of this cache are reported as such. Exits with 1
when the key does not exist, or is one of the cache's bookkeeping keys (~idx:, ~gen:, ~lock:,
~fill:): plain Redis sets and strings, which redis-cli shows as they are.

  --body        print the whole body or value instead of a preview`,
  run: showKey,
};

async function showKey(ctx: CliContext): Promise<number> {
  const key = ctx.line.args[0];
  if (key.startsWith('~')) {
    throw new CommandError(
      `${printable(key)} is bookkeeping of the cache (an index set, a token or a lock): plain Redis data, for redis-cli (SMEMBERS, GET).`,
    );
  }
  const full = `${ctx.namespace}:${key}`;
  const { client } = ctx.conn;
  const [type, pttl] = await Promise.all([client.type(full), client.pttl(full)]);
  if (type === 'none') {
    ctx.io.err(`No key ${printable(full)}.\n`);
    return 1;
  }
  const expiresInMs = pttl >= 0 ? pttl : null;
  let entry: ShownEntry;
  if (type !== 'string') {
    entry = {
      type: 'foreign',
      redisType: type,
      reason: `a Redis ${type}, not an entry of this cache`,
      expiresInMs,
    };
  } else {
    const raw = await client.getBuffer(full);
    if (raw === null) {
      ctx.io.err(`No key ${printable(full)}.\n`);
      return 1;
    }
    entry = await describeString(ctx, raw, expiresInMs);
  }
  ctx.io.out(ctx.line.json ? json({ key, fullKey: full, ...entry }) : showText(full, entry));
  return 0;
}

async function describeString(
  ctx: CliContext,
  raw: Buffer,
  expiresInMs: number | null,
): Promise<ShownEntry> {
  const integer = plainIntegerOf(raw);
  if (integer !== undefined) {
    const value = typeof integer === 'bigint' ? String(integer) : integer;
    return { type: 'integer', value, expiresInMs };
  }
  const preview = (bytes: Buffer, contentType?: string) =>
    viewBytes(bytes, {
      limit: ctx.line.body ? Infinity : BODY_PREVIEW_BYTES,
      contentType,
      json: ctx.line.json,
    });
  const decoded = decodeEntry(raw);
  if (decoded === undefined) {
    return {
      type: 'foreign',
      redisType: 'string',
      reason:
        'not an entry of this cache (foreign, corrupt, or written in another format version); ' +
        'the cache treats it as a miss and replaces it',
      bytes: raw.length,
      preview: preview(raw),
      expiresInMs,
    };
  }
  const deps = decoded.meta.d ?? [];
  const current =
    deps.length === 0 ||
    DependencyTracker.isCurrent(decoded.meta.g, await ctx.tracker.currentGenerations(deps));
  // A page also depends on its URL tags (`@path:`, `@url:`, replaced by expirePage): not models.
  const models = deps.filter(dep => !dep.startsWith('@'));
  if (decoded.meta.k === 'page') {
    const meta = decoded.meta as PageMeta;
    const now = Date.now();
    const contentType = meta.h.find(([name]) => name === 'content-type')?.[1];
    return {
      type: 'page',
      status: meta.s,
      headers: meta.h,
      etag: meta.e,
      storedAt: new Date(meta.t).toISOString(),
      ageMs: now - meta.t,
      ttlMs: meta.l,
      freshForMs: meta.l > 0 ? meta.t + meta.l - now : null,
      expiresInMs,
      models,
      current,
      renderMs: typeof meta.r === 'number' ? meta.r : null,
      bodyBytes: decoded.payload.length,
      storedBytes: raw.length,
      body: preview(decoded.payload, contentType),
    };
  }
  const meta = decoded.meta as ValueMeta;
  const entry: ShownEntry = {
    type: 'value',
    kind: meta.k,
    bytes: decoded.payload.length,
    storedBytes: raw.length,
    expiresInMs,
    models,
    current,
    preview: preview(decoded.payload, meta.k === 'json' ? 'application/json' : undefined),
  };
  if (meta.k === 'json') {
    try {
      const value: unknown = JSON.parse(decoded.payload.toString('utf8'));
      const pretty = JSON.stringify(value, null, 2);
      const cut = ctx.line.body ? pretty.length : VALUE_PREVIEW_CHARS;
      entry.preview = {
        encoding: 'utf8',
        text: pretty.slice(0, cut),
        omittedBytes: pretty.length > cut ? Buffer.byteLength(pretty.slice(cut)) : 0,
      };
      if (entry.preview.omittedBytes === 0) entry.value = value;
    } catch {
      return {
        type: 'foreign',
        redisType: 'string',
        reason: 'an entry of this cache whose JSON is corrupt; the cache treats it as a miss',
        bytes: raw.length,
        preview: entry.preview,
        expiresInMs,
      };
    }
  }
  return entry;
}

function showText(full: string, entry: ShownEntry): string {
  const expiry = (ms: number | null) => (ms === null ? 'never' : `in ${formatDuration(ms)}`);
  const models = (list: string[]) => (list.length ? list.join(', ') : '(none)');
  const current = (yes: boolean) =>
    yes ? 'yes' : 'no: a model it was built from was invalidated since; it will not be served';
  const title = printable(full);
  switch (entry.type) {
    case 'page': {
      const fresh =
        entry.freshForMs === null
          ? 'never expires (ttl 0)'
          : entry.freshForMs >= 0
            ? `fresh for ${formatDuration(entry.freshForMs)} (ttl ${formatDuration(entry.ttlMs)})`
            : `stale for ${formatDuration(-entry.freshForMs)}, kept for its grace period (ttl ${formatDuration(entry.ttlMs)})`;
      const stored =
        entry.storedBytes !== entry.bodyBytes
          ? ` (entry ${formatBytes(entry.storedBytes)} in Redis)`
          : '';
      const headers = entry.headers.map(
        ([name, value]) => `  ${printable(name)}: ${printable(value)}`,
      );
      return [
        `Page ${title}`,
        table([
          ['status', String(entry.status)],
          ['age', `${formatDuration(entry.ageMs)} (stored ${entry.storedAt})`],
          ['ttl', fresh],
          ['expires', expiry(entry.expiresInMs)],
          ['models', models(entry.models)],
          ['current', current(entry.current)],
          ['etag', entry.etag],
          ['render', entry.renderMs === null ? '?' : `${entry.renderMs} ms`],
          ['body', `${formatBytes(entry.bodyBytes)}${stored}`],
        ]),
        `Headers${headers.length ? '' : ' (none)'}`,
        ...headers,
        bytesText('Body', entry.body),
      ].join('\n');
    }
    case 'value':
      return [
        `Value ${title}`,
        table([
          ['kind', entry.kind],
          [
            'size',
            `${formatBytes(entry.bytes)} (entry ${formatBytes(entry.storedBytes)} in Redis)`,
          ],
          ['expires', expiry(entry.expiresInMs)],
          ['models', models(entry.models)],
          ['current', current(entry.current)],
        ]),
        bytesText('Value', entry.preview),
      ].join('\n');
    case 'integer':
      return `Counter ${title}\n${table([
        ['value', String(entry.value)],
        ['expires', expiry(entry.expiresInMs)],
      ])}\n`;
    case 'foreign':
      return [
        `Not a cache entry: ${title}`,
        `  ${entry.reason}`,
        ...(entry.bytes === undefined ? [] : [`  ${formatBytes(entry.bytes)}`]),
        ...(entry.preview ? [bytesText('Bytes', entry.preview)] : ['']),
      ].join('\n');
  }
}

function bytesText(label: string, view: BytesView): string {
  const note =
    view.omittedBytes > 0
      ? ` (first part; ${formatCount(view.omittedBytes)} more bytes, --body for all)`
      : '';
  const hex = view.encoding === 'hex' ? ', hex' : '';
  const text = view.encoding === 'utf8' ? printable(view.text, true) : view.text;
  return `${label}${hex}${note}\n${text}${text.endsWith('\n') ? '' : '\n'}`;
}
