import { describeStaleReads, historyClock, staleReads } from '../support/history-checker.js';
import {
  clusterDeployment,
  standaloneDeployment,
  type HistoryDeployment,
} from '../support/history-deployments.js';
import { HistoryProcess, type NearRead } from '../support/history-process.js';
import { uniquePrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';

/** The readers' lease: every fault below lasts well past it. */
const LEASE_MS = 1_000;
/** How long past the lease a fault lasts (the history's duration is its nature, not a wait). */
const FAULT_MS = 2.5 * LEASE_MS;
/** A bound for each step's condition on a loaded machine, not a wait. */
const STEP_TIMEOUT_MS = 20_000;
/** A bound for a whole history (two or three app processes boot, compiling the library). */
const HISTORY_TIMEOUT_MS = 180_000;
/** The least a history holds to prove something: reads by each reader, writes resolved. */
const MIN_READS = 300;
const MIN_WRITES = 30;

/** The processes of one history, once it has run, and when reader A was cut off. */
interface History {
  readers: HistoryProcess[];
  writer: HistoryProcess;
  cut: { from: number; to: number };
  /** From Redis's loss until reader A was let through again. */
  lost: { from: number; to: number };
}

/**
 * The Jepsen-style history of the near cache: two readers and a writer, each its own process, on
 * one cache Redis. The readers read a value built from model `Doc` in a loop, each through proxies
 * of its own that can cut it off; the writer moves the version on in a source of truth (a second
 * Redis, never cut off) and invalidates `Doc`. Checked: no read returns a version older than the
 * last invalidation that resolved before the read began.
 */
/** The reads answered from near copies (that began within `during`, when given). */
function nearReads(reads: readonly NearRead[], during?: { from: number; to: number }): NearRead[] {
  return reads.filter(
    read => read.near && (!during || (read.start > during.from && read.start < during.to)),
  );
}

/**
 * The history on one deployment; with `broken`, also with the guarantee broken on purpose, which
 * shows the checker catches stale reads (once is enough: the Cluster run asserts instead that
 * reader A served near copies while cut off, which is what a stale read needs).
 */
function historyTests(deploy: () => Promise<HistoryDeployment>, broken: boolean): void {
  let source: RedisServer;
  let deployment: HistoryDeployment;
  const processes: HistoryProcess[] = [];

  beforeEach(async () => {
    [source, deployment] = await Promise.all([RedisServer.start(), deploy()]);
  }, 60_000);
  afterEach(async () => {
    for (const started of processes.splice(0)) started.kill();
    await deployment?.close();
    await source?.kill();
  });

  async function until(what: string, condition: () => boolean): Promise<void> {
    await vi.waitFor(
      () => {
        if (!condition()) throw new Error(`still waiting until ${what}`);
      },
      { timeout: STEP_TIMEOUT_MS, interval: 20 },
    );
  }

  /** Waits until `reader` has answered more reads from its near copies. */
  async function servesNear(reader: HistoryProcess, more = 20): Promise<void> {
    const from = reader.nearHits;
    await until(`${reader.name} serves near copies`, () => reader.nearHits >= from + more);
  }

  function lasted(since: number, ms: number): boolean {
    return historyClock() - since >= ms;
  }

  /** Runs the whole fault schedule and returns the processes with what they recorded. */
  async function history(breakAcks: boolean): Promise<History> {
    const prefix = uniquePrefix('near_history');
    const [linkA, linkB] = await Promise.all([deployment.link(), deployment.link()]);
    const start = async (name: string, role: string, cache: string) => {
      const started = await HistoryProcess.start(name, {
        ROLE: role,
        CACHE_REDIS: cache,
        SOURCE_REDIS: source.url,
        KEY_PREFIX: prefix,
        LEASE: `${LEASE_MS}ms`,
        WRITE_EVERY_MS: '50',
        ...(breakAcks ? { BREAK_ACKS: '1' } : {}),
      });
      processes.push(started);
      return started;
    };
    const [a, b, writer] = await Promise.all([
      start('reader-a', 'reader', linkA.redis),
      start('reader-b', 'reader', linkB.redis),
      start('writer', 'writer', deployment.writer),
    ]);

    // Steady state: both readers serve near copies while the writer invalidates.
    await Promise.all([servesNear(a), servesNear(b)]);
    // Each reader reaches Redis through its own proxies only: a cut cuts all of it (the command
    // connection and the subscriber, and on a Cluster one of each per node it talks to).
    expect(linkA.connections()).toBeGreaterThanOrEqual(2);
    expect(linkB.connections()).toBeGreaterThanOrEqual(2);
    writer.tell('resume');
    await until('20 writes resolved', () => writer.writes.length >= 20);
    await Promise.all([servesNear(a), servesNear(b)]);

    // A partition: reader A is cut off (its commands and its subscription) while it holds the
    // current version near, and writes go on past its lease.
    writer.tell('pause');
    await until('the writer is idle', () => writer.idle);
    await servesNear(a);
    const cutAt = historyClock();
    linkA.cut();
    writer.tell('resume');
    await until(
      'writes resolved while reader A was cut off past its lease',
      () => writer.writesSince(cutAt).length >= 5 && lasted(cutAt, FAULT_MS),
    );
    linkA.heal();
    const healedAt = historyClock();
    await until('reader A reads again', () => a.readsSince(healedAt).length > 0);
    await servesNear(a);

    // A frozen reader: SIGSTOP past its lease, then SIGCONT.
    const frozenAt = historyClock();
    b.freeze();
    await until(
      'writes resolved while reader B was frozen past its lease',
      () => writer.writesSince(frozenAt).length >= 3 && lasted(frozenAt, FAULT_MS),
    );
    b.thaw();
    const thawedAt = historyClock();
    await until('reader B reads again', () => b.readsSince(thawedAt).length > 0);
    await servesNear(b);

    // Redis loses everything it held (entries, tokens, leases) under running processes: reader B
    // sees its connections close; reader A, cut off while holding the current version near, hears
    // nothing of it until the partition heals, and writes go on past its lease. Whoever announces
    // after the loss finds no record of A's lease (Gray & Cheriton: a lease server that lost its
    // state waits one term before it lets a write complete).
    writer.tell('pause');
    await until('the writer is idle', () => writer.idle);
    await servesNear(a);
    linkA.cut();
    const lostAt = historyClock();
    await deployment.lose();
    writer.tell('resume');
    await until(
      `writes resolved after ${deployment.loss}, reader A cut off past its lease`,
      () => writer.writesSince(lostAt).length >= 5 && lasted(lostAt, FAULT_MS),
    );
    linkA.heal();
    const lostUntil = historyClock();
    await Promise.all([servesNear(a), servesNear(b)]);

    // A history long enough to prove something (see the test), however loaded the machine.
    await until(
      `${MIN_READS} reads by each reader and ${MIN_WRITES} writes`,
      () =>
        a.reads.length >= MIN_READS &&
        b.reads.length >= MIN_READS &&
        writer.writes.length >= MIN_WRITES,
    );

    // The end: every reader comes to the last version written.
    writer.tell('pause');
    await until('the writer is idle', () => writer.idle);
    const last = Math.max(...writer.writes.map(write => write.version));
    for (const reader of [a, b]) {
      await until(
        `${reader.name} reads v${last}`,
        () => (reader.reads.at(-1)?.version ?? 0) >= last,
      );
    }
    await Promise.all([a, b, writer].map(done => done.stop()));
    return {
      readers: [a, b],
      writer,
      cut: { from: cutAt, to: healedAt },
      lost: { from: lostAt, to: lostUntil },
    };
  }

  /** What a history measured, for a failure's message. */
  function summary({ readers, writer }: History): string {
    const waits = writer.writes
      .map(write => write.resolvedAt - write.startedAt)
      .sort((x, y) => x - y);
    const p = (q: number) => waits[Math.min(waits.length - 1, Math.floor(q * waits.length))] ?? 0;
    return [
      `writer: ${writer.writes.length} invalidations resolved (${writer.errors} rejected), ` +
        `p50 ${p(0.5).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms, max ${p(1).toFixed(1)} ms`,
      ...readers.map(
        reader =>
          `${reader.name}: ${reader.reads.length} reads, ${nearReads(reader.reads).length} from near copies, ` +
          `${reader.errors} errors`,
      ),
    ].join('\n');
  }

  it(
    'no read returns a version older than the last invalidation resolved before it began',
    async () => {
      const run = await history(false);
      const stale = staleReads(
        run.readers.flatMap(reader => reader.reads),
        run.writer.writes,
      );
      const measured = summary(run);
      expect(stale.length, `${describeStaleReads(stale)}\n${measured}`).toBe(0);
      // It proves something only if much was read, much of it from near copies, and reader A
      // served near copies while cut off (before its lease ran out).
      expect(run.writer.writes.length, measured).toBeGreaterThanOrEqual(MIN_WRITES);
      for (const reader of run.readers) {
        expect(reader.reads.length, measured).toBeGreaterThanOrEqual(MIN_READS);
        expect(nearReads(reader.reads).length, measured).toBeGreaterThanOrEqual(
          reader.reads.length / 4,
        );
      }
      expect(nearReads(run.readers[0]!.reads, run.cut).length, measured).toBeGreaterThan(0);
      // And across Redis's loss, so the writes after it had a cut-off holder to wait for.
      expect(nearReads(run.readers[0]!.reads, run.lost).length, measured).toBeGreaterThan(0);
    },
    HISTORY_TIMEOUT_MS,
  );

  if (!broken) return;
  it(
    'the checker finds stale reads when invalidations skip the acknowledgements',
    async () => {
      const run = await history(true);
      const stale = staleReads(
        run.readers.flatMap(reader => reader.reads),
        run.writer.writes,
      );
      expect(stale.length, summary(run)).toBeGreaterThan(0);
      // Each from a near copy (Redis itself is never stale here), and some from reader A while cut off.
      expect(stale.filter(({ read }) => !(read as NearRead).near)).toEqual([]);
      expect(stale.some(({ read }) => read.process === 'reader-a')).toBe(true);
    },
    HISTORY_TIMEOUT_MS,
  );
}

describe('near copies on one Redis: a history under partitions, a frozen reader and a restart', () => {
  historyTests(standaloneDeployment, true);
});

describe('near copies on a Redis Cluster: a history under partitions, a frozen reader and a failover', () => {
  historyTests(clusterDeployment, false);
});
