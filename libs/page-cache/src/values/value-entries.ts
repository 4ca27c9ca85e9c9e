import { decodeEntry, type ValueMeta } from '../codec.js';
import { plainIntegerOf } from '../counter.js';
import { DependencyTracker } from '../dependency-tracker.js';
import type { PendingInvalidations } from '../invalidation/pending-invalidations.js';
import type { CacheStore } from '../stores/cache-store.interface.js';
import { softly } from './softly.js';
import { decodeValuePayload, encodeValue, type ValueCodecOptions } from './value-codec.js';

/** Whether two lists hold the same strings in the same order. */
function sameList(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((item, i) => item === b[i]);
}

/**
 * How values are written to and read back from the store: their encoding, and the check that an
 * entry built from models is still current (its recorded tokens against the tracker's, and none
 * of its models with an invalidation this process knows has not reached the store yet).
 */
export class ValueEntries {
  constructor(
    private readonly store: CacheStore,
    private readonly tracker: DependencyTracker,
    private readonly options: ValueCodecOptions & { maxEntrySize: number },
    private readonly pending: PendingInvalidations,
  ) {}

  /** The stored form of a value (see {@link encodeValue}). @throws TypeError naming why. */
  encode(value: unknown, deps?: readonly string[], generations?: readonly string[]): Buffer {
    return encodeValue(value, this.options, deps, generations);
  }

  /**
   * Decodes raw values; entries that are foreign, corrupt, of an older format, outdated by an
   * invalidation, or built from a model whose invalidation has not reached the store yet (its
   * tokens there are still the old ones) are misses, and foreign or corrupt ones are removed.
   */
  async decode(
    fullKeys: readonly string[],
    raws: readonly (Buffer | undefined)[],
    /** Tokens already read for these dependencies (used when an entry records exactly them). */
    known?: { deps: readonly string[]; tokens: readonly (Buffer | undefined)[] },
  ): Promise<unknown[]> {
    const out: unknown[] = Array.from({ length: raws.length });
    const garbage: string[] = [];
    await Promise.all(
      raws.map(async (raw, i) => {
        if (raw === undefined) return;
        const integer = plainIntegerOf(raw);
        if (integer !== undefined) {
          out[i] = integer;
          return;
        }
        const entry = decodeEntry(raw, this.options.maxEntrySize);
        if (!entry) {
          garbage.push(fullKeys[i]);
          return;
        }
        if (entry.meta.k === 'page') return;
        const meta = entry.meta as ValueMeta;
        if (meta.d?.length) {
          if (this.pending.affectsDependencies(meta.d)) return;
          const current = sameList(meta.d, known?.deps)
            ? known!.tokens
            : await softly(() => this.tracker.currentGenerations(meta.d!), undefined);
          if (!current || !DependencyTracker.isCurrent(meta.g, current)) return;
        }
        try {
          out[i] = decodeValuePayload(meta, entry.payload, this.options.serializer);
        } catch {
          garbage.push(fullKeys[i]);
        }
      }),
    );
    if (garbage.length > 0) await softly(() => this.store.delete(garbage), 0);
    return out;
  }

  /**
   * Reads one value by its wire key, without counting it (`get` and `@Cached` count apart). The
   * tokens of `deps` — the dependencies the entry is expected to record — are read in the same
   * round trip, as the page lookup does, rather than after the entry.
   */
  async read<T>(full: string, deps: readonly string[]): Promise<T | undefined> {
    if (deps.length === 0) {
      const raw = await softly(() => this.store.get(full), undefined);
      return raw === undefined ? undefined : ((await this.decode([full], [raw]))[0] as T);
    }
    const found = await softly(
      () => Promise.all([this.store.get(full), this.tracker.currentGenerations(deps)]),
      undefined,
    );
    if (found?.[0] === undefined) return undefined;
    const [raw, tokens] = found;
    return (await this.decode([full], [raw], { deps, tokens }))[0] as T;
  }
}
