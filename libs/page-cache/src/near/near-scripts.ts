import type { Cluster, Redis } from 'ioredis';

/** Most keys one `UNLINK` of the announcement script names (Lua's `unpack` has a limit). */
const UNLINK_BATCH = 500;

/** How long a lapsed holder stays in the registry before a renewal sweeps it out (ms). */
const SWEEP_AFTER_MS = 60_000;

// Redis time, in ms, as every holder's expiry is kept: one clock for the whole registry.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// The registry's life (KEYS[2], a hash without expiry): which server life it belongs to (run_id
// and replication id: a restart, a failover or a resync is a new life), since when (Redis time),
// and the longest lease registered in it. Whichever script runs first in a new life starts it: a
// registry that may have lost leases granted before says so for a lease from then on — also when
// leases were registered in this life but the registry is gone (evicted, deleted, or expired after
// a minute without a renewal): holders leave it lapsed, not removed (see `NearLease.close`). A server
// that refuses INFO (an ACL) is known only by the hash itself: lost with the data, kept by a
// failover (see docs/near-cache.md).
const LIFE = `local function info(section, field)
  local r = redis.pcall('INFO', section)
  if type(r) ~= 'string' then return '' end
  return string.match(r, field .. ':(%x+)') or ''
end
local runid = info('server', 'run_id')
local life = runid .. '/' .. info('replication', 'master_replid')
local reg = redis.call('HMGET', KEYS[2], 'life', 'since', 'lease')
if reg[1] ~= life or (reg[3] and redis.call('EXISTS', KEYS[1]) == 0) then
  reg = {life, now, false}
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[2], 'life', life, 'since', now)
end`;

// KEYS: the registry, its life, then keys to delete first (`UNLINK`), so that a write and its
// announcement are one call, the announcement published once the keys are gone — and last, the
// index sets (ARGV[3]: how many) whose entries go with them: each set of at most ARGV[4] members
// is read, its entries deleted and added to the announcement, and the set deleted; a larger one
// is left to the caller. ARGV: channel, announcement (JSON). Returns Redis now, the live holders
// with their expiries, when the registry's life began, the longest lease registered in it (0:
// none yet), how many keys were deleted, how many entries, the entries read from the sets, 1 or
// 0 per set (done, or left), and Redis's refusal of `PUBLISH` if any (an ACL: the keys are
// deleted all the same). The announcement is published only when someone is there to hear it,
// numbered in the life (`{n}|{message}`): a holder that finds a number skipped, here or in a
// ping, missed one.
const ANNOUNCE = `local sets = tonumber(ARGV[3] or '0')
local last = #KEYS - sets
local deleted, removed, entries, done, message = 0, 0, {}, {}, ARGV[2]
for i = 3, last, ${UNLINK_BATCH} do
  deleted = deleted + redis.call('UNLINK', unpack(KEYS, i, math.min(i + ${UNLINK_BATCH - 1}, last)))
end
for i = last + 1, #KEYS do
  if redis.call('TYPE', KEYS[i]).ok ~= 'set' then
    done[#done + 1] = 1
  elseif redis.call('SCARD', KEYS[i]) > tonumber(ARGV[4]) then
    done[#done + 1] = 0
  else
    local members = redis.call('SMEMBERS', KEYS[i])
    for j = 1, #members, ${UNLINK_BATCH} do
      removed = removed + redis.call('UNLINK', unpack(members, j, math.min(j + ${UNLINK_BATCH - 1}, #members)))
    end
    for _, member in ipairs(members) do entries[#entries + 1] = member end
    redis.call('DEL', KEYS[i])
    done[#done + 1] = 1
  end
end
if #entries > 0 then
  local announcement = cjson.decode(message)
  for _, entry in ipairs(entries) do table.insert(announcement.k, entry) end
  message = cjson.encode(announcement)
end
${NOW}
${LIFE}
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
local refused = false
if #live > 0 then
  local sent = redis.pcall('PUBLISH', ARGV[1], redis.call('HINCRBY', KEYS[2], 'n', 1) .. '|' .. message)
  if type(sent) == 'table' and sent.err then refused = sent.err end
end
return {now, live, tonumber(reg[2]), tonumber(reg[3] or 0), deleted, removed, entries, done, refused}`;

/**
 * The near cache's scripts. Each touches the registry (KEYS[1]) and its life (KEYS[2]), in one
 * hash slot, so each is atomic and valid on a Cluster.
 */
const SCRIPTS = {
  // ARGV: holder id, lease ms, ping channel, renewal. Registers or renews the lease, sweeps
  // holders long gone, keeps the registry alive, and pings the holder's own channel with the
  // renewal, the run_id of the server that published it and the number of the life's last
  // announcement (see `parsePing`). Returns Redis now and when the registry's life began.
  pcNearRenew: {
    numberOfKeys: 2,
    lua: `${NOW}
${LIFE}
local lease = tonumber(ARGV[2])
if not reg[3] or tonumber(reg[3]) < lease then redis.call('HSET', KEYS[2], 'lease', lease) end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ${SWEEP_AFTER_MS})
local keep = lease + ${SWEEP_AFTER_MS}
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
redis.call('PUBLISH', ARGV[3], ARGV[4] .. '|' .. runid .. '|' .. (redis.call('HGET', KEYS[2], 'n') or '0'))
return {now, tonumber(reg[2])}`,
  },
  // ARGV: channel, announcement. See ANNOUNCE.
  pcNearAnnounce: { numberOfKeys: 2, lua: ANNOUNCE },
  // The same with keys to delete after the registry and its life (`numberOfKeys`: 2 and them),
  // on a standalone Redis: ioredis routes a call on a Cluster by its first argument.
  pcNearDeleteAnnounce: { lua: ANNOUNCE },
} as const;

/** The announcement script's reply (see `ANNOUNCE`). */
export type AnnounceReply = [
  now: number,
  live: string[],
  since: number,
  leaseMs: number,
  deleted: number,
  removed: number,
  entries: string[],
  done: number[],
  refusal: string | null,
];

/** A client that carries the near cache's scripts. */
export type NearClient = (Redis | Cluster) & {
  pcNearRenew(
    key: string,
    life: string,
    id: string,
    leaseMs: number,
    channel: string,
    ping: string,
  ): Promise<[number, number]>;
  pcNearAnnounce(
    key: string,
    life: string,
    channel: string,
    message: string,
  ): Promise<AnnounceReply>;
  /**
   * `numberOfKeys`: 2, the keys to delete and the index sets; then the registry, its life, those
   * keys, the sets, the channel, the message, how many sets, their most members.
   */
  pcNearDeleteAnnounce(
    numberOfKeys: number,
    ...keysThenArguments: (string | number)[]
  ): Promise<AnnounceReply>;
};

/** Defines the scripts on `client` (once: a lent client may carry them already). */
export function withNearScripts(client: Redis | Cluster): NearClient {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    if (!(name in client)) client.defineCommand(name, script);
  }
  return client as NearClient;
}
