import calculateSlot from 'cluster-key-slot';

/** Number of hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

/**
 * Groups keys by Redis Cluster hash slot, keeping each key's position in `keys` so results can be
 * put back in order. Groups come in the order of their first key.
 *
 * Multi-key commands (`MGET`, `UNLINK`…) are only valid on a Cluster when every key is in one
 * slot, so the Redis store sends one command per group.
 */
export function groupBySlot(keys: readonly string[]): { keys: string[]; positions: number[] }[] {
  const groups = new Map<number, { keys: string[]; positions: number[] }>();
  for (let i = 0; i < keys.length; i++) {
    // Hashed as the UTF-8 bytes Redis receives, so a key Redis would place elsewhere never joins.
    const slot = calculateSlot(Buffer.from(keys[i]));
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
