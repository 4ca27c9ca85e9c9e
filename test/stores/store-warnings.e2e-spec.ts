import { ConsoleLogger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { CacheModuleOptions } from 'nestjs-page-cache';
import { opsModule } from '../fixtures/operability/ops.fixture.js';
import { freePort } from '../support/free-port.js';
import { RedisServer } from '../support/redis-server.js';

/** Nest's own console logger, keeping what it logs for the test to read. */
class RecordingLogger extends ConsoleLogger {
  readonly lines: { level: string; context: string; message: string }[] = [];

  constructor() {
    super();
    this.setLogLevels(['error', 'warn', 'log']);
  }

  override warn(message: unknown, context?: string): void {
    this.lines.push({ level: 'warn', context: context ?? '', message: String(message) });
  }
  override log(message: unknown, context?: string): void {
    this.lines.push({ level: 'log', context: context ?? '', message: String(message) });
  }

  /** What the cache's store reported, as `level: message`. */
  store(): string[] {
    return this.lines
      .filter(line => line.context === 'CacheStore')
      .map(line => `${line.level}: ${line.message}`);
  }
}

/** Boots an app as users do (NestFactory, a logger of its own) and serves it on a free port. */
async function boot(options: CacheModuleOptions, logger: RecordingLogger) {
  const app = await NestFactory.create(
    opsModule({ keyPrefix: 'warnings', breaker: { failures: 2, cooldown: '300ms' }, ...options }),
    new ExpressAdapter(),
    { logger },
  );
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, get: (path: string) => fetch(`${url}${path}`) };
}

describe('warnings about the store name it and the cause', () => {
  let app: INestApplication | undefined;
  let server: RedisServer | undefined;
  afterEach(async () => {
    await app?.close();
    await server?.stop();
    app = undefined;
    server = undefined;
  });

  it('nothing listening at startup: the URL and ECONNREFUSED, then the recovery', async () => {
    const port = await freePort();
    const logger = new RecordingLogger();
    const running = await boot({ redis: `redis://127.0.0.1:${port}` }, logger);
    app = running.app;
    expect(logger.store()).toEqual([
      `warn: Cache store redis://127.0.0.1:${port} not reachable at startup (connect ECONNREFUSED ` +
        `127.0.0.1:${port}): serving without cache until it answers.`,
    ]);
    // The breaker opening on the first requests does not report the same outage again.
    for (let i = 0; i < 3; i++) expect((await running.get('/ops/page/a')).status).toBe(200);
    expect(logger.store()).toHaveLength(1);

    server = await RedisServer.start({ port });
    await vi.waitFor(
      async () => expect((await running.get('/ops/page/a')).headers.get('x-cache')).toBe('HIT'),
      { timeout: 15_000, interval: 200 },
    );
    expect(logger.store().at(-1)).toBe(
      `log: Cache store redis://127.0.0.1:${port} reachable again: caching resumed.`,
    );
  });

  it('a wrong password: the URL with the password masked, and the auth failure', async () => {
    server = await RedisServer.start();
    // Set after startup, so that the helper's readiness PING needs no password.
    await server.command('CONFIG', 'SET', 'requirepass', 's3cret-pass');
    const logger = new RecordingLogger();
    const running = await boot(
      { redis: `redis://:not-the-password@127.0.0.1:${server.port}` },
      logger,
    );
    app = running.app;
    const [warning, ...rest] = logger.store();
    expect(rest).toEqual([]);
    expect(warning).toBe(
      `warn: Cache store redis://:****@127.0.0.1:${server.port} not reachable at startup ` +
        '(authentication failed: WRONGPASS invalid username-password pair or user is disabled.): ' +
        'serving without cache until it answers.',
    );
    expect(logger.lines.map(line => line.message).join('\n')).not.toContain('not-the-password');
    expect((await running.get('/ops/page/a')).status).toBe(200);
  });

  it('Redis killed under traffic: the outage names the URL and ECONNREFUSED', async () => {
    server = await RedisServer.start();
    const logger = new RecordingLogger();
    const running = await boot({ redis: server.url }, logger);
    app = running.app;
    await running.get('/ops/page/a');
    expect((await running.get('/ops/page/a')).headers.get('x-cache')).toBe('HIT');
    expect(logger.store()).toEqual([]);

    await server.kill();
    await vi.waitFor(
      async () => {
        expect((await running.get('/ops/page/a')).status).toBe(200);
        expect(logger.store()).toHaveLength(1);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(logger.store()[0]).toMatch(
      new RegExp(
        `^warn: Cache store ${server.url.replace(/\./g, '\\.')} unavailable \\(` +
          `(connect ECONNREFUSED 127\\.0\\.0\\.1:${server.port}|not connected \\(\\w+\\))\\): ` +
          'serving without cache for now\\.$',
      ),
    );
  });

  it('a Cluster: its startup nodes, and why none answered', async () => {
    const ports = [await freePort(), await freePort()];
    const logger = new RecordingLogger();
    const running = await boot(
      { redis: { cluster: ports.map(port => `127.0.0.1:${port}`) } },
      logger,
    );
    app = running.app;
    expect(logger.store()).toHaveLength(1);
    expect(logger.store()[0]).toMatch(
      new RegExp(
        `^warn: Cache store Redis Cluster 127\\.0\\.0\\.1:${ports[0]},127\\.0\\.0\\.1:${ports[1]} ` +
          'not reachable at startup \\(.*ECONNREFUSED.*\\): serving without cache until it answers\\.$',
      ),
    );
  });

  it('a server that accepts connections but never answers: a timeout', async () => {
    server = await RedisServer.start();
    server.pause();
    const logger = new RecordingLogger();
    const running = await boot({ redis: server.url }, logger);
    app = running.app;
    expect(logger.store()).toHaveLength(1);
    expect(logger.store()[0]).toMatch(
      new RegExp(
        `^warn: Cache store ${server.url.replace(/\./g, '\\.')} not reachable at startup ` +
          '\\(timeout: [^)]+\\): serving without cache until it answers\\.$',
      ),
    );
    server.resume();
  });
});
