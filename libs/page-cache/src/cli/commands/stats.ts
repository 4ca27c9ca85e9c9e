import type { CliContext, Command } from '../command.js';
import { formatBytes, formatCount, formatPercent, json, table } from '../format.js';
import { kindOfKey, viewOfPageKey, type KeyKind } from '../key-kinds.js';
import { forEachKey } from '../scan.js';
import { NearNames } from '../../near/near-names.js';

/** Each kind of key as `stats` reports it: its `--json` field and its label. */
const KINDS = {
  page: ['pages', 'pages'],
  value: ['values', 'values'],
  index: ['indexSets', 'index sets'],
  token: ['tokens', 'tokens'],
  lock: ['locks', 'locks'],
  fill: ['fills', 'fill locks'],
  internal: ['otherInternal', 'other'],
} as const satisfies Record<KeyKind, readonly [field: string, label: string]>;

/**
 * `stats`: what `redis-cli INFO` cannot say — the namespace's keys by kind and pages by view —
 * beside the server's hit ratio, memory and evictions. All of it is Redis's, not this process's
 * (`CacheService.stats()` counts one app process), so it is read from the connection.
 */
export const stats: Command = {
  usage: 'stats',
  summary: 'Hit ratio, memory and evictions of Redis; the namespace keys by kind',
  args: [0, 0],
  async run(ctx) {
    const report = await read(ctx);
    ctx.io.out(ctx.line.json ? json(report) : statsText(report));
    return 0;
  },
};

async function read(ctx: CliContext) {
  const infos = await Promise.all(ctx.conn.servers().map(async s => parseInfo(await s.info())));
  // INFO fields absent on a server (or not numbers) count as 0.
  const field = (info: Map<string, string>, name: string) => Number(info.get(name)) || 0;
  const sum = (name: string) => infos.reduce((total, info) => total + field(info, name), 0);
  const hits = sum('keyspace_hits');
  const misses = sum('keyspace_misses');
  const policies = new Set(infos.map(info => info.get('maxmemory_policy')).filter(Boolean));

  const counts = Object.fromEntries(Object.values(KINDS).map(([field]) => [field, 0])) as Record<
    (typeof KINDS)[KeyKind][0],
    number
  >;
  const pagesByView = new Map<string, number>();
  const exact = await forEachKey(ctx, `stats ${ctx.namespace}`, key => {
    const kind = kindOfKey(key);
    counts[KINDS[kind][0]] += 1;
    if (kind === 'page') {
      const view = viewOfPageKey(key);
      pagesByView.set(view, (pagesByView.get(view) ?? 0) + 1);
    }
  });

  return {
    near: { holders: await nearHolders(ctx) },
    server: {
      target: ctx.conn.description,
      mode: ctx.conn.isCluster ? 'cluster' : 'standalone',
      // The masters of a Cluster.
      servers: infos.length,
      version: infos[0]?.get('redis_version') ?? null,
    },
    // Server-wide, since the server started or CONFIG RESETSTAT (summed over masters).
    keyspace: {
      hits,
      misses,
      hitRatio: hits + misses > 0 ? hits / (hits + misses) : null,
      evictedKeys: sum('evicted_keys'),
    },
    memory: {
      usedBytes: sum('used_memory'),
      // 0: no limit.
      maxmemoryBytes: infos.some(info => field(info, 'maxmemory') === 0) ? 0 : sum('maxmemory'),
      policy: policies.size ? [...policies].join(', ') : null,
    },
    namespace: {
      name: ctx.namespace,
      keys: Object.values(counts).reduce((total, n) => total + n, 0),
      ...counts,
      pagesByView: Object.fromEntries([...pagesByView].sort((a, b) => b[1] - a[1])),
      // False when SCAN duplicates could not all be dropped (over a million keys).
      exact,
    },
  };
}

function statsText({
  near,
  server,
  keyspace,
  memory,
  namespace,
}: Awaited<ReturnType<typeof read>>) {
  const nodes = server.mode === 'cluster' ? `, ${server.servers} masters` : '';
  const max = memory.maxmemoryBytes
    ? ` of ${formatBytes(memory.maxmemoryBytes)} (${formatPercent(memory.usedBytes / memory.maxmemoryBytes)})`
    : ', no maxmemory';
  const kinds = Object.values(KINDS).filter(
    ([field]) => field !== 'otherInternal' || namespace[field],
  );
  const views = Object.entries(namespace.pagesByView);
  const sections = [
    `Redis ${server.version ?? '?'} (${server.mode}${nodes}) at ${server.target}\n${table([
      [
        'hit ratio',
        `${formatPercent(keyspace.hitRatio)} (${formatCount(keyspace.hits)} hits, ${formatCount(keyspace.misses)} misses since start or CONFIG RESETSTAT)`,
      ],
      ['memory', `${formatBytes(memory.usedBytes)}${max}, policy ${memory.policy ?? '?'}`],
      ['evicted', `${formatCount(keyspace.evictedKeys)} keys`],
    ])}`,
    `Namespace ${namespace.name}: ${formatCount(namespace.keys)} keys${namespace.exact ? '' : ' (approximate: SCAN may count a key twice)'}\n${table(
      kinds.map(([field, label]) => [label, formatCount(namespace[field])]),
    )}`,
  ];
  if (views.length > 0) {
    const top = views.slice(0, 20).map(([view, n]) => [view, formatCount(n)] as const);
    const rest = views.length > 20 ? `\n  … ${views.length - 20} more views` : '';
    sections.push(`Pages by view\n${table(top)}${rest}`);
  }
  sections.push(
    `Near cache: ${formatCount(near.holders)} ${near.holders === 1 ? 'process holds' : 'processes hold'} a live lease (its invalidations wait for them)`,
  );
  return `${sections.join('\n\n')}\n`;
}

/**
 * How many processes hold a live near-cache lease on the namespace: the registry's members whose
 * expiry (Redis time) is still ahead. Every invalidation waits for each of them, or its lease.
 */
async function nearHolders(ctx: CliContext): Promise<number> {
  const { client } = ctx.conn;
  const holders = new NearNames(ctx.namespace).holders;
  const [seconds, micros] = await client.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  return client.zcount(holders, `(${now}`, '+inf');
}

/** Parses `INFO` output into `field → value`. */
export function parseInfo(text: string): Map<string, string> {
  const fields = text.matchAll(/^([^#:\r\n][^:\r\n]*):(.*?)\r?$/gm);
  return new Map([...fields].map(([, name, value]) => [name, value.trim()]));
}
