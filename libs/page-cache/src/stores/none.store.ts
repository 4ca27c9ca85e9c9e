import type { CacheStore } from './cache-store.interface.js';

/**
 * A store that keeps nothing (Django's DummyCache): every read misses, every write is accepted
 * and forgotten. For development, and for tests of applications that use the cache. Locks are
 * always granted, since nothing is shared.
 */
export class NoneStore implements CacheStore {
  async get(): Promise<Buffer | undefined> {
    return undefined;
  }
  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    return keys.map(() => undefined);
  }
  async set(): Promise<boolean> {
    return true;
  }
  async setMany(): Promise<void> {}
  async delete(): Promise<number> {
    return 0;
  }
  async deleteIfEquals(): Promise<boolean> {
    return true;
  }
  async has(): Promise<boolean> {
    return false;
  }
  async incrBy(_key: string, delta: number): Promise<number> {
    return delta;
  }
  async expire(): Promise<boolean> {
    return false;
  }
  async ttl(): Promise<number | null | undefined> {
    return undefined;
  }
  // oxlint-disable-next-line require-yield -- nothing to yield: the store is always empty.
  async *scan(): AsyncIterable<string[]> {}
  async addToSets(): Promise<void> {}
  async members(): Promise<string[]> {
    return [];
  }
  async removeFromSet(): Promise<void> {}
  async ping(): Promise<void> {}
}
