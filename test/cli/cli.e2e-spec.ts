import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CacheService } from 'nestjs-page-cache';
import type { CliIO } from '../../libs/page-cache/src/cli/io.js';
import { run } from '../../libs/page-cache/src/cli/run.js';
import { ArticleTable, BlogModule } from '../fixtures/invalidation/blog.fixture.js';
import { bootCache } from '../support/cache-app.js';
import { freePort } from '../support/free-port.js';
import { fetchPage } from '../support/fetch-page.js';
import { startApp, type RunningApp } from '../support/http-app.js';
import { redisClusterNodes, redisUrl, uniquePrefix } from '../support/redis.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REGISTER = fileURLToPath(new URL('../support/ts-register.mjs', import.meta.url));
const MAIN = fileURLToPath(new URL('../../libs/page-cache/src/cli/main.ts', import.meta.url));

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in a process of its own (stdin not a terminal), as `npx nestjs-page-cache` would. */
function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', REGISTER, MAIN, ...args], {
      cwd: ROOT,
      // Only --redis / --cluster say where to connect.
      env: { ...process.env, REDIS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', code => resolve({ code, stdout, stderr }));
  });
}

/**
 * The same commands run in this process through `run()`, with stdout and stderr captured and no
 * terminal. Used for variations, so that the suite starts a process (which transpiles the CLI's
 * sources) only for what needs one.
 */
async function cliInProcess(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    out: text => void (stdout += text),
    err: text => void (stderr += text),
    env: {},
    stderrIsTTY: false,
    interactive: false,
    ask: () => Promise.reject(new Error('not a terminal')),
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

/** The CLI with `--redis` and `--prefix` of one namespace, as a process or in this one. */
function cliOn(prefix: string, where: 'process' | 'in-process' = 'process') {
  const runner = where === 'process' ? cli : cliInProcess;
  return (...args: string[]) => runner([...args, '--redis', redisUrl(), '--prefix', prefix]);
}

function lines(text: string): string[] {
  return text.split('\n').filter(line => line.length > 0);
}

function json<T = Record<string, unknown>>(result: CliResult): T {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** Every key under `pattern` in the shared Redis, read directly. */
async function rawKeys(client: Redis, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) found.add(key);
  } while (cursor !== '0');
  return [...found].sort();
}

async function cacheStatus(app: RunningApp, path: string): Promise<string | null> {
  return (await fetchPage(app, path)).cache;
}

/** A blog app on its own namespace, with some pages cached. */
async function blog(prefix: string, ...paths: string[]) {
  const app = await startApp(
    'express',
    BlogModule.with(new ArticleTable(), { redis: redisUrl(), keyPrefix: prefix }),
  );
  for (const path of paths) {
    await cacheStatus(app, path);
    expect(await cacheStatus(app, path)).toBe('HIT');
  }
  return { app, cache: app.app.get(CacheService) };
}

/**
 * Each CLI process transpiles the tool's TypeScript sources on start (a few seconds on a busy
 * machine), so the tests here get more time than the default.
 */
const SLOW = { timeout: 120_000 };

let raw: Redis;
beforeAll(() => {
  raw = new Redis(redisUrl());
});
afterAll(async () => {
  await raw.quit();
});

describe('nestjs-page-cache CLI: reading a namespace', SLOW, () => {
  const prefix = uniquePrefix('cli');
  const PAGES = ['/articles', '/articles/1', '/articles/2', '/articles/settings/page'];
  let app: RunningApp;
  let cache: CacheService;
  let sibling: { module: TestingModule; cache: CacheService };
  const spawned = cliOn(prefix);
  const local = cliOn(prefix, 'in-process');

  beforeAll(async () => {
    ({ app, cache } = await blog(prefix, ...PAGES));
    await cache.set('user:1', { name: 'Ada' }, 0);
    await cache.set('user:2', { name: 'Grace', languages: ['COBOL'] }, '1h');
    await cache.incr('views', 5);
    await cache.set('logo', Buffer.from([0, 1, 2, 0xff]));
    await raw.set(`${prefix}:1:foreign`, 'written by someone else');
    // Another namespace whose name starts with this one's.
    sibling = await bootCache('redis', { keyPrefix: `${prefix}x` });
    await sibling.cache.set('user:9', 'not ours');
  }, SLOW.timeout);
  afterAll(async () => {
    await cache.clear();
    await sibling.cache.clear();
    await app.close();
    await sibling.module.close();
  });

  it('stats: server figures and the namespace keys by kind', async () => {
    const report = json<{
      server: { mode: string; servers: number; version: string };
      keyspace: { hits: number; misses: number; hitRatio: number | null; evictedKeys: number };
      memory: { usedBytes: number; maxmemoryBytes: number; policy: string };
      namespace: Record<string, unknown>;
    }>(await spawned('stats', '--json'));
    expect(report.server).toMatchObject({ mode: 'standalone', servers: 1 });
    expect(report.server.version).toMatch(/^\d+\.\d+/);
    expect(report.keyspace.hits).toBeGreaterThan(0);
    expect(report.keyspace.hitRatio).toBeGreaterThan(0);
    expect(report.keyspace.evictedKeys).toBeGreaterThanOrEqual(0);
    expect(report.memory.usedBytes).toBeGreaterThan(0);
    expect(typeof report.memory.policy).toBe('string');
    // Article, Article/, Article/1, Article/2, and the path and URL tags of the pages: each has
    // an index set and a generation token.
    const indexSets = (await rawKeys(raw, `${prefix}:1:~idx:*`)).length;
    expect(indexSets).toBeGreaterThanOrEqual(8);
    expect(report.namespace).toEqual({
      name: `${prefix}:1`,
      keys: 9 + 2 * indexSets,
      pages: 4,
      values: 5, // user:1, user:2, views, logo, foreign
      indexSets,
      tokens: indexSets,
      locks: 0,
      fills: 0,
      otherInternal: 0,
      pagesByView: {
        'ArticlesController.show': 2,
        'ArticlesController.list': 1,
        'ArticlesController.settings': 1,
      },
      exact: true,
    });
    const text = await local('stats');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Namespace ${prefix}:1: ${9 + 2 * indexSets} keys`);
    expect(text.stdout).toMatch(/pages\s+4\n/);
    expect(text.stdout).toMatch(/values\s+5\n/);
    expect(text.stdout).toMatch(new RegExp(`index sets\\s+${indexSets}\n`));
    expect(text.stdout).toMatch(/hit ratio\s+\d+\.\d%/);
    expect(text.stdout).toMatch(/ArticlesController\.show\s+2/);
  });

  it('keys: a glob over the namespace, printed without it, never reaching another namespace', async () => {
    const users = await spawned('keys', 'user:*');
    expect(users.code).toBe(0);
    expect(lines(users.stdout).sort()).toEqual(['user:1', 'user:2']);
    expect(users.stderr).toBe('');

    const all = await local('keys');
    // Bookkeeping keys are the cache's own: left out, as CacheService.keys() leaves them out.
    expect(lines(all.stdout)).toHaveLength(9);
    expect(lines(all.stdout).filter(key => key.startsWith('page:'))).toHaveLength(4);
    expect(all.stdout).not.toContain('~');
    const tokens = await local('keys', '~gen:*');
    expect(tokens).toEqual({
      code: 0,
      stdout: '',
      stderr: `No key of ${prefix}:1 matches ~gen:*.\n`,
    });
    for (const listed of [users.stdout, all.stdout]) {
      expect(listed).not.toContain('user:9');
      expect(listed).not.toContain(prefix);
    }
  });

  it('keys: paged with --limit', async () => {
    const three = await local('keys', '--limit', '3');
    expect(three.code).toBe(0);
    expect(lines(three.stdout)).toHaveLength(3);
    expect(three.stderr).toBe('… 6 more, use --limit 9 (or --limit 0 for all)\n');
    expect(json(await local('keys', 'page:*', '--limit', '1', '--json'))).toMatchObject({
      namespace: `${prefix}:1`,
      glob: 'page:*',
      more: 3,
    });
  });

  it('show: a page, decoded', async () => {
    const keys: string[] = [];
    for await (const key of cache.keys('page:ArticlesController.show:Article/1:*')) keys.push(key);
    expect(keys).toHaveLength(1);

    const text = await spawned('show', keys[0]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Page ${prefix}:1:${keys[0]}`);
    expect(text.stdout).toMatch(/status\s+200/);
    expect(text.stdout).toMatch(/ttl\s+never expires/);
    expect(text.stdout).toMatch(/models\s+Article\/1, Article\//);
    expect(text.stdout).toMatch(/current\s+yes/);
    expect(text.stdout).toMatch(/body\s+12 B/);
    expect(text.stdout).toContain('content-type: text/html');
    expect(text.stdout).toMatch(/Body\n1:title 1 v0\n/);

    const page = json<Record<string, unknown>>(await local('show', keys[0], '--json'));
    expect(page).toMatchObject({
      key: keys[0],
      fullKey: `${prefix}:1:${keys[0]}`,
      type: 'page',
      status: 200,
      ttlMs: 0,
      freshForMs: null,
      expiresInMs: null,
      models: ['Article/1', 'Article/'],
      current: true,
      bodyBytes: 12,
      body: { encoding: 'utf8', text: '1:title 1 v0', omittedBytes: 0 },
    });
    expect(page.ageMs).toBeGreaterThanOrEqual(0);
    expect(page.ageMs).toBeLessThan(120_000);
    expect(page.headers).toContainEqual(['content-type', expect.stringContaining('text/html')]);
  });

  it('show: values, counters, foreign bytes, and a missing key', async () => {
    const missing = await spawned('show', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe(`No key ${prefix}:1:nope.\n`);

    const value = json<Record<string, unknown>>(await local('show', 'user:2', '--json'));
    expect(value).toMatchObject({
      type: 'value',
      kind: 'json',
      value: { name: 'Grace', languages: ['COBOL'] },
      models: [],
      current: true,
    });
    expect(value.expiresInMs).toBeGreaterThan(3_000_000);
    expect(value.expiresInMs).toBeLessThanOrEqual(3_600_000);
    const text = await local('show', 'user:2');
    expect(text.stdout).toMatch(/kind\s+json/);
    expect(text.stdout).toContain('"name": "Grace"');

    const counter = await local('show', 'views');
    expect(counter.code).toBe(0);
    expect(counter.stdout).toMatch(/^Counter .*:views\n\s+value\s+5\n/);
    // A counter another client took past 2^53 is shown exactly (a string in JSON).
    await raw.set(`${prefix}:1:big-counter`, '1234567890123456789');
    try {
      const big = await local('show', 'big-counter');
      expect(big.stdout).toMatch(/^Counter .*:big-counter\n\s+value\s+1234567890123456789\n/);
      expect(json(await local('show', 'big-counter', '--json'))).toMatchObject({
        type: 'integer',
        value: '1234567890123456789',
      });
      expect(json(await local('show', 'views', '--json'))).toMatchObject({ value: 5 });
    } finally {
      await raw.del(`${prefix}:1:big-counter`);
    }

    expect(json(await local('show', 'logo', '--json'))).toMatchObject({
      type: 'value',
      kind: 'buf',
      bytes: 4,
      preview: { encoding: 'base64', text: Buffer.from([0, 1, 2, 0xff]).toString('base64') },
    });

    // Index sets, tokens and locks are plain Redis data: redis-cli shows them as they are.
    const bookkeeping = await local('show', '~idx:Article');
    expect(bookkeeping.code).toBe(1);
    expect(bookkeeping.stderr).toContain('~idx:Article is bookkeeping of the cache');

    const foreign = await local('show', 'foreign');
    expect(foreign.code).toBe(0);
    expect(foreign.stdout).toContain('Not a cache entry');
    // Its bytes are for redis-cli to show: `show` only says the cache does not read them.
    expect(foreign.stdout).toContain('a Redis string this cache does not read');
    expect(json(await local('show', 'foreign', '--json'))).toMatchObject({
      type: 'foreign',
      redisType: 'string',
    });
  });

  it('--version and -V print the version of the package, as npx users expect', async () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../../libs/page-cache/package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    const printed = await cli(['--version']);
    expect(printed).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await cliInProcess(['-V'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const help = await cliInProcess(['-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: nestjs-page-cache <command> \[options\]/);
  });

  it("is the version CHANGELOG.md's top entry and the lockfile name: one number everywhere", () => {
    const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
    const { version } = JSON.parse(read('../../libs/page-cache/package.json')) as {
      version: string;
    };
    const top = /^## (.*)$/m.exec(read('../../libs/page-cache/CHANGELOG.md'))?.[1];
    expect(top?.split(' ')[0]).toBe(version);
    const lock = JSON.parse(read('../../package-lock.json')) as {
      packages: Record<string, { version?: string }>;
    };
    expect(lock.packages['libs/page-cache']?.version).toBe(version);
    // Versions the tool's help names are at most the package's next minor (none is from the future).
    const help = read('../../libs/page-cache/src/cli/args.ts');
    const [major, minor] = version.split('.').map(Number);
    for (const [, a, b] of help.matchAll(/before (\d+)\.(\d+)/g)) {
      expect(Number(a) * 1000 + Number(b)).toBeLessThanOrEqual(major! * 1000 + minor!);
    }
  });

  it('--help for the program and for each command; bad usage exits with 2', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: nestjs-page-cache <command> \[options\]/);
    for (const name of ['stats', 'keys', 'show', 'invalidate', 'expire', 'clear']) {
      const result = await cliInProcess([name, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: nestjs-page-cache ${name}`));
    }

    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command: "frobnicate"');
    const usage = await Promise.all([
      cliInProcess(['show', '--redis', redisUrl()]),
      cliInProcess(['stats', '--yes', '--redis', redisUrl()]),
      cliInProcess(['stats']),
      cliInProcess(['stats', '--redis', redisUrl(), '--prefix', 'has space']),
    ]);
    expect(usage.map(result => result.code)).toEqual([2, 2, 2, 2]);
    expect(usage[0].stderr).toContain('Missing argument: nestjs-page-cache show <key>');
    expect(usage[1].stderr).toContain('--yes is not an option of stats');
    expect(usage[2].stderr).toContain('set REDIS_URL or pass --redis');
    expect(usage[3].stderr).toContain('Invalid --prefix: "has space"');
  });
});

describe('nestjs-page-cache CLI: changing a namespace', SLOW, () => {
  it('invalidate removes exactly the pages built from the model or the entity', async () => {
    const prefix = uniquePrefix('cli_inv');
    const { app, cache } = await blog(
      prefix,
      '/articles',
      '/articles/1',
      '/articles/2',
      '/articles/settings/page',
    );
    try {
      expect(await cliOn(prefix)('invalidate', 'Article', '1')).toEqual({
        code: 0,
        stdout: `Removed 2 entries built from Article 1 in ${prefix}:1.\n`,
        stderr: '',
      });
      expect(await cacheStatus(app, '/articles/1')).toBe('MISS');
      expect(await cacheStatus(app, '/articles')).toBe('MISS');
      expect(await cacheStatus(app, '/articles/2')).toBe('HIT');
      expect(await cacheStatus(app, '/articles/settings/page')).toBe('HIT');
      expect(await cacheStatus(app, '/articles/1')).toBe('HIT');

      const model = await cliOn(prefix, 'in-process')('invalidate', 'Article', '--json');
      expect(json(model)).toEqual({
        namespace: `${prefix}:1`,
        model: 'Article',
        id: null,
        removed: 3,
      });
      for (const path of ['/articles', '/articles/1', '/articles/2']) {
        expect(await cacheStatus(app, path)).toBe('MISS');
      }
      expect(await cacheStatus(app, '/articles/settings/page')).toBe('HIT');

      const bad = await cliOn(prefix, 'in-process')('invalidate', 'Art*cle');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('Invalid model: "Art*cle"');
    } finally {
      await cache.clear();
      await app.close();
    }
  });

  it('expire removes every variant of a path, or of one normalized query', async () => {
    const prefix = uniquePrefix('cli_exp');
    const { app, cache } = await blog(prefix, '/articles/1', '/articles/2', '/articles?b=2&a=1');
    try {
      const path = await cliOn(prefix)('expire', '/articles/1');
      expect(path).toEqual({
        code: 0,
        stdout: `Removed 1 entry of /articles/1 in ${prefix}:1.\n`,
        stderr: '',
      });
      const query = await cliOn(prefix, 'in-process')('expire', '/articles?a=1&b=2', '--json');
      expect(json(query)).toEqual({
        namespace: `${prefix}:1`,
        path: '/articles?a=1&b=2',
        removed: 1,
      });
      expect(await cacheStatus(app, '/articles/1')).toBe('MISS');
      expect(await cacheStatus(app, '/articles?b=2&a=1')).toBe('MISS');
      expect(await cacheStatus(app, '/articles/2')).toBe('HIT');

      const bad = await cliOn(prefix, 'in-process')('expire', 'articles');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('Invalid page path: "articles"');
    } finally {
      await cache.clear();
      await app.close();
    }
  });

  it('expire outdates a page the index no longer lists, as expirePage does', async () => {
    const prefix = uniquePrefix('cli_exp_lost');
    const { app, cache } = await blog(prefix, '/articles/1');
    const redis = new Redis(redisUrl());
    try {
      // The index sets of the page are lost (evicted): only its token can outdate it now.
      const sets = await redis.keys(`${prefix}:1:~idx:*`);
      expect(sets.length).toBeGreaterThan(0);
      await redis.del(...sets);
      expect(await cacheStatus(app, '/articles/1')).toBe('HIT');
      expect((await cliOn(prefix, 'in-process')('expire', '/articles/1')).code).toBe(0);
      expect(await cacheStatus(app, '/articles/1')).toBe('MISS');
    } finally {
      redis.disconnect();
      await cache.clear();
      await app.close();
    }
  });

  it('clear refuses without --yes off a terminal, and deletes this namespace only with it', async () => {
    const prefix = uniquePrefix('cli_clear');
    const { app, cache } = await blog(prefix, '/articles', '/articles/1');
    const sibling = await bootCache('redis', { keyPrefix: `${prefix}x` });
    try {
      await cache.set('user:1', 'Ada');
      await sibling.cache.set('user:1', 'kept');
      const before = await rawKeys(raw, `${prefix}:1:*`);
      expect(before.length).toBeGreaterThan(3);

      const refused = await cliOn(prefix)('clear');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('Re-run with --yes');
      expect(await rawKeys(raw, `${prefix}:1:*`)).toEqual(before);

      expect(await cliOn(prefix)('clear', '--yes')).toEqual({
        code: 0,
        stdout: `Deleted ${before.length} keys under ${prefix}:1:.\n`,
        stderr: '',
      });
      expect(await rawKeys(raw, `${prefix}:1:*`)).toEqual([]);
      expect(await sibling.cache.get('user:1')).toBe('kept');
      expect(await cacheStatus(app, '/articles')).toBe('MISS');
    } finally {
      await cache.clear();
      await sibling.cache.clear();
      await sibling.module.close();
      await app.close();
    }
  });

  it('clear asks on a terminal, and deletes only on yes', async () => {
    const { module, cache } = await bootCache('redis');
    try {
      await cache.setMany({ a: 1, b: 2, c: 3 });
      // A lock its owner holds is neither counted nor deleted, as CacheService.clear() spares it.
      const held = await cache.lock('job');
      const questions: string[] = [];
      let answer = 'n';
      let stdout = '';
      const io: CliIO = {
        out: text => void (stdout += text),
        err: () => undefined,
        env: {},
        stderrIsTTY: false,
        interactive: true,
        ask: async question => {
          questions.push(question);
          return answer;
        },
      };
      const args = ['clear', '--redis', redisUrl(), '--prefix', cache.namespace.slice(0, -2)];
      expect(await run(args, io)).toBe(1);
      expect(questions).toEqual([`Delete 3 keys under ${cache.namespace}:? [y/N] `]);
      expect(await cache.get('a')).toBe(1);

      answer = 'y';
      expect(await run(args, io)).toBe(0);
      expect(questions).toHaveLength(2);
      expect(stdout).toBe(`Deleted 3 keys under ${cache.namespace}:.\n`);
      expect(await cache.get('a')).toBeUndefined();
      expect(await held.release()).toBe(true);
    } finally {
      await module.close();
    }
  });

  it('escapes glob characters of the prefix: a* never reaches another namespace', async () => {
    const base = uniquePrefix('cli_glob');
    const starred = await bootCache('redis', { keyPrefix: `${base}*`, version: 3 });
    const other = await bootCache('redis', { keyPrefix: `${base}-other`, version: 3 });
    try {
      await starred.cache.set('k', 1);
      await other.cache.set('k', 2);
      await other.cache.set('j', 2);
      const keys = await cli([
        'keys',
        '--json',
        '--redis',
        redisUrl(),
        '--prefix',
        `${base}*`,
        '--key-version',
        '3',
      ]);
      expect(json(keys)).toMatchObject({ namespace: `${base}*:3`, keys: ['k'], more: 0 });
      // The old spelling still works for one release, with a note on stderr.
      const legacy = await cliInProcess([
        'keys',
        '--json',
        '--redis',
        redisUrl(),
        '--prefix',
        `${base}*`,
        '--version',
        '3',
      ]);
      expect(legacy.code).toBe(0);
      expect(JSON.parse(legacy.stdout)).toMatchObject({ namespace: `${base}*:3`, keys: ['k'] });
      expect(legacy.stderr).toContain('--version <n> for the namespace version is deprecated');
      const local = (...args: string[]) =>
        cliOn(`${base}*`, 'in-process')(...args, '--key-version', '3');
      const stats = json<{ namespace: { values: number } }>(await local('stats', '--json'));
      expect(stats.namespace.values).toBe(1);
      expect((await local('clear', '--yes')).stdout).toBe(`Deleted 1 keys under ${base}*:3:.\n`);
      expect(await other.cache.get('k')).toBe(2);
      expect(await other.cache.get('j')).toBe(2);
    } finally {
      await other.cache.clear();
      await Promise.all([starred.module.close(), other.module.close()]);
    }
  });
});

describe('nestjs-page-cache CLI: connection and progress', SLOW, () => {
  it('exits with 1 and a clear message when Redis is unreachable', async () => {
    const port = await freePort();
    const result = await cli(['stats', '--redis', `redis://user:s3cret@127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(
        `^nestjs-page-cache: Cannot connect to Redis at redis://user:\\*{4}@127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`,
      ),
    );
    expect(result.stderr).not.toContain('s3cret');
  });

  it('reports progress of long scans on stderr with --progress', async () => {
    const prefix = uniquePrefix('cli_many');
    const count = 25_000;
    for (let i = 0; i < count; i += 5_000) {
      const pipeline = raw.pipeline();
      for (let j = i; j < i + 5_000; j++) pipeline.set(`${prefix}:1:k${j}`, String(j));
      await pipeline.exec();
    }
    try {
      const result = await cliOn(prefix)('stats', '--json', '--progress');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).namespace.values).toBe(count);
      const progress = lines(result.stderr);
      expect(progress.length).toBeGreaterThanOrEqual(3);
      for (const line of progress.slice(0, -1)) {
        expect(line).toMatch(
          /^stats .*:1: ~[\d,]+ of [\d,]+ keys scanned \(\d+%\), [\d,]+ matched/,
        );
      }
      expect(progress.at(-1)).toMatch(/^stats .*:1: scanned [\d,]+ keys, 25,000 matched, in /);

      // Without --progress (and without a terminal), stderr stays quiet.
      expect((await cliOn(prefix, 'in-process')('keys', 'k1', '--json')).stderr).toBe('');
    } finally {
      const deleted = await cliOn(prefix, 'in-process')('clear', '--yes', '--json');
      expect(json(deleted)).toEqual({ namespace: `${prefix}:1`, deleted: count });
    }
  });
});

describe('nestjs-page-cache CLI on a Redis Cluster', SLOW, () => {
  it('scans every master: keys, stats, show, invalidate and clear', async () => {
    const { module, cache } = await bootCache('cluster');
    const prefix = cache.namespace.slice(0, -2);
    const on =
      (runner: typeof cli) =>
      (...args: string[]) =>
        runner([...args, '--cluster', redisClusterNodes().join(','), '--prefix', prefix]);
    const spawned = on(cli);
    const local = on(cliInProcess);
    try {
      const count = 60;
      for (let i = 0; i < count; i++) await cache.set(`k${i}`, { i });
      await cache.set('built', 'from Post 7', { models: [{ model: 'Post', id: 7 }] });

      const keys = json<{ keys: string[] }>(await spawned('keys', '--limit', '0', '--json'));
      expect(keys.keys.sort()).toEqual(
        ['built', ...Array.from({ length: count }, (_, i) => `k${i}`)].sort(),
      );
      const report = json<{ server: Record<string, unknown>; namespace: Record<string, unknown> }>(
        await local('stats', '--json'),
      );
      expect(report.server).toMatchObject({ mode: 'cluster', servers: 3 });
      expect(report.namespace).toMatchObject({ values: count + 1, tokens: 2, indexSets: 2 });
      expect(json(await local('show', 'k7', '--json'))).toMatchObject({
        type: 'value',
        value: { i: 7 },
      });

      expect(json(await local('invalidate', 'Post', '7', '--json'))).toMatchObject({ removed: 1 });
      expect(await cache.get('built')).toBeUndefined();

      const after = json<{ namespace: { keys: number; values: number } }>(
        await local('stats', '--json'),
      );
      expect(after.namespace.values).toBe(count);
      expect(json(await local('clear', '--yes', '--json'))).toMatchObject({
        deleted: after.namespace.keys,
      });
      const cleared = json<{ namespace: { keys: number } }>(await local('stats', '--json'));
      expect(cleared.namespace.keys).toBe(0);
    } finally {
      await cache.clear();
      await module.close();
    }
  });
});

describe('nestjs-page-cache CLI: the near cache', SLOW, () => {
  it('stats counts the processes holding a live near lease, and none once they left', async () => {
    const prefix = uniquePrefix('cli_near');
    const local = cliOn(prefix, 'in-process');
    const holder = await bootCache('redis', { keyPrefix: prefix, near: { lease: '1s' } });
    try {
      await vi.waitFor(() => expect(holder.cache.stats().near?.lease).toBe('held'), {
        timeout: 10_000,
      });
      const report = json<{ near: { holders: number } }>(await local('stats', '--json'));
      expect(report.near).toEqual({ holders: 1 });
      expect((await local('stats')).stdout).toContain(
        'Near cache: 1 process holds a live lease (its invalidations wait for them)',
      );
    } finally {
      await holder.module.close();
    }
    // Leaving removes it from the registry: nobody to wait for.
    expect(json<{ near: { holders: number } }>(await local('stats', '--json')).near).toEqual({
      holders: 0,
    });
  });
});
