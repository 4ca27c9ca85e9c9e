import type { PageMeta, ValueMeta } from '../codec.js';
import { decodeEntry } from '../codec.js';
import { plainIntegerOf } from '../counter.js';
import { DependencyTracker } from '../dependency-tracker.js';
import { namespacedGlob } from '../keys.js';
import { InvalidationPipeline } from '../invalidation/invalidation-pipeline.js';
import { invalidationTargets } from '../models.js';
import type { CommandLine, CommandName } from './args.js';
import type { Connection } from './connection.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatPercent,
  printable,
  table,
} from './format.js';
import type { CliIO } from './io.js';
import { kindOfKey, parseInfo, viewBytes, viewOfPageKey, type BytesView } from './inspect.js';
import { Distinct, Progress, scanKeys, SILENT } from './scan.js';

/** Everything a command works with. */
export interface CliContext {
  io: CliIO;
  conn: Connection;
  line: CommandLine;
  /** `{prefix}:{version}`. */
  namespace: string;
  /** The library's dependency tracker over the connection's store. */
  tracker: DependencyTracker;
  /** The path every invalidation of the library takes, over that tracker. */
  pipeline: InvalidationPipeline;
}

/** Runs one command; resolves with the exit code. */
export type Command = (ctx: CliContext) => Promise<number>;

/** A failure to report as such (exit code 1), without a stack trace. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** Preview sizes of `show` without `--body`. */
const BODY_PREVIEW_BYTES = 512;
const VALUE_PREVIEW_CHARS = 2_000;
const SET_PREVIEW_MEMBERS = 20;

export const COMMAND_IMPLEMENTATIONS: Record<CommandName, Command> = {
  stats,
  keys,
  show,
  invalidate,
  expire,
  clear,
};

/** Builds the context of a command over an open connection. */
export function createContext(
  io: CliIO,
  conn: Connection,
  line: CommandLine,
  namespace: string,
): CliContext {
  const tracker = new DependencyTracker(conn.store, namespace);
  return { io, conn, line, namespace, tracker, pipeline: new InvalidationPipeline(tracker) };
}

// ---------------------------------------------------------------------------------------------
// stats
// ---------------------------------------------------------------------------------------------

/** What `stats --json` prints. */
export interface StatsReport {
  server: {
    target: string;
    mode: 'standalone' | 'cluster';
    /** Servers read (the masters of a Cluster). */
    servers: number;
    version: string | null;
    uptimeSeconds: number | null;
  };
  /** Server-wide, since the server started or CONFIG RESETSTAT (summed over masters). */
  keyspace: {
    hits: number;
    misses: number;
    hitRatio: number | null;
    evictedKeys: number;
    expiredKeys: number;
    keys: number;
  };
  memory: {
    usedBytes: number;
    peakBytes: number;
    /** 0: no limit. */
    maxmemoryBytes: number;
    policy: string | null;
  };
  namespace: {
    name: string;
    keys: number;
    pages: number;
    values: number;
    indexSets: number;
    tokens: number;
    locks: number;
    fills: number;
    otherInternal: number;
    pagesByView: Record<string, number>;
    /** False when SCAN duplicates could not all be dropped (over a million keys). */
    exact: boolean;
  };
}

async function stats(ctx: CliContext): Promise<number> {
  const servers = ctx.conn.servers();
  const infos = await Promise.all(servers.map(async server => parseInfo(await server.info())));
  const sizes = await Promise.all(servers.map(server => server.dbsize()));
  const sum = (field: string) => infos.reduce((total, info) => total + number(info.get(field)), 0);
  const hits = sum('keyspace_hits');
  const misses = sum('keyspace_misses');
  const policies = [...new Set(infos.map(info => info.get('maxmemory_policy') ?? ''))].filter(
    Boolean,
  );

  const counts = { page: 0, value: 0, index: 0, token: 0, lock: 0, fill: 0, internal: 0 };
  const pagesByView = new Map<string, number>();
  const distinct = new Distinct();
  const skip = ctx.namespace.length + 1;
  const progress = await startProgress(ctx, `stats ${ctx.namespace}`);
  for await (const batch of scanKeys(servers, namespacedGlob(ctx.namespace, '*'), progress)) {
    for (const full of batch) {
      if (!distinct.add(full)) continue;
      const key = full.slice(skip);
      const kind = kindOfKey(key);
      counts[kind] += 1;
      if (kind === 'page') {
        const view = viewOfPageKey(key);
        pagesByView.set(view, (pagesByView.get(view) ?? 0) + 1);
      }
    }
  }
  progress.done();

  const report: StatsReport = {
    server: {
      target: ctx.conn.description,
      mode: ctx.conn.isCluster ? 'cluster' : 'standalone',
      servers: servers.length,
      version: infos[0]?.get('redis_version') ?? null,
      uptimeSeconds: infos.length
        ? Math.min(...infos.map(info => number(info.get('uptime_in_seconds'))))
        : null,
    },
    keyspace: {
      hits,
      misses,
      hitRatio: hits + misses > 0 ? hits / (hits + misses) : null,
      evictedKeys: sum('evicted_keys'),
      expiredKeys: sum('expired_keys'),
      keys: sizes.reduce((total, n) => total + n, 0),
    },
    memory: {
      usedBytes: sum('used_memory'),
      peakBytes: sum('used_memory_peak'),
      maxmemoryBytes: infos.some(info => number(info.get('maxmemory')) === 0)
        ? 0
        : sum('maxmemory'),
      policy: policies.length ? policies.join(', ') : null,
    },
    namespace: {
      name: ctx.namespace,
      keys: Object.values(counts).reduce((total, n) => total + n, 0),
      pages: counts.page,
      values: counts.value,
      indexSets: counts.index,
      tokens: counts.token,
      locks: counts.lock,
      fills: counts.fill,
      otherInternal: counts.internal,
      pagesByView: Object.fromEntries([...pagesByView].sort((a, b) => b[1] - a[1])),
      exact: distinct.exact,
    },
  };
  if (ctx.line.json) {
    printJson(ctx, report);
    return 0;
  }
  ctx.io.out(statsText(report));
  return 0;
}

function statsText(report: StatsReport): string {
  const { server, keyspace, memory, namespace } = report;
  const about = namespace.exact ? '' : ' (approximate: SCAN may count a key twice)';
  const uptime =
    server.uptimeSeconds === null ? '' : `, up ${formatDuration(server.uptimeSeconds * 1000)}`;
  const nodes = server.mode === 'cluster' ? `, ${server.servers} masters` : '';
  const max =
    memory.maxmemoryBytes === 0
      ? 'none'
      : `${formatBytes(memory.maxmemoryBytes)} (${formatPercent(memory.usedBytes / memory.maxmemoryBytes)} used)`;
  const sections = [
    `Redis ${server.version ?? '?'} (${server.mode}${nodes}) at ${server.target}${uptime}`,
    `Keyspace (whole server, since it started or CONFIG RESETSTAT)\n${table([
      ['hits', formatCount(keyspace.hits)],
      ['misses', formatCount(keyspace.misses)],
      ['hit ratio', formatPercent(keyspace.hitRatio)],
      ['evicted keys', formatCount(keyspace.evictedKeys)],
      ['expired keys', formatCount(keyspace.expiredKeys)],
      ['keys', formatCount(keyspace.keys)],
    ])}`,
    `Memory\n${table([
      ['used', `${formatBytes(memory.usedBytes)} (peak ${formatBytes(memory.peakBytes)})`],
      ['maxmemory', max],
      ['policy', memory.policy ?? '?'],
    ])}`,
    `Namespace ${namespace.name}: ${formatCount(namespace.keys)} keys${about}\n${table([
      ['pages', formatCount(namespace.pages)],
      ['values', formatCount(namespace.values)],
      ['index sets', formatCount(namespace.indexSets)],
      ['tokens', formatCount(namespace.tokens)],
      ['locks', formatCount(namespace.locks)],
      ['fill locks', formatCount(namespace.fills)],
      ...(namespace.otherInternal > 0
        ? [['other', formatCount(namespace.otherInternal)] as const]
        : []),
    ])}`,
  ];
  const views = Object.entries(namespace.pagesByView);
  if (views.length > 0) {
    const top = views.slice(0, 20).map(([view, n]) => [view, formatCount(n)] as const);
    const rest = views.length > 20 ? `\n  … ${views.length - 20} more views` : '';
    sections.push(`Pages by view\n${table(top)}${rest}`);
  }
  return `${sections.join('\n\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// keys
// ---------------------------------------------------------------------------------------------

async function keys(ctx: CliContext): Promise<number> {
  const glob = ctx.line.args[0] ?? '*';
  if (glob.length === 0) throw new CommandError('The glob is empty; use * for every key.');
  const { limit, json } = ctx.line;
  const internal = ctx.line.internal || glob.startsWith('~');
  const skip = ctx.namespace.length + 1;
  const shown: string[] = [];
  let more = 0;
  const distinct = new Distinct();
  const progress = await startProgress(ctx, `keys ${ctx.namespace}`);
  const pattern = namespacedGlob(ctx.namespace, glob);
  for await (const batch of scanKeys(ctx.conn.servers(), pattern, progress)) {
    for (const full of batch) {
      const key = full.slice(skip);
      if ((!internal && key.startsWith('~')) || !distinct.add(key)) continue;
      if (limit !== 0 && shown.length >= limit) {
        more += 1;
        continue;
      }
      shown.push(key);
      // Printed as found, so a large keyspace shows results at once.
      if (!json) {
        progress.interrupt();
        ctx.io.out(`${printable(key)}\n`);
      }
    }
  }
  progress.done();
  if (json) {
    printJson(ctx, {
      namespace: ctx.namespace,
      glob,
      keys: shown,
      more,
      exact: distinct.exact,
    });
    return 0;
  }
  // Notes go to stderr, so stdout stays a clean list of keys for pipes.
  if (more > 0) {
    ctx.io.err(
      `… ${formatCount(more)} more, use --limit ${shown.length + more} (or --limit 0 for all)\n`,
    );
  } else if (shown.length === 0) {
    ctx.io.err(`No key of ${ctx.namespace} matches ${printable(glob)}.\n`);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// show
// ---------------------------------------------------------------------------------------------

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
  | { type: 'token'; value: string; expiresInMs: number | null }
  | { type: 'lock'; owner: string; expiresInMs: number | null }
  | { type: 'set'; size: number; members: string[]; expiresInMs: number | null }
  | {
      type: 'foreign';
      redisType: string;
      reason: string;
      bytes?: number;
      preview?: BytesView;
      expiresInMs: number | null;
    };

async function show(ctx: CliContext): Promise<number> {
  const key = ctx.line.args[0];
  const full = `${ctx.namespace}:${key}`;
  const { client } = ctx.conn;
  const [type, pttl] = await Promise.all([client.type(full), client.pttl(full)]);
  if (type === 'none') {
    ctx.io.err(`No key ${printable(full)}.\n`);
    return 1;
  }
  const expiresInMs = pttl >= 0 ? pttl : null;
  let entry: ShownEntry;
  if (type === 'set') {
    const size = await client.scard(full);
    const members = await ctx.conn.store.members(full);
    const prefix = `${ctx.namespace}:`;
    entry = {
      type: 'set',
      size,
      members: members
        .slice(0, ctx.line.body ? undefined : SET_PREVIEW_MEMBERS)
        .map(member => (member.startsWith(prefix) ? member.slice(prefix.length) : member)),
      expiresInMs,
    };
  } else if (type !== 'string') {
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
    entry = await describeString(ctx, key, raw, expiresInMs);
  }
  if (ctx.line.json) {
    printJson(ctx, { key, fullKey: full, ...entry });
    return 0;
  }
  ctx.io.out(showText(full, entry));
  return 0;
}

async function describeString(
  ctx: CliContext,
  key: string,
  raw: Buffer,
  expiresInMs: number | null,
): Promise<ShownEntry> {
  const kind = kindOfKey(key);
  if (kind === 'token') return { type: 'token', value: raw.toString('latin1'), expiresInMs };
  if (kind === 'lock' || kind === 'fill') {
    return { type: 'lock', owner: raw.toString('latin1'), expiresInMs };
  }
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
    case 'token':
      return `Generation token ${title}\n${table([
        ['token', printable(entry.value)],
        ['expires', expiry(entry.expiresInMs)],
      ])}\n`;
    case 'lock':
      return `Lock ${title}\n${table([
        ['owner', printable(entry.owner)],
        ['expires', expiry(entry.expiresInMs)],
      ])}\n`;
    case 'set': {
      const more =
        entry.size > entry.members.length
          ? [`  … ${entry.size - entry.members.length} more (--body for all)`]
          : [];
      return [
        `Index set ${title}`,
        table([
          ['members', formatCount(entry.size)],
          ['expires', expiry(entry.expiresInMs)],
        ]),
        'Entries',
        ...entry.members.map(member => `  ${printable(member)}`),
        ...more,
        '',
      ].join('\n');
    }
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

// ---------------------------------------------------------------------------------------------
// invalidate, expire
// ---------------------------------------------------------------------------------------------

async function invalidate(ctx: CliContext): Promise<number> {
  const [model, id] = ctx.line.args;
  try {
    invalidationTargets(model, id);
  } catch (error) {
    throw new CommandError((error as Error).message);
  }
  // The path CacheService.invalidate takes (but the edge purge, which is the app's).
  const removed = await ctx.pipeline.invalidate(model, id);
  const what = id === undefined ? model : `${model} ${id}`;
  if (ctx.line.json) {
    printJson(ctx, { namespace: ctx.namespace, model, id: id ?? null, removed });
  } else {
    ctx.io.out(`Removed ${entries(removed)} built from ${printable(what)} in ${ctx.namespace}.\n`);
  }
  return 0;
}

async function expire(ctx: CliContext): Promise<number> {
  const path = ctx.line.args[0];
  if (!path.startsWith('/')) {
    throw new CommandError(
      `Invalid page path: ${JSON.stringify(path)}. Expected a path such as /posts or /posts?page=2.`,
    );
  }
  // The path CacheService.expirePage takes (but the edge purge, which is the app's).
  const removed = await ctx.pipeline.expire(path);
  if (ctx.line.json) {
    printJson(ctx, { namespace: ctx.namespace, path, removed });
  } else {
    ctx.io.out(`Removed ${entries(removed)} of ${printable(path)} in ${ctx.namespace}.\n`);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// clear
// ---------------------------------------------------------------------------------------------

/** Whether `clear` may run: it needs `--yes` or someone to ask. Checked before connecting. */
export function clearRefusal(line: CommandLine, io: CliIO): string | undefined {
  if (line.command !== 'clear' || line.yes || io.interactive) return undefined;
  return 'Refusing to clear without confirmation: stdin is not a terminal. Re-run with --yes to delete every key of the namespace.';
}

async function clear(ctx: CliContext): Promise<number> {
  const servers = ctx.conn.servers();
  const pattern = namespacedGlob(ctx.namespace, '*');
  if (!ctx.line.yes) {
    let count = 0;
    const distinct = new Distinct();
    const progress = await startProgress(ctx, `counting ${ctx.namespace}`);
    for await (const batch of scanKeys(servers, pattern, progress)) {
      for (const key of batch) if (distinct.add(key)) count += 1;
    }
    progress.done();
    if (count === 0) {
      report(ctx, 0, `Nothing to delete: ${ctx.namespace} has no keys.`);
      return 0;
    }
    const answer = await ctx.io.ask(
      `Delete ${formatCount(count)} keys under ${ctx.namespace}:? [y/N] `,
    );
    if (!/^\s*y(es)?\s*$/i.test(answer)) {
      ctx.io.err('Cancelled; nothing was deleted.\n');
      return 1;
    }
  }
  let deleted = 0;
  const progress = await startProgress(ctx, `clearing ${ctx.namespace}`);
  for await (const batch of scanKeys(servers, pattern, progress)) {
    deleted += await ctx.conn.store.delete(batch);
  }
  progress.done();
  report(ctx, deleted, `Deleted ${formatCount(deleted)} keys under ${ctx.namespace}:.`);
  return 0;
}

function report(ctx: CliContext, deleted: number, text: string): void {
  if (ctx.line.json) printJson(ctx, { namespace: ctx.namespace, deleted });
  else ctx.io.out(`${text}\n`);
}

// ---------------------------------------------------------------------------------------------

async function startProgress(
  ctx: CliContext,
  label: string,
): Promise<Pick<Progress, 'advance' | 'interrupt' | 'done'>> {
  if (!ctx.line.progress && !ctx.io.stderrIsTTY) return SILENT;
  const sizes = await Promise.all(ctx.conn.servers().map(server => server.dbsize()));
  const total = sizes.reduce((sum, n) => sum + n, 0);
  return new Progress(text => ctx.io.err(text), label, total, ctx.io.stderrIsTTY);
}

function printJson(ctx: CliContext, value: unknown): void {
  ctx.io.out(`${JSON.stringify(value, null, 2)}\n`);
}

function entries(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'entry' : 'entries'}`;
}

function number(text: string | undefined): number {
  const value = Number(text);
  return Number.isFinite(value) ? value : 0;
}
