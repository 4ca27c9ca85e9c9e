import {
  describeStaleReads,
  historyClock,
  staleReads,
  type HistoryRead,
  type HistoryWrite,
} from './history-checker.js';

function read(process: string, start: number, end: number, version: number): HistoryRead {
  return { process, start, end, version };
}

describe('history checker', () => {
  const writes: HistoryWrite[] = [
    { version: 1, resolvedAt: 10 },
    { version: 2, resolvedAt: 20 },
    { version: 3, resolvedAt: 30 },
  ];

  it('accepts a history where every read returns the last resolved version or a newer one', () => {
    const reads = [
      read('a', 0, 5, 0), // before any write resolved
      read('a', 11, 12, 1),
      read('b', 12, 13, 2), // newer than required: v2 was written, its invalidation still running
      read('a', 21, 22, 2),
      read('b', 31, 32, 3),
    ];
    expect(staleReads(reads, writes)).toEqual([]);
  });

  it('accepts a read that overlaps the write it misses (it began before that write resolved)', () => {
    expect(staleReads([read('a', 19, 25, 1), read('b', 20, 21, 1)], writes)).toEqual([]);
  });

  it('reports a read that began after a newer version resolved', () => {
    const stale = read('b', 21, 22, 1);
    expect(staleReads([read('a', 21, 22, 2), stale], writes)).toEqual([
      { read: stale, expected: 2, resolvedAt: 20 },
    ]);
  });

  it('reports every stale read, each against the newest version resolved before it', () => {
    const reads = [read('a', 35, 36, 1), read('b', 25, 26, 0), read('c', 40, 41, 3)];
    expect(staleReads(reads, writes).map(s => [s.read.process, s.expected])).toEqual([
      ['a', 3],
      ['b', 2],
    ]);
  });

  it('expects the newest version even when an older write resolves after it', () => {
    const late: HistoryWrite[] = [
      { version: 5, resolvedAt: 10 },
      { version: 4, resolvedAt: 20 },
    ];
    expect(staleReads([read('a', 25, 26, 4)], late)).toEqual([
      { read: read('a', 25, 26, 4), expected: 5, resolvedAt: 10 },
    ]);
    expect(staleReads([read('a', 25, 26, 5)], late)).toEqual([]);
  });

  it('takes writes in any order', () => {
    const shuffled = [writes[2]!, writes[0]!, writes[1]!];
    expect(staleReads([read('a', 21, 22, 1)], shuffled)).toHaveLength(1);
  });

  it('describes stale reads for an assertion message', () => {
    const stale = staleReads([read('b', 25, 26, 1), read('c', 26, 27, 1)], writes);
    expect(describeStaleReads(stale, 1)).toBe(
      'b read v1 at 25.0–26.0 ms, 5.0 ms after v2 resolved\n… and 1 more',
    );
  });

  it('stamps with a clock that only moves forward', () => {
    const first = historyClock();
    const second = historyClock();
    expect(second).toBeGreaterThanOrEqual(first);
  });
});
