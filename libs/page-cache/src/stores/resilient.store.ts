import { Logger } from '@nestjs/common';
import type { CacheStore } from './cache-store.interface.js';
import { customStoreDiagnostics, type StoreDiagnostics } from './store-diagnostics.js';
import { isAnsweredByStore, StoreTimeoutError, StoreUnavailableError } from '../errors.js';

export { StoreTimeoutError, StoreUnavailableError };

/** The store's methods every store has, each guarded as it is. */
type GuardedMethod = Exclude<
  keyof CacheStore,
  'getHead' | 'extendTtl' | 'scan' | 'scanSet' | 'epoch' | 'otherEpochs' | 'close'
>;

/** State of the circuit breaker in front of a store. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Settings of the circuit breaker. */
export interface BreakerOptions {
  /** Consecutive failed calls that open the breaker. Default 3. */
  failures: number;
  /** How long an open breaker refuses calls before one probe goes through (ms). Default 2000. */
  cooldownMs: number;
  /** How long one call may take before it fails as a timeout (ms); 0 = no limit of ours. */
  timeoutMs?: number;
}

/**
 * A circuit breaker around a store. After `failures` consecutive availability failures (timeouts,
 * refused or closed connections) it stops calling the store for `cooldownMs`, so requests stop
 * paying the command timeout one by one; then a single probe decides whether to close again.
 * Errors Redis itself answers (`WRONGTYPE`, not an integer…) say nothing about availability and
 * are passed through without counting.
 *
 * Logs one warning when the store becomes unavailable, naming the store and the cause (see
 * {@link StoreDiagnostics}), and one line when it recovers.
 */
export class ResilientStore implements CacheStore {
  private readonly logger = new Logger('CacheStore');
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probing = false;
  private current: BreakerState = 'closed';
  /** An outage was logged and its recovery not yet. */
  private outageReported = false;
  /** Calls that failed because the store was unreachable or timed out (since startup). */
  errors = 0;
  private readonly listeners: ((state: BreakerState) => void)[] = [];

  /**
   * @param inner the store to guard.
   * @param options the breaker's settings.
   * @param diagnostics how to name the store and explain its failures in warnings (default: the
   *   store's class name and the error's message).
   */
  constructor(
    readonly inner: CacheStore,
    private readonly options: BreakerOptions = { failures: 3, cooldownMs: 2_000 },
    private readonly diagnostics: StoreDiagnostics = customStoreDiagnostics(inner),
  ) {
    const head = inner.getHead?.bind(inner);
    if (head) this.getHead = (key, length, keys) => this.call(() => head(key, length, keys));
  }

  /**
   * Logs that the store could not be reached at startup (`cause` in a few words). The breaker
   * then stays quiet until the store answers, and logs its recovery.
   */
  reportUnreachableAtStartup(cause: string): void {
    this.outageReported = true;
    this.logger.warn(
      `Cache store ${this.diagnostics.name} not reachable at startup (${cause}): serving without cache until it answers.`,
    );
  }

  /** The breaker's state now. */
  get state(): BreakerState {
    return this.current;
  }

  /** Calls `listener` on every state change. */
  onStateChange(listener: (state: BreakerState) => void): void {
    this.listeners.push(listener);
  }

  // Each call goes to the guarded store as it is, under the breaker and the command timeout.
  readonly get = this.guarded('get');
  readonly getMany = this.guarded('getMany');
  readonly set = this.guarded('set');
  readonly setMany = this.guarded('setMany');
  readonly delete = this.guarded('delete');
  readonly deleteIfEquals = this.guarded('deleteIfEquals');
  readonly has = this.guarded('has');
  readonly incrBy = this.guarded('incrBy');
  readonly expire = this.guarded('expire');
  readonly ttl = this.guarded('ttl');
  readonly addToSets = this.guarded('addToSets');
  readonly members = this.guarded('members');
  readonly removeFromSet = this.guarded('removeFromSet');
  readonly ping = this.guarded('ping');
  /** Present only when the guarded store has it. */
  readonly getHead?: CacheStore['getHead'];
  extendTtl(keys: readonly string[], ttlMs: number): Promise<void> {
    const inner = this.inner;
    return this.call(() =>
      inner.extendTtl
        ? inner.extendTtl(keys, ttlMs)
        : Promise.all(keys.map(key => inner.expire(key, ttlMs))).then(() => undefined),
    );
  }
  epoch(): string | undefined {
    return this.inner.epoch ? this.inner.epoch() : '';
  }
  otherEpochs(): ReturnType<NonNullable<CacheStore['otherEpochs']>> {
    const epochs = this.inner.otherEpochs?.();
    if (!epochs) return { known: [], recorded: Promise.resolve([]) };
    return { known: epochs.known, recorded: this.call(() => epochs.recorded) };
  }

  async *scanSet(setKey: string, batchSize?: number): AsyncIterable<string[]> {
    if (!this.inner.scanSet) {
      yield await this.members(setKey);
      return;
    }
    yield* this.batches(this.inner.scanSet(setKey, batchSize));
  }

  async *scan(pattern: string, batchSize?: number): AsyncIterable<string[]> {
    yield* this.batches(this.inner.scan(pattern, batchSize));
  }

  /** Each batch is one call, under the command timeout and the breaker. */
  private async *batches(scan: AsyncIterable<string[]>): AsyncIterable<string[]> {
    const iterator = scan[Symbol.asyncIterator]();
    for (;;) {
      const step = await this.call(() => iterator.next());
      if (step.done) return;
      yield step.value;
    }
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  /** The store's method `name`, called through {@link call}. */
  private guarded<K extends GuardedMethod>(name: K): CacheStore[K] {
    const guarded = (...args: unknown[]) =>
      this.call(() => (this.inner[name] as (...args: unknown[]) => Promise<unknown>)(...args));
    return guarded as CacheStore[K];
  }

  /** Runs `operation` as one call to the store: under the command timeout and the breaker. */
  run<T>(operation: () => Promise<T>): Promise<T> {
    return this.call(operation);
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    let probe = false;
    if (this.current !== 'closed') {
      if (this.probing || Date.now() - this.openedAt < this.options.cooldownMs) {
        throw new StoreUnavailableError();
      }
      probe = true;
      this.probing = true;
      this.transition('half-open');
    }
    try {
      const result = await withTimeout(operation(), this.options.timeoutMs ?? 0);
      this.consecutiveFailures = 0;
      if (this.current !== 'closed') this.transition('closed');
      if (this.outageReported) {
        this.outageReported = false;
        this.logger.log(`Cache store ${this.diagnostics.name} reachable again: caching resumed.`);
      }
      return result;
    } catch (error) {
      if (isAvailabilityError(error)) this.failed(error, probe);
      else if (probe) this.transition('closed');
      throw error;
    } finally {
      if (probe) this.probing = false;
    }
  }

  private failed(error: unknown, probe: boolean): void {
    this.errors += 1;
    this.consecutiveFailures += 1;
    if (!probe && (this.current !== 'closed' || this.consecutiveFailures < this.options.failures)) {
      return;
    }
    this.openedAt = Date.now();
    if (this.current === 'closed' && !this.outageReported) {
      this.outageReported = true;
      this.logger.warn(
        `Cache store ${this.diagnostics.name} unavailable (${this.diagnostics.explain(error)}): serving without cache for now.`,
      );
    }
    this.transition('open');
  }

  private transition(state: BreakerState): void {
    if (state === this.current) return;
    this.current = state;
    for (const listener of this.listeners) listener(state);
  }
}

/**
 * Bounds a call by `ms`, without mistaking a stalled event loop for a slow store: when the timer
 * fires, the verdict waits for `setImmediate`, which runs after the poll phase has read every reply
 * already on the socket. A reply that arrived during a long synchronous task (a GC pause, a big
 * render) therefore wins over its timer; a plain command timeout would fail it, and a burst of such
 * false timeouts would open the breaker under load, exactly when the cache is needed most.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  if (ms <= 0) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(new StoreTimeoutError(ms))), ms);
    promise.then(
      value => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Whether an error means the store could not be reached (as opposed to an answer it gave). */
function isAvailabilityError(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  if (error instanceof TypeError || error instanceof RangeError) return false;
  // What the store answered (a value of the wrong kind, a read whose connection changed under it).
  if (isAnsweredByStore(error)) return false;
  // ioredis' ReplyError: Redis answered, so it is reachable.
  return error.name !== 'ReplyError';
}
