import { randomBytes } from 'node:crypto';
import { generationKey, indexKey } from './keys.js';
import type { CacheStore } from './stores/cache-store.interface.js';
import { StoreEpochUnknownError } from './errors.js';

/**
 * Tracks which entries were built from which models, so that a save clears exactly those entries
 * without scanning the keyspace, and so that no entry computed from data older than a save can be
 * served after that save's invalidation has returned.
 *
 * Two structures per dependency (a model, or one entity of it):
 * - an index set `~idx:{dep}` listing the keys of the entries built from it (django-cacheops'
 *   "conj" sets, a CDN's surrogate keys), written together with each entry;
 * - a generation token `~gen:{dep}`, a random value replaced by every invalidation.
 *
 * An entry records the tokens of its dependencies as they were *before* its data was read. It is
 * served only while all of them are still current, so an entry computed before a save is never
 * served after it, whatever interleaving or eviction happened:
 * - a lost index set leaves entries a save cannot find, but the save replaces the token, so those
 *   entries stop being served;
 * - a lost token is re-created with a new random value, never an old one, so it cannot make an old
 *   entry look current.
 * The index only makes invalidation remove what it outdates, in time proportional to it.
 */
export class DependencyTracker {
  constructor(
    private readonly store: CacheStore,
    private readonly namespace: string,
    /**
     * Lifetime of a generation token (ms, 0 = forever). A token that is missing outdates every
     * entry built under it (it is re-created with a new random value), so tokens need not live
     * forever: when one expires, entries built from its model become misses once.
     */
    private readonly tokenTtlMs = DEFAULT_TOKEN_TTL_MS,
  ) {}

  /**
   * Current tokens of `deps`, creating missing ones. Called before the data of an entry is read.
   * A token created here lives {@link RENDER_LEASE_MS} unless an entry recording it is written
   * (`write` then extends it to the entry's lifetime): a miss that stores nothing — a 404, a
   * page that turned out not cacheable, a client's made-up URL — leaves nothing that outlives it
   * by more than that. A render or computation longer than the lease finds its token gone when
   * it writes, and its entry is not kept (never served stale: a missing token is never current).
   */
  async generationsForWrite(deps: readonly string[]): Promise<string[]> {
    if (deps.length === 0) return [];
    const keys = this.tokenKeys(deps);
    const found = await this.store.getMany(keys);
    const lease =
      this.tokenTtlMs === 0 ? RENDER_LEASE_MS : Math.min(RENDER_LEASE_MS, this.tokenTtlMs);
    return Promise.all(
      found.map(async (token, i) => {
        if (token) return token.toString('latin1');
        const fresh = newToken();
        if (
          // Unannounced: a copy of an evicted token elsewhere outdates nothing that the new one
          // does not (an invalidation deletes the key, and that is announced).
          await this.store.set(keys[i], Buffer.from(fresh, 'latin1'), lease, {
            onlyIfAbsent: true,
            unannounced: true,
          })
        ) {
          return fresh;
        }
        // Another writer created it between our read and our write: use theirs.
        const raced = await this.store.get(keys[i]);
        return raced ? raced.toString('latin1') : fresh;
      }),
    );
  }

  /** Reads the current tokens of `deps` (missing ones as `undefined`) without creating any. */
  async currentGenerations(deps: readonly string[]): Promise<(Buffer | undefined)[]> {
    if (deps.length === 0) return [];
    return this.store.getMany(this.tokenKeys(deps, true));
  }

  /**
   * The keys of the tokens of `deps` in the store's current epoch (see `CacheStore.epoch`): a
   * Redis that came back from a snapshot, or a promoted replica, starts a new epoch, whose tokens
   * are all missing — so nothing written before it can look current. While the epoch is not known
   * (the connection is down, or was just re-established), keys to read are those of an epoch no
   * server ever has (the reads go on to the store, which fails them or finds no token: nothing is
   * current), and keys to write throw: a token replaced in the wrong epoch would outdate nothing.
   */
  tokenKeys(deps: readonly string[], reading = false): string[] {
    return this.keysFor(deps, reading).keys.slice();
  }

  /**
   * What a lookup reads: `key`, then the current tokens of `deps` (see `tokenKeys`), the same
   * array while neither changes. Read only.
   */
  lookupKeys(key: string, deps: readonly string[]): readonly string[] {
    const known = this.keysFor(deps, true);
    if (known.lookup?.[0] !== key) known.lookup = [key, ...known.keys];
    return known.lookup;
  }

  private keysFor(deps: readonly string[], reading: boolean): TokenKeys {
    let epoch = this.store.epoch ? this.store.epoch() : '';
    if (epoch === undefined) {
      if (!reading) throw new StoreEpochUnknownError();
      epoch = UNKNOWN_EPOCH;
    }
    // A page's dependencies are one frozen array for as long as its location is remembered: its
    // keys are built once per epoch, and the same strings (hashed already) looked up on every
    // hit. Another array (a location built per request, a value's models) is not remembered: it
    // would be one entry per request.
    const known = this.keysOf.get(deps);
    if (known !== undefined && known.epoch === epoch) return known;
    const built = { epoch, keys: deps.map(dep => generationKey(this.namespace, dep, epoch)) };
    if (Object.isFrozen(deps)) this.keysOf.set(deps, built);
    return built;
  }

  /** Token keys by dependency array, in the epoch they were built for (see `tokenKeys`). */
  private readonly keysOf = new WeakMap<readonly string[], TokenKeys>();

  /** Makes the tokens of `deps` live at least as long as an entry written with `ttlMs`. */
  private async extendTokens(deps: readonly string[], ttlMs: number): Promise<void> {
    const lifetime =
      ttlMs === 0
        ? this.tokenTtlMs
        : this.tokenTtlMs === 0
          ? ttlMs
          : Math.min(ttlMs, this.tokenTtlMs);
    const keys = this.tokenKeys(deps);
    if (this.store.extendTtl) await this.store.extendTtl(keys, lifetime);
    else await Promise.all(keys.map(key => this.store.expire(key, lifetime)));
  }

  /** Whether tokens recorded in an entry are all still current (`current` read from `from` on). */
  static isCurrent(
    recorded: readonly string[] | undefined,
    current: readonly (Buffer | undefined)[],
    from = 0,
  ): boolean {
    const tokens = recorded ?? [];
    if (tokens.length !== current.length - from) return false;
    for (let i = 0; i < tokens.length; i++) {
      const token = current[from + i];
      if (token === undefined || !sameLatin1(token, tokens[i]!)) return false;
    }
    return true;
  }

  /**
   * Stores an entry and indexes it under its dependencies (models, entities, a page's URL tags),
   * and makes its tokens live as long as it does (never shorter than they already live, never
   * longer than the token lifetime). Then re-reads the tokens: if an invalidation replaced or
   * removed one since `generations` were read (or its lease ran out), the entry was computed from
   * outdated data and is removed again.
   * @returns whether the entry is stored and current.
   */
  async write(
    key: string,
    bytes: Buffer,
    ttlMs: number,
    deps: readonly string[],
    generations: readonly string[],
  ): Promise<boolean> {
    await this.store.set(key, bytes, ttlMs);
    if (deps.length === 0) return true;
    await this.store.addToSets(
      deps.map(tag => indexKey(this.namespace, tag)),
      key,
      ttlMs,
    );
    await this.extendTokens(deps, ttlMs);
    // The order matters: entry and index first, tokens second. An invalidation replaces tokens
    // first and reads the index second, so either it finds this entry in the index, or this
    // check sees its new token. Either way the outdated entry is removed.
    const current = await this.currentGenerations(deps);
    if (DependencyTracker.isCurrent(generations, current)) return true;
    await this.store.delete([key]);
    return false;
  }

  /**
   * Outdates every entry built from any of `deps` and removes those entries. The tokens are
   * removed, not replaced: a missing token outdates every entry that recorded it just as a new
   * one does (the next reader creates a new random one), a removal is what Redis still accepts
   * when it refuses writes (`noeviction` with memory full), and an invalidation of ids nobody
   * cached leaves nothing behind. They are removed in every epoch a process may be in.
   * @returns how many entries were removed.
   */
  async invalidate(deps: readonly string[]): Promise<number> {
    if (deps.length === 0) return 0;
    // The tokens of every epoch a process may be in (see `CacheStore.otherEpochs`): one that has
    // not noticed a new epoch yet uses the old one's tokens, one that has the new one's. Those of
    // the epochs known here go in one call; an epoch only the record names (a process entered it
    // since this one last read it) takes a second. The invalidation resolves after both.
    const keys = this.tokenKeys(deps);
    const epochs = this.store.otherEpochs?.();
    for (const epoch of epochs?.known ?? []) keys.push(...this.keysIn(deps, epoch, keys));
    const late = (async () => {
      const recorded = epochs ? await epochs.recorded : [];
      const missing = recorded.flatMap(epoch => this.keysIn(deps, epoch, keys));
      if (missing.length > 0) await this.store.delete(missing);
    })();
    late.catch(() => undefined); // awaited below; not unhandled while the first call fails
    // The entries are removed while holders of near copies acknowledge the tokens' removal: only
    // the index must be read after the tokens are gone (see `write`). A store may remove those
    // of small sets in the same call, after the tokens (the near store on a standalone Redis).
    let applied!: () => void;
    const gone = new Promise<void>(resolve => (applied = resolve));
    let removedThere = 0;
    let left: readonly string[] = deps;
    const tokens = this.store.delete(keys, {
      applied,
      indexes: {
        keys: deps.map(dep => indexKey(this.namespace, dep)),
        removed: (entries, emptied) => {
          removedThere = entries;
          left = deps.filter((_, i) => !emptied[i]);
        },
      },
    });
    await Promise.race([gone, tokens]);
    const [, removed] = await Promise.all([tokens, this.removeTagged(left), late]);
    return removedThere + removed;
  }

  /** The keys of the tokens of `deps` in `epoch`, but those in `except`. */
  private keysIn(deps: readonly string[], epoch: string, except: readonly string[]): string[] {
    return deps
      .map(dep => generationKey(this.namespace, dep, epoch))
      .filter(key => !except.includes(key));
  }

  /**
   * Removes every entry indexed under one of `tags`, and their members of the index sets — in
   * batches (`SSCAN`, `UNLINK`, `SREM`), so that a set of any size never blocks the store or the
   * event loop for long, and no call spreads an unbounded list into its arguments. Called once
   * the tags' tokens are removed: the entries are outdated already, so their deletion waits for
   * no near holder (see `StoreDeleteOptions.outdated`).
   */
  private async removeTagged(tags: readonly string[]): Promise<number> {
    // The tags side by side: their commands go out together.
    const counts = await Promise.all(tags.map(tag => this.removeIndexed(tag)));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  private async removeIndexed(tag: string): Promise<number> {
    let removed = 0;
    const setKey = indexKey(this.namespace, tag);
    for await (const batch of this.membersOf(setKey)) {
      // Outdated already: every entry indexed under a tag recorded the tag's token.
      removed += await this.store.delete(batch, { outdated: true });
      // Only the members read are dropped: one added meanwhile stays findable by the next call.
      await this.store.removeFromSet(setKey, batch);
    }
    return removed;
  }

  /** The members of an index set, in batches. */
  private async *membersOf(setKey: string): AsyncIterable<string[]> {
    if (this.store.scanSet) {
      yield* this.store.scanSet(setKey, SET_BATCH);
      return;
    }
    const members = await this.store.members(setKey);
    for (let i = 0; i < members.length; i += SET_BATCH) yield members.slice(i, i + SET_BATCH);
  }

  /**
   * Drops members of an index set whose entries no longer exist (deleted directly, by pattern, or
   * evicted). Keeps sets of never-expiring entries from growing without bound.
   * @returns how many members were dropped.
   */
  async prune(setKey: string): Promise<number> {
    let pruned = 0;
    for await (const members of this.membersOf(setKey)) {
      const exists = await Promise.all(members.map(member => this.store.has(member)));
      const gone = members.filter((_, i) => !exists[i]);
      await this.store.removeFromSet(setKey, gone);
      pruned += gone.length;
    }
    return pruned;
  }
}

/** The epoch reads use while the real one is not known: never a digest (those are base64url). */
const UNKNOWN_EPOCH = '!';

/**
 * How long a token created for a read lives until an entry recording it is written: the longest
 * a render or computation can take and still store its result.
 */
export const RENDER_LEASE_MS = 60_000;

/** Default lifetime of generation tokens: 7 days. */
export const DEFAULT_TOKEN_TTL_MS = 7 * 24 * 3_600_000;

/** Members read and removed per step. */
const SET_BATCH = 1000;

function newToken(): string {
  // 96 random bits: a re-created token can never repeat an older one.
  return randomBytes(12).toString('base64url');
}

/** Whether `bytes` read as latin1 are `text` (without decoding them into a new string). */
function sameLatin1(bytes: Buffer, text: string): boolean {
  if (bytes.length !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The token keys of one dependency array in one epoch, and a lookup's keys built from them. */
interface TokenKeys {
  epoch: string;
  keys: string[];
  lookup?: string[];
}
