import type { Cluster, Redis } from 'ioredis';

/** How long a lapsed holder stays in the registry before a renewal sweeps it out (ms). */
const SWEEP_AFTER_MS = 60_000;

// Redis time, in ms, as every holder's expiry is kept: one clock for the whole registry.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * The near cache's scripts. Each touches one key, the registry (KEYS[1]), so each is atomic and
 * valid on a Cluster.
 */
const SCRIPTS = {
  // ARGV: holder id, lease ms, ping channel, ping payload. Registers or renews the lease, sweeps
  // holders long gone, keeps the registry alive, and pings the holder's own channel.
  pcNearRenew: {
    numberOfKeys: 1,
    lua: `${NOW}
local lease = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ${SWEEP_AFTER_MS})
local keep = lease + ${SWEEP_AFTER_MS}
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return now`,
  },
  // ARGV: channel, announcement. Returns Redis now and the live holders with their expiries; the
  // announcement is published only when someone is there to hear it.
  pcNearAnnounce: {
    numberOfKeys: 1,
    lua: `${NOW}
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
if #live > 0 then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return {now, live}`,
  },
} as const;

/** A client that carries the near cache's scripts. */
export type NearClient = (Redis | Cluster) & {
  pcNearRenew(
    key: string,
    id: string,
    leaseMs: number,
    channel: string,
    ping: string,
  ): Promise<number>;
  pcNearAnnounce(key: string, channel: string, message: string): Promise<[number, string[]]>;
};

/** Defines the scripts on `client` (once: a lent client may carry them already). */
export function withNearScripts(client: Redis | Cluster): NearClient {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    if (!(name in client)) client.defineCommand(name, script);
  }
  return client as NearClient;
}
