import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';

import { redisUrl, uniquePrefix } from './redis.js';
import { pingUrl, RedisServer, tcpPing } from './redis-server.js';

function connectError(port: number): Promise<string | undefined> {
  return new Promise(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}

describe('RedisServer (real redis-server process)', () => {
  const servers: RedisServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map(s => s.kill()));
  });

  it('survives pause/resume, kill and restart on the same port', async () => {
    const server = await RedisServer.start();
    servers.push(server);
    const { port } = server;
    expect(server.url).toBe(`redis://127.0.0.1:${port}`);
    expect(await server.command('PING')).toBe('PONG');
    expect(await server.command('CONFIG', 'GET', 'save')).toBe('save');
    expect(await server.command('CONFIG', 'GET', 'appendonly')).toBe('appendonly\nno');

    server.pause();
    expect(await tcpPing(port, 300)).toBe(false);
    server.resume();
    expect(await tcpPing(port, 1_000)).toBe(true);

    await server.kill();
    expect(server.running).toBe(false);
    expect(await connectError(port)).toBe('ECONNREFUSED');

    await server.restart();
    expect(server.port).toBe(port);
    expect(await tcpPing(port, 1_000)).toBe(true);
    expect(await server.command('PING')).toBe('PONG');

    await server.stop();
    await server.stop(); // idempotent
    expect(await connectError(port)).toBe('ECONNREFUSED');
  });

  it('passes extra args to redis-server and keeps them on restart', async () => {
    const server = await RedisServer.start({
      args: ['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru'],
    });
    servers.push(server);
    expect(await server.command('CONFIG', 'GET', 'maxmemory-policy')).toBe(
      'maxmemory-policy\nallkeys-lru',
    );
    await server.restart();
    expect(await server.command('CONFIG', 'GET', 'maxmemory')).toBe(
      `maxmemory\n${2 * 1024 * 1024}`,
    );
    await server.kill();
  });

  it('fails fast with the server output when redis-server cannot start', async () => {
    await expect(RedisServer.start({ args: ['--no-such-option', 'x'] })).rejects.toThrow(
      /exited before accepting connections[\s\S]*no-such-option/,
    );
  });
});

describe('shared Redis from the global setup', () => {
  it('inject("redisUrl") answers PING', async () => {
    const url = redisUrl();
    expect(url).toMatch(/^rediss?:\/\//);
    await expect(pingUrl(url)).resolves.toBeUndefined();
  });

  it('uniquePrefix() never repeats', () => {
    const prefixes = new Set(Array.from({ length: 100 }, () => uniquePrefix('e2e')));
    expect(prefixes.size).toBe(100);
    expect([...prefixes][0]).toMatch(new RegExp(`^e2e_${process.pid}_\\d+_[0-9a-f]{6}$`));
  });
});
