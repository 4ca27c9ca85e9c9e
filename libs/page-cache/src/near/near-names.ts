import { randomBytes } from 'node:crypto';

/**
 * Names of the near cache's registry and channels for one namespace. The namespace is a hash tag
 * (`{cache:1}`), so that on a Redis Cluster the registry and the scripts that read it keep to one
 * slot; `PUBLISH` reaches the subscribers of every node whatever the channel's name. The names
 * start with `{`, so no pattern over the cache's own keys (`cache:1:*`) ever matches them.
 */
export class NearNames {
  /** ZSET of live holders: member = holder id, score = its lease's expiry in Redis time (ms). */
  readonly holders: string;
  /**
   * Hash (no expiry) of the registry's life: the server life it belongs to, since when (Redis
   * time, ms), the longest lease registered in it.
   */
  readonly life: string;
  /** Where every invalidation is announced. */
  readonly invalidations: string;

  constructor(readonly namespace: string) {
    this.holders = `{${namespace}}:near:holders`;
    this.life = `{${namespace}}:near:since`;
    this.invalidations = `{${namespace}}:near:inv`;
  }

  /** A holder's own channel: its renewals' pings come back on it (the proof it is subscribed). */
  pings(holder: string): string {
    return `${this.invalidations}:${holder}`;
  }

  /** Where holders acknowledge an announcer's invalidations. */
  acks(announcer: string): string {
    return `{${this.namespace}}:near:ack:${announcer}`;
  }
}

/** A random id for a holder or announcer (one per cache per process). */
export function nearId(): string {
  return randomBytes(9).toString('base64url');
}

/**
 * What holders receive on the shared channel: announcer, its sequence, keys (`null`: all), and
 * `w: false` when the announcer waits for no acknowledgement.
 */
export interface NearAnnouncement {
  a: string;
  s: number;
  k: string[] | null;
  w?: false;
}

/** Splits a numbered announcement, `{n}|{announcement}`; `undefined` for anything else. */
export function numbered(message: string): [string, number] | undefined {
  const bar = message.indexOf('|');
  const n = Number(message.slice(0, bar));
  if (bar < 0 || !Number.isSafeInteger(n)) return undefined;
  return [message.slice(bar + 1), n];
}

/** Parses an announcement; `undefined` for anything else. */
export function parseAnnouncement(message: string): NearAnnouncement | undefined {
  try {
    const parsed = JSON.parse(message) as Partial<NearAnnouncement>;
    if (typeof parsed.a !== 'string' || typeof parsed.s !== 'number') return undefined;
    if (parsed.k !== null && !Array.isArray(parsed.k)) return undefined;
    return parsed as NearAnnouncement;
  } catch {
    return undefined;
  }
}

/** A ping, as the renewal script publishes it. */
export interface NearPing {
  renewal: number;
  /** The `run_id` of the server that ran the renewal ('' when the server refuses `INFO`). */
  node: string;
  /** The number of the registry life's last announcement, made before the ping. */
  n: number;
}

/** Parses a ping: `{renewal}|{run_id}|{n}`; `undefined` for anything else. */
export function parsePing(message: string): NearPing | undefined {
  const [renewal, node, n, more] = message.split('|');
  if (n === undefined || more !== undefined) return undefined;
  const ping = { renewal: Number(renewal), node: node!, n: Number(n) };
  return Number.isSafeInteger(ping.renewal) && Number.isSafeInteger(ping.n) ? ping : undefined;
}
