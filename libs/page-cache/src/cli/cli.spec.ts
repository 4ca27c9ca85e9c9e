import { helpText, parseCommandLine, UsageError } from './args.js';
import { parseNodes } from './connection.js';
import { parseInfo } from './commands/stats.js';
import { formatBytes, formatDuration, isText, printable, redactUrl, viewBytes } from './format.js';
import { kindOfKey, viewOfPageKey } from './key-kinds.js';
import { Distinct, Progress } from './scan.js';

describe('parseCommandLine', () => {
  it('applies the defaults of CacheModule and of the tool', () => {
    expect(parseCommandLine(['keys', 'user:*', '--redis', 'redis://h:1'])).toMatchObject({
      command: 'keys',
      args: ['user:*'],
      redis: 'redis://h:1',
      prefix: 'cache',
      keyVersion: 1,
      printVersion: false,
      deprecation: undefined,
      limit: 100,
      timeoutMs: 3000,
      json: false,
      help: false,
    });
  });

  it('reads options anywhere, and help in both forms', () => {
    expect(
      parseCommandLine(['--prefix', 'p', 'clear', '-y', '--key-version', '0', '--json']),
    ).toMatchObject({ command: 'clear', prefix: 'p', keyVersion: 0, yes: true, json: true });
    expect(parseCommandLine(['help', 'show'])).toMatchObject({ command: 'show', help: true });
    expect(parseCommandLine(['show', '-h'])).toMatchObject({ command: 'show', help: true });
    expect(helpText('show')).toContain('--body');
  });

  it('prints its own version with --version or -V, alone or after a command', () => {
    for (const argv of [['--version'], ['-V'], ['keys', '--version'], ['--version', '--json']]) {
      expect(parseCommandLine(argv)).toMatchObject({ printVersion: true, deprecation: undefined });
    }
  });

  it('still takes the namespace version as --version <n>, with a deprecation note', () => {
    for (const argv of [
      ['keys', '--version', '3'],
      ['keys', '--version=3'],
    ]) {
      const line = parseCommandLine(argv);
      expect(line).toMatchObject({ command: 'keys', keyVersion: 3, printVersion: false });
      expect(line.deprecation).toBe(
        '--version <n> for the namespace version is deprecated and will be removed in 0.3.0: ' +
          'use --key-version <n> (--version alone prints the version of the tool).',
      );
    }
    // After `--`, nothing is an option.
    expect(parseCommandLine(['show', '--', '--version'])).toMatchObject({
      args: ['--version'],
      printVersion: false,
    });
  });

  it('documents --key-version and -V in the help', () => {
    expect(helpText()).toMatch(/--key-version <n>\s+the CacheModule's version/);
    expect(helpText()).toMatch(/-V, --version\s+print the version of nestjs-page-cache/);
  });

  it.each([
    [['frobnicate'], 'Unknown command'],
    [['show'], 'Missing argument'],
    [['expire', '/a', '/b'], 'Unexpected argument "/b"'],
    [['stats', '--limit', '5'], '--limit is not an option of stats'],
    [['keys', '--limit', 'ten'], 'Invalid --limit'],
    [['keys', '--key-version', '1.5'], 'Invalid --key-version'],
    [['keys', '--version', '1.5'], 'Invalid --version'],
    [['keys', '--key-version', '2', '--version', '3'], 'Give the namespace version once'],
    [['keys', '--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});

describe('key kinds', () => {
  it('tells kinds apart by the key layout of keys.ts', () => {
    expect(kindOfKey('page:Posts.show:Post/1:abc')).toBe('page');
    expect(kindOfKey('user:1')).toBe('value');
    expect(kindOfKey('~idx:Post')).toBe('index');
    expect(kindOfKey('~gen:Post/1')).toBe('token');
    expect(kindOfKey('~lock:report')).toBe('lock');
    expect(kindOfKey('~fill:xyz')).toBe('fill');
    expect(kindOfKey('~other')).toBe('internal');
    expect(viewOfPageKey('page:Posts.show:Post/1:abc')).toBe('Posts.show');
    expect(viewOfPageKey('page:Home.index::abc')).toBe('Home.index');
  });

  it('parses INFO', () => {
    const info = parseInfo('# Stats\r\nkeyspace_hits:12\r\nkeyspace_misses:3\r\n\r\n# Memory\r\n');
    expect(info.get('keyspace_hits')).toBe('12');
    expect(info.get('keyspace_misses')).toBe('3');
  });
});

describe('showing bytes', () => {
  it('shows text as text, cut on a character boundary', () => {
    const view = viewBytes(Buffer.from('aé€'), 4);
    expect(view).toEqual({ encoding: 'utf8', text: 'aé', omittedBytes: 3 });
    expect(viewBytes(Buffer.from('abc'), Infinity).omittedBytes).toBe(0);
  });

  it('shows binary as base64', () => {
    const bytes = Buffer.from([0, 0xff, 0x41]);
    expect(isText(bytes)).toBe(false);
    expect(viewBytes(bytes, 10)).toEqual({
      encoding: 'base64',
      text: bytes.toString('base64'),
      omittedBytes: 0,
    });
    expect(viewBytes(bytes, 2)).toMatchObject({ text: 'AP8=', omittedBytes: 1 });
  });

  it('never lets stored bytes drive the terminal', () => {
    expect(printable('a\x1b[2Jb\nc\u009b')).toBe('a\\x1b[2Jb\\x0ac\\x9b');
    expect(printable('a\nb\tc', true)).toBe('a\nb\tc');
  });
});

describe('formatting', () => {
  it('durations, sizes and URLs', () => {
    expect(formatDuration(350)).toBe('350ms');
    expect(formatDuration(12_000)).toBe('12s');
    expect(formatDuration(303_000)).toBe('5m 3s');
    expect(formatDuration(7_800_000)).toBe('2h 10m');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(-2_000)).toBe('-2s');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(redactUrl('redis://u:secret@h:6379/2')).toBe('redis://u:****@h:6379/2');
    expect(redactUrl('redis://h:6379')).toBe('redis://h:6379');
  });

  it('Cluster nodes', () => {
    expect(parseNodes('10.0.0.1:7000, h:7001,7002')).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'h', port: 7001 },
      { host: '127.0.0.1', port: 7002 },
    ]);
    expect(() => parseNodes('h')).toThrow('Invalid Cluster node: "h"');
    expect(() => parseNodes(',')).toThrow('at least one');
  });
});

describe('scans', () => {
  it('reports progress every 10,000 keys and once at the end, off a terminal', () => {
    const lines: string[] = [];
    const progress = new Progress(text => lines.push(text), 'stats cache:1', 25_500, false);
    for (let i = 0; i < 26; i++) progress.advance(1000, i === 0 ? 7 : 0);
    progress.done();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^stats cache:1: ~10,000 of 25,500 keys scanned \(39%\), 7 matched/);
    expect(lines[1]).toMatch(/~20,000 of 25,500 keys scanned \(78%\)/);
    expect(lines[2]).toMatch(/^stats cache:1: scanned 25,500 keys, 7 matched, in \d+ms\n$/);
  });

  it('rewrites one line on a terminal and clears it', () => {
    const out: string[] = [];
    const progress = new Progress(text => out.push(text), 'keys', 20_000, true);
    for (let i = 0; i < 20; i++) progress.advance(1000, 0);
    progress.done();
    const clearLine = '\r\x1b[K';
    expect(out).toHaveLength(3);
    expect(out[0].startsWith(`${clearLine}keys: ~10,000 of 20,000`)).toBe(true);
    expect(out[1].startsWith(`${clearLine}keys: ~20,000 of 20,000`)).toBe(true);
    expect(out[2]).toBe(clearLine);
  });

  it('drops keys SCAN returns twice', () => {
    const distinct = new Distinct();
    expect(['a', 'b', 'a'].map(key => distinct.add(key))).toEqual([true, true, false]);
    expect(distinct.exact).toBe(true);
  });
});
