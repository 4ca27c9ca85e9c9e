import type { Cluster, Redis } from 'ioredis';

/**
 * Redis Cluster key slots: which of the 16384 hash slots a key lives in, as `CLUSTER KEYSLOT`
 * computes it (CRC16/XMODEM of the key's bytes, or of its hash tag, modulo 16384).
 *
 * Multi-key commands (`MGET`, `UNLINK`…) are only valid on a Cluster when every key is in one
 * slot, so the Redis store groups keys with {@link groupBySlot} and sends one command per slot.
 *
 * Not `cluster-key-slot` (ioredis 6.0's own dependency): after an empty tag `{}` it goes on to the
 * next `}` where Redis hashes the whole key, so user keys such as `q:{}:{"page":2}` would be
 * grouped into the wrong slot and fail with CROSSSLOT. It is archived, and ioredis vendors a fixed
 * copy since redis/ioredis#2172.
 */

/** Number of hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** CRC16/XMODEM (polynomial 0x1021, initial value 0), one entry per byte value. */
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    }
    table[byte] = crc & 0xffff;
  }
  return table;
})();

/** CRC16/XMODEM of `bytes[start..end)`. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  }
  return crc;
}

/**
 * The hash slot of a key. When the key holds a hash tag — the bytes between the first `{` and the
 * first `}` after it, if there is at least one byte between them — only the tag is hashed, so
 * `{user1}:a` and `{user1}:b` share a slot.
 */
export function keySlot(key: string | Buffer): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const open = bytes.indexOf(OPEN_BRACE);
  if (open >= 0) {
    const close = bytes.indexOf(CLOSE_BRACE, open + 1);
    if (close > open + 1) return crc16(bytes, open + 1, close) % CLUSTER_SLOTS;
  }
  return crc16(bytes) % CLUSTER_SLOTS;
}

/**
 * Groups keys by hash slot, keeping each key's position in `keys` so results can be put back in
 * order. Groups come in the order of their first key.
 */
export function groupBySlot(keys: readonly string[]): { keys: string[]; positions: number[] }[] {
  const groups = new Map<number, { keys: string[]; positions: number[] }>();
  for (let i = 0; i < keys.length; i++) {
    const slot = keySlot(keys[i]);
    let group = groups.get(slot);
    if (!group) {
      group = { keys: [], positions: [] };
      groups.set(slot, group);
    }
    group.keys.push(keys[i]);
    group.positions.push(i);
  }
  return [...groups.values()];
}

/**
 * The current masters of a Cluster, checked to serve every slot between them: a master that is
 * down and not yet replaced would make a scan of every master skip its keys silently, so that
 * fails instead (and the slot map is read again for the next try).
 */
export function clusterMasters(cluster: Cluster): Redis[] {
  const masters = cluster.nodes('master');
  const reachable = new Set(masters.map(node => `${node.options.host}:${node.options.port}`));
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    const owner = cluster.slots[slot]?.[0];
    if (owner === undefined || !reachable.has(owner)) {
      cluster.refreshSlotsCache();
      throw new Error(
        `Redis Cluster: slot ${slot} has no reachable master (${owner ?? 'unassigned'}), so not every key can be visited`,
      );
    }
  }
  return masters;
}
