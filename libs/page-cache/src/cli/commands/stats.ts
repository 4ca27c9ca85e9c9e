import { namespacedGlob } from '../../keys.js';
import { startProgress, type CliContext, type Command } from '../command.js';
import { formatBytes, formatCount, formatDuration, formatPercent, json, table } from '../format.js';
import { kindOfKey, viewOfPageKey } from '../key-kinds.js';
import { Distinct, scanKeys } from '../scan.js';

/** What `stats --json` prints. */
type StatsReport = Awaited<ReturnType<typeof read>>;

/**
 * `stats`: what `redis-cli INFO` cannot say — the namespace's keys by kind and pages by view —
 * beside the server's hit ratio, memory and evictions. All of it is Redis's, not this process's
 * (`CacheService.stats()` counts one app process), so it is read from the connection.
 */
export const stats: Command = {
  usage: 'stats',
  summary: 'Hit ratio, memory and evictions of Redis, and the namespace keys by kind',
  args: [0, 0],
  options: [],
  details: `Server-wide figures come from INFO (keyspace hits and misses since the server started or
CONFIG RESETSTAT, used memory, maxmemory and its policy, evicted keys). The namespace's keys are
counted by kind with SCAN: pages, values, dependency index sets, generation tokens, locks and fill
locks, and pages per view. Kinds are told apart by key name.`,
  async run(ctx) {
    const report = await read(ctx);
    ctx.io.out(ctx.line.json ? json(report) : statsText(report));
    return 0;
  },
};

async function read(ctx: CliContext) {
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

  return {
    server: {
      target: ctx.conn.description,
      mode: ctx.conn.isCluster ? 'cluster' : 'standalone',
      // The masters of a Cluster.
      servers: servers.length,
      version: infos[0]?.get('redis_version') ?? null,
      uptimeSeconds: infos.length
        ? Math.min(...infos.map(info => number(info.get('uptime_in_seconds'))))
        : null,
    },
    // Server-wide, since the server started or CONFIG RESETSTAT (summed over masters).
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
      // 0: no limit.
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
      // False when SCAN duplicates could not all be dropped (over a million keys).
      exact: distinct.exact,
    },
  };
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

function number(text: string | undefined): number {
  const value = Number(text);
  return Number.isFinite(value) ? value : 0;
}
