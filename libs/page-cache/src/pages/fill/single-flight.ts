import type { StoredPage } from '../stored-page.js';

/**
 * Renders in progress in this process, by page key, each with the page it stored (if any): the
 * requests that find one in progress share its result instead of rendering again.
 */
export class SingleFlight {
  private readonly pending = new Map<string, Promise<StoredPage | undefined>>();

  /** Registers a render of `key`; resolve it with the page stored (or nothing). */
  start(key: string): { resolve: (page: StoredPage | undefined) => void } {
    const done = deferred<StoredPage | undefined>();
    this.pending.set(key, done.promise);
    void done.promise.then(() => {
      if (this.pending.get(key) === done.promise) this.pending.delete(key);
    });
    return done;
  }

  get(key: string): Promise<StoredPage | undefined> | undefined {
    return this.pending.get(key);
  }

  has(key: string): boolean {
    return this.pending.has(key);
  }
}

/** `promise`'s outcome, or `undefined` if it takes longer than `ms` (the wait holds no process). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms).unref();
    promise.then(
      value => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error as Error);
      },
    );
  });
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>(r => (resolve = r));
  return { promise, resolve };
}
