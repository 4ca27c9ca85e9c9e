import { Cluster, type Redis } from 'ioredis';
import type { CacheStore } from '../stores/cache-store.interface.js';
import { DEFAULT_LEASE_MS, NearAnnouncer, type StoreCall } from './near-announcer.js';
import { NearHolder, type NearSettings } from './near-holder.js';
import { NearNames, nearId } from './near-names.js';
import { withNearScripts } from './near-scripts.js';
import { NearStore } from './near.store.js';

/**
 * Wraps a Redis store: with `near` settings it keeps near copies (a holder: lease, subscription,
 * copies); without, it only announces its writes, so that holders in other processes drop what
 * they outdate. `call` runs a command as one call to `inner` (its timeout and breaker): given, a
 * delete and its announcement are one script call.
 */
export async function createNearStore(
  inner: CacheStore,
  client: Redis | Cluster,
  namespace: string,
  near: NearSettings | false,
  call?: StoreCall,
): Promise<NearStore> {
  const commands = withNearScripts(client);
  const names = new NearNames(namespace);
  const id = nearId();
  if (near === false) {
    const announcer = new NearAnnouncer(commands, names, id, DEFAULT_LEASE_MS);
    return new NearStore(inner, announcer, undefined, call);
  }
  if (client instanceof Cluster) refuseReplicaReads(client);
  const holder = new NearHolder(commands, names, id, near);
  await holder.start();
  const announcer = new NearAnnouncer(
    commands,
    names,
    id,
    near.leaseMs,
    holder.channel,
    () => holder.lease.firstLife,
  );
  return new NearStore(inner, announcer, holder, call);
}

/**
 * Near copies read from masters only: a read from a replica that lags behind a write already
 * announced would install the old value as a copy, kept until it expires.
 */
function refuseReplicaReads(client: Cluster): void {
  const scaleReads: unknown = client.options.scaleReads;
  if (scaleReads === undefined || scaleReads === 'master') return;
  throw new Error(
    `Invalid CacheModule option near: the Redis Cluster client reads from replicas (scaleReads: ${
      typeof scaleReads === 'function' ? 'a function' : JSON.stringify(scaleReads)
    }). A replica behind an announced write would be copied near as if current. Use scaleReads: 'master', or remove near.`,
  );
}
