import { decodeEntry, type PageMeta, type ValueMeta } from '../../codec.js';
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

/** Preview size without `--body`. */
const PREVIEW_BYTES = 1024;

/**
 * `show`: one key decoded as the cache reads it, where `redis-cli GET` shows the bytes of its
 * binary format: what it is, the models it was built from and whether it is still current, how
 * long it lives, its size and the start of its content.
 */
export const show: Command = {
  usage: 'show <key>',
  summary: 'Decode one entry: kind, models, whether it is current, TTL, size, content',
  args: [1, 1],
  options: { body: '--body        print the whole body or value instead of a preview' },
  async run(ctx) {
    const key = ctx.line.args[0];
    if (key.startsWith('~')) {
      throw new CommandError(
        `${printable(key)} is bookkeeping of the cache (an index set, a token or a lock): plain Redis data, for redis-cli (SMEMBERS, GET).`,
      );
    }
    const full = `${ctx.namespace}:${key}`;
    const { client } = ctx.conn;
    const [type, pttl] = await Promise.all([client.type(full), client.pttl(full)]);
    const raw = type === 'string' ? await client.getBuffer(full) : null;
    if (type === 'none' || (type === 'string' && raw === null)) {
      ctx.io.err(`No key ${printable(full)}.\n`);
      return 1;
    }
    const expiresInMs = pttl >= 0 ? pttl : null;
    const entry = {
      ...((raw && (await describe(ctx, raw))) ?? { type: 'foreign' as const, redisType: type }),
      expiresInMs,
    };
    ctx.io.out(ctx.line.json ? json({ key, fullKey: full, ...entry }) : showText(full, entry));
    return 0;
  },
};

/** An entry of the cache, decoded; `undefined` for bytes the cache does not read. */
async function describe(ctx: CliContext, raw: Buffer) {
  const integer = plainIntegerOf(raw);
  if (integer !== undefined) {
    // Beyond ±(2^53 - 1) a string, where a JSON number would not stay exact.
    return {
      type: 'integer' as const,
      value: typeof integer === 'bigint' ? String(integer) : integer,
    };
  }
  const decoded = decodeEntry(raw);
  if (decoded === undefined) return undefined;
  const preview = (bytes: Buffer, contentType?: string) =>
    viewBytes(bytes, ctx.line.body ? Infinity : PREVIEW_BYTES, contentType);
  const deps = decoded.meta.d ?? [];
  const judged = {
    // A page also depends on its URL tags (`@path:`, `@url:`, replaced by expirePage): not models.
    models: deps.filter(dep => !dep.startsWith('@')),
    // False when a model it was built from was invalidated since: it will not be served.
    current:
      deps.length === 0 ||
      DependencyTracker.isCurrent(decoded.meta.g, await ctx.tracker.currentGenerations(deps)),
  };
  if (decoded.meta.k === 'page') {
    const meta = decoded.meta as PageMeta;
    const ageMs = Date.now() - meta.t;
    const contentType = meta.h.find(([name]) => name === 'content-type')?.[1];
    return {
      type: 'page' as const,
      status: meta.s,
      headers: meta.h,
      ageMs,
      // TTL it was stored with (0: never expires).
      ttlMs: meta.l,
      // Until it is stale (negative: stale for that long); null when it never expires.
      freshForMs: meta.l > 0 ? meta.l - ageMs : null,
      ...judged,
      bodyBytes: decoded.payload.length,
      body: preview(decoded.payload, contentType),
    };
  }
  const kind = (decoded.meta as ValueMeta).k;
  let value: unknown;
  try {
    value = kind === 'json' ? JSON.parse(decoded.payload.toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
  const shown = kind === 'json' ? Buffer.from(JSON.stringify(value, null, 2)) : decoded.payload;
  const view = preview(shown, kind === 'json' ? 'application/json' : undefined);
  return {
    type: 'value' as const,
    kind,
    bytes: decoded.payload.length,
    ...judged,
    // A JSON value, decoded, when it is shown whole.
    ...(kind === 'json' && view.omittedBytes === 0 ? { value } : {}),
    preview: view,
  };
}

type Shown =
  NonNullable<Awaited<ReturnType<typeof describe>>> | { type: 'foreign'; redisType: string };

function showText(full: string, entry: Shown & { expiresInMs: number | null }): string {
  const title = printable(full);
  const expires = [
    'expires',
    entry.expiresInMs === null ? 'never' : `in ${formatDuration(entry.expiresInMs)}`,
  ] as const;
  if (entry.type === 'integer') {
    return `Counter ${title}\n${table([['value', String(entry.value)], expires])}\n`;
  }
  if (entry.type === 'foreign') {
    return `Not a cache entry: ${title}\n  a Redis ${entry.redisType} this cache does not read (foreign, corrupt, or of another format version); redis-cli shows it as it is\n`;
  }
  const judged = [
    ['models', entry.models.length ? entry.models.join(', ') : '(none)'],
    [
      'current',
      entry.current
        ? 'yes'
        : 'no: a model it was built from was invalidated since; it will not be served',
    ],
  ] as const;
  if (entry.type === 'value') {
    return `Value ${title}\n${table([['kind', entry.kind], ['size', formatBytes(entry.bytes)], expires, ...judged])}\n${bytesText('Value', entry.preview)}`;
  }
  const { freshForMs: fresh, ttlMs } = entry;
  const ttl =
    fresh === null
      ? 'never expires (ttl 0)'
      : fresh >= 0
        ? `fresh for ${formatDuration(fresh)} (ttl ${formatDuration(ttlMs)})`
        : `stale for ${formatDuration(-fresh)}, kept for its grace period (ttl ${formatDuration(ttlMs)})`;
  return [
    `Page ${title}`,
    table([
      ['status', String(entry.status)],
      ['age', formatDuration(entry.ageMs)],
      ['ttl', ttl],
      expires,
      ...judged,
      ['body', formatBytes(entry.bodyBytes)],
    ]),
    `Headers${entry.headers.length ? '' : ' (none)'}`,
    ...entry.headers.map(([name, value]) => `  ${printable(name)}: ${printable(value)}`),
    bytesText('Body', entry.body),
  ].join('\n');
}

function bytesText(label: string, view: BytesView): string {
  const note =
    view.omittedBytes > 0
      ? ` (first part; ${formatCount(view.omittedBytes)} more bytes, --body for all)`
      : '';
  const base64 = view.encoding === 'base64' ? ', base64' : '';
  const text = view.encoding === 'utf8' ? printable(view.text, true) : view.text;
  return `${label}${base64}${note}\n${text}${text.endsWith('\n') ? '' : '\n'}`;
}
